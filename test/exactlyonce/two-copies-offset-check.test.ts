// Two copies of the documented "job of your own" (docs/pipelines.md: resumeFromSink +
// OffsetTracker + PostgresSink, append mode, default options) writing one table, with separate
// checkpoints and different maxRatePerPartition (real Kafka, real PostgreSQL). The claim is per
// (sinkId, batch time): with no offset check the second copy's batches, cut differently, were
// skipped (records lost) or written over the first's (records twice), silently. The default
// check in append mode ('contiguous') fails the second copy with OFFSET_MISMATCH instead, and the
// first one's table holds every record once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaUtils, OffsetTracker, PostgresSink, StreamingContext } from '../../src/index.js';
import { resumeFromSink } from '../../src/exactlyonce/index.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { pgQuery, sinkConnection, useScratchSchema } from '../helpers/postgres.js';

const scratch = useScratchSchema('dstreams_two_copies');
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const N = 6000;
const BATCH_MS = 250;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Copy {
  /** Batches this copy committed (not skipped). */
  written: number;
  /** Batches the claim made it skip. */
  skipped: number;
  /** Why the copy's job stopped, once it did. */
  failure: unknown;
  stopped: boolean;
}

/** One copy of the job; `beforeStart` runs in `create`, after the sink's offsets were read. */
async function startCopy(
  job: { topic: string; table: string; sinkId: string },
  rate: number,
  beforeStart: () => Promise<void> = async () => {},
): Promise<Copy> {
  const copy: Copy = { written: 0, skipped: 0, failure: undefined, stopped: false };
  const dir = mkdtempSync(path.join(tmpdir(), 'dstreams-two-copies-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const sink = new PostgresSink<{ v: string; batch_id: number }>({
    ...(await sinkConnection()),
    table: scratch().table(job.table),
    columns: ['v', 'batch_id'],
    createTable: { v: 'text', batch_id: 'bigint' },
    mode: 'append',
    sinkId: job.sinkId,
    retry: false,
  });
  cleanups.push(() => sink.close());
  const { ssc } = await resumeFromSink({
    checkpointDir: dir,
    sink,
    topics: [job.topic],
    log: () => {},
    create: async ({ fromOffsets }) => {
      await beforeStart();
      const ssc = new StreamingContext({ batchDuration: BATCH_MS });
      ssc.checkpoint(dir);
      const tracker = new OffsetTracker();
      const params = { 'bootstrap.servers': kafkaBrokers(), 'auto.offset.reset': 'earliest', maxRatePerPartition: rate };
      const records = tracker.track(KafkaUtils.createDirectStream(ssc, [job.topic], params, fromOffsets));
      records.foreachRDD(async (rdd, time) => {
        const rows = rdd.collect().map(([, v]) => ({ v, batch_id: time }));
        const res = await sink.writeBatch({ batchTime: time, offsetRanges: tracker.rangesAt(time) }, rows);
        tracker.forget(time);
        if (res.skipped) copy.skipped++;
        else copy.written++;
      });
      return ssc;
    },
  });
  cleanups.push(() => ssc.stop());
  await ssc.start();
  void ssc.awaitTermination().then(
    () => void (copy.stopped = true),
    (e: unknown) => void ((copy.failure = e), (copy.stopped = true)),
  );
  return copy;
}

describe('two copies of a job writing one append-mode table (default offset check)', () => {
  it('the copy that cuts the offsets differently fails with OFFSET_MISMATCH; the table holds every record once', { timeout: 90_000 }, async () => {
    const topic = uniqueTopic('two-copies');
    await createTopic(topic, 3);
    await produceLines(topic, Array.from({ length: N }, (_, i) => `r${i}`), { partitions: 3 });
    const job = { topic, table: scratch().unique('two'), sinkId: scratch().unique('two') };
    const table = scratch().qualified(job.table);

    // A: 100 records per partition and batch, so the topic takes about 20 batches.
    const a = await startCopy(job, 400);
    await waitFor('copy A to commit 2 batches', () => a.written >= 2);
    // B starts from the sink's offsets, then A commits once more before B's first batch: B's
    // first batch covers records A has written, cut otherwise (50 per partition and batch).
    const b = await startCopy(job, 200, async () => {
      const seen = a.written;
      await waitFor('copy A to commit one more batch', () => a.written > seen);
    });

    const count = async () => (await pgQuery<{ n: number; d: number }>(`SELECT count(*)::int AS n, count(DISTINCT v)::int AS d FROM ${table}`)).rows[0]!;
    // Until A has written all N records (or a copy wrote some twice); then B's batches, and any
    // record written twice, would show within a few batches.
    await waitFor('the table to reach N rows', async () => (await count()).n >= N || a.stopped, 40_000).catch(() => {});
    await sleep(6 * BATCH_MS);
    const missing = await pgQuery<{ n: number }>(
      `SELECT count(*)::int AS n FROM generate_series(0, ${N - 1}) i WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE v = 'r' || i)`,
    );
    const { n, d } = await count();
    // No duplicates and no holes, and B refused rather than skipping or re-writing batches.
    expect({ aFailure: a.failure, bWritten: b.written, bSkipped: b.skipped, bStopped: b.stopped, rows: n, distinct: d, missing: missing.rows[0]!.n }).toEqual({
      aFailure: undefined,
      bWritten: 0,
      bSkipped: 0,
      bStopped: true,
      rows: N,
      distinct: N,
      missing: 0,
    });
    expect(String(b.failure)).toMatch(/OFFSET_MISMATCH/);
    expect(String(b.failure)).toMatch(/offset check .* failed: batch (reads .* would be written twice|was committed with offset ranges .* but is replayed with)/);
  });
});
