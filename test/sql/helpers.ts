import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { ManualClock } from '../../src/context/Clock.js';
import { ArrayType, SparkSession, StringType, StructField, StructType, type DataFrame, type Row, type StreamingQuery } from '../../src/sql/index.js';

const sessions: SparkSession[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A session on a ManualClock, stopped (with its queries) after the test. */
export function session(): SparkSession {
  const s = new SparkSession({ appName: 'test', clock: new ManualClock() });
  sessions.push(s);
  return s;
}

export function tempDir(prefix = 'dstreams-sql-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/**
 * Spark's testStream harness, reduced: a query writing through foreachBatch, and
 * `newAnswer()` — the rows output since the last call (CheckNewAnswer), as tuples of `cols`.
 */
export async function collecting(
  df: DataFrame,
  mode: 'append' | 'update' | 'complete',
  cols: string[],
  options: { checkpointLocation?: string; trigger?: Parameters<StreamingQuery['run']>[0] } = {},
): Promise<{ query: StreamingQuery; newAnswer: () => Promise<unknown[][]>; batches: { id: number; rows: Row[] }[] }> {
  const out: unknown[][] = [];
  const batches: { id: number; rows: Row[] }[] = [];
  let w = df.writeStream.outputMode(mode).foreachBatch((b, id) => {
    const rows = b.collect();
    batches.push({ id, rows });
    for (const r of rows) out.push(cols.map((c) => r[c]));
  });
  if (options.checkpointLocation) w = w.option('checkpointLocation', options.checkpointLocation);
  if (options.trigger) w = w.trigger(options.trigger);
  const query = await w.start();
  return {
    query,
    batches,
    newAnswer: async () => {
      await query.processAllAvailable();
      return sortTuples(out.splice(0));
    },
  };
}

export function sortTuples(rows: unknown[][]): unknown[][] {
  return rows.slice().sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
}

/** Seed 004's schema, as its PySpark code writes it. */
export function meetupSchema(): StructType {
  return new StructType([
    new StructField('venue', new StructType([
      new StructField('venue_name', new StringType(), true),
      new StructField('lon', new StringType(), true),
      new StructField('lat', new StringType(), true),
      new StructField('venue_id', new StringType(), true),
    ])),
    new StructField('visibility', new StringType(), true),
    new StructField('response', new StringType(), true),
    new StructField('guests', new StringType(), true),
    new StructField('member', new StructType([
      new StructField('member_id', new StringType(), true),
      new StructField('photo', new StringType(), true),
      new StructField('member_name', new StringType(), true),
    ])),
    new StructField('rsvp_id', new StringType(), true),
    new StructField('mtime', new StringType(), true),
    new StructField('event', new StructType([
      new StructField('event_name', new StringType(), true),
      new StructField('event_id', new StringType(), true),
      new StructField('time', new StringType(), true),
      new StructField('event_url', new StringType(), true),
    ])),
    new StructField('group', new StructType([
      new StructField('group_topics', new ArrayType(new StructType([
        new StructField('urlkey', new StringType(), true),
        new StructField('topic_name', new StringType(), true),
      ]), true), true),
      new StructField('group_city', new StringType(), true),
      new StructField('group_country', new StringType(), true),
      new StructField('group_id', new StringType(), true),
      new StructField('group_name', new StringType(), true),
      new StructField('group_lon', new StringType(), true),
      new StructField('group_urlname', new StringType(), true),
      new StructField('group_state', new StringType(), true),
      new StructField('group_lat', new StringType(), true),
    ])),
  ]);
}


/** Listens on a free port below the ephemeral range (the brief's rule for tests). */
export async function listenBelowEphemeral(server: import('node:net').Server): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) return port;
  }
  throw new Error('no free port below 32768 after 50 attempts');
}
