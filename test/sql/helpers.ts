import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { ManualClock } from '../../src/context/Clock.js';
import { SparkSession, type DataFrame, type Row, type StreamingQuery } from '../../src/sql/index.js';

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
  // A bigint (a BIGINT past 2^53) written with its digits: JSON.stringify refuses one.
  const text = (r: unknown[]): string => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return rows.slice().sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));
}

/** Seed 004's schema: the one the example's query uses (examples/structured/meetup-query.ts). */
export { meetupSchema } from '../../examples/structured/meetup-query.js';


export { listenBelowEphemeral } from '../helpers/ports.js';
