// resumeFromSink after a crash between the sink's PostgreSQL commit of batch t and the
// checkpoint's commit of t (real Kafka, real PostgreSQL): the checkpoint, behind the sink, holds
// the offset ranges of t, so the restart resumes from it — the window (which no table can give
// back) and the totals come out exact. A checkpoint that cannot prove that is set aside, with a
// warning naming the window and the state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopic, kafkaBrokers, produceLines, topicEndOffsets, uniqueTopic } from '../helpers/kafka.js';
import { jobChild } from '../helpers/jobChild.js';
import { pgQuery, sinkConnection, useScratchSchema } from '../helpers/postgres.js';
import { BATCH_MS, resumeJob, sinksOf, type BehindSinkJob } from './behindSinkJob.js';

const scratch = useScratchSchema('dstreams_behind_sink');
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const N = 3000;
const KEYS = 13;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A topic of N records (values k0…k12) over 3 partitions, and the job's tables, sink and checkpoint. */
async function setUp(writeEvery: number): Promise<BehindSinkJob> {
  const topic = uniqueTopic('behind-sink');
  await createTopic(topic, 3);
  await produceLines(topic, Array.from({ length: N }, (_, i) => `k${i % KEYS}`), { partitions: 3 });
  const dir = mkdtempSync(path.join(tmpdir(), 'dstreams-behind-sink-'));
  const checkpointDir = path.join(dir, 'cp');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const s = scratch();
  return {
    brokers: kafkaBrokers(),
    topic,
    checkpointDir,
    connection: (await sinkConnection()).connection,
    schema: s.schema,
    tot: s.unique('tot'),
    win: s.unique('win'),
    sinkId: s.unique('behind'),
    writeEvery,
  };
}

function child(job: BehindSinkJob, killAfterWrites = 0) {
  return jobChild('test/exactlyonce/behind-sink-child.ts', [JSON.stringify(job), String(killAfterWrites)], cleanups, {
    env: { KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  });
}

/** Runs the job until it kills itself right after the sink committed its `writes`th batch. */
async function crashAfterSinkCommit(job: BehindSinkJob, writes: number): Promise<void> {
  const c = child(job, writes);
  await c.waitFor((o) => /^KILLING \d+$/m.test(o), `the kill after the sink's commit of the job's batch #${writes}`);
  const code = await c.exited;
  expect(code, c.out()).toBeNull(); // killed by a signal
  expect(c.out()).toMatch(/^KILLING \d+$/m);
}

/**
 * Restarts the job and runs it until the totals hold all N records, then a few batches more (a
 * batch counted twice would show); what resumeFromSink decided (its START line).
 */
async function restartUntilTotals(job: BehindSinkJob): Promise<{ start: Record<string, unknown>; out: () => string }> {
  const run = child(job);
  await run.waitFor((o) => /^START /m.test(o), 'the start');
  const start = JSON.parse(run.lines().find((l) => l.startsWith('START '))!.slice('START '.length)) as Record<string, unknown>;
  const t0 = Date.now();
  while (sum(await rows(job.schema, job.tot)) < N) {
    if (Date.now() - t0 > 60_000) throw new Error(`the totals did not reach ${N} records:\n${run.out()}`);
    await sleep(200);
  }
  await sleep(3 * BATCH_MS);
  await run.kill();
  return { start, out: () => run.out() };
}

async function rows(schema: string, table: string): Promise<Record<string, number>> {
  const res = await pgQuery<{ k: string; n: string }>(`SELECT k, n::text AS n FROM "${schema}"."${table}"`);
  return Object.fromEntries(res.rows.map((r) => [r.k, Number(r.n)]));
}

const expected: Record<string, number> = {};
for (let i = 0; i < N; i++) expected[`k${i % KEYS}`] = (expected[`k${i % KEYS}`] ?? 0) + 1;
const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

describe('resumeFromSink: a checkpoint behind the sink', () => {
  it.each([
    ['every batch (sinkWritesEveryBatch)', 1],
    ['every 2nd batch', 2],
  ])(
    'killed between the sink commit and the checkpoint commit, written %s: resumes from the checkpoint, window and totals exact',
    { timeout: 120_000 },
    async (_what, writeEvery) => {
      const job = await setUp(writeEvery);
      await crashAfterSinkCommit(job, 3);

      const run = await restartUntilTotals(job);
      const start = run.start;
      // The crash left the checkpoint behind the sink.
      expect(start.recoveredFrom as number, run.out()).toBeLessThan(start.lastCommitted as number);

      // The same transaction wrote both tables: the window holds every record too (60 s, longer than the run).
      expect(await rows(job.schema, job.tot)).toEqual(expected);
      expect(await rows(job.schema, job.win), run.out()).toEqual(expected);
      const ends = await topicEndOffsets(job.topic);
      const sinks = sinksOf(job);
      const stored = await sinks.tot.storedOffsets().finally(() => Promise.all([sinks.tot.close(), sinks.win.close()]));
      expect(stored).toEqual(Object.fromEntries(Object.entries(ends).map(([p, o]) => [`${job.topic}:${p}`, o])));

      // Decided from the checkpoint, re-running the committed batch (the sink skipped it); nothing set aside.
      expect(start).toMatchObject({ source: 'checkpoint', replayed: expect.arrayContaining([start.lastCommitted]) });
      expect(start.staleCheckpoint).toBeUndefined();
      expect(run.out()).toMatch(/^LOG resuming from the checkpoint .* behind the sink/m);
      expect(run.out()).not.toMatch(/^WARN /m);
    },
  );

  it('killed right after the sink committed the first batch (no batch recorded as completed): the first run’s batches run again on its grid, window and totals exact', { timeout: 120_000 }, async () => {
    const job = await setUp(1);
    await crashAfterSinkCommit(job, 1);

    const run = await restartUntilTotals(job);
    const start = run.start;

    // Before: the job started from the sink's offsets on a new grid, and the window lost the first batch.
    expect(await rows(job.schema, job.tot)).toEqual(expected);
    expect(await rows(job.schema, job.win), run.out()).toEqual(expected);
    // Only the start record was there: nothing completed, the committed batch re-ran (the sink skipped it).
    expect(start.recoveredFrom, run.out()).toBeUndefined();
    expect(start).toMatchObject({ source: 'checkpoint', replayed: [start.lastCommitted] });
    expect(run.out()).toMatch(/^LOG resuming from the checkpoint's start record .* behind the sink/m);
    expect(run.out()).not.toMatch(/^WARN /m);
  });

  it('a first run that started from the sink’s table (its checkpoint lost), killed right after its first commit: the restart starts from the sink again, totals exact', { timeout: 120_000 }, async () => {
    const job = await setUp(1);
    await crashAfterSinkCommit(job, 3);
    rmSync(job.checkpointDir, { recursive: true, force: true });
    // This run's state is seeded from the table (3 batches' totals); its first batch is committed, not checkpointed.
    await crashAfterSinkCommit(job, 1);

    const run = await restartUntilTotals(job);
    const start = run.start;
    // Re-running that run's batches from empty state would have dropped the seeded totals (review: 1,500 of 3,000).
    expect(await rows(job.schema, job.tot), run.out()).toEqual(expected);
    expect(start).toMatchObject({ source: 'sink' });
    expect(run.out()).toMatch(/^WARN .*its first run started from the sink's table/m);
  });

  it('one that does not hold the sink’s last batch is set aside, with a warning naming the window and the state', { timeout: 120_000 }, async () => {
    const job = await setUp(1);
    await crashAfterSinkCommit(job, 2);
    const sinks = sinksOf(job);
    cleanups.push(async () => {
      await sinks.tot.close();
      await sinks.win.close();
    });
    // A later batch the checkpoint never saw (as a sink written by another run would hold).
    const last = (await sinks.tot.lastCommittedBatchTime())!;
    const stored = await sinks.tot.storedOffsets();
    const ranges = Object.entries(stored).map(([k, o]) => ({ topic: job.topic, partition: Number(k.slice(k.lastIndexOf(':') + 1)), fromOffset: o, untilOffset: o }));
    await sinks.tot.writeBatch({ batchTime: last + 10 * BATCH_MS, offsetRanges: ranges }, []);

    const warnings: string[] = [];
    const logs: string[] = [];
    const r = await resumeJob(job, sinks, { log: (m) => logs.push(m), warn: (m) => warnings.push(m) });
    cleanups.push(() => r.ssc.stop());
    cleanups.push(() => rmSync(`${job.checkpointDir}.stale`, { recursive: true, force: true }));
    expect(r).toMatchObject({ source: 'sink', staleCheckpoint: `${job.checkpointDir}.stale`, lastCommitted: last + 10 * BATCH_MS });
    expect(r.notRebuilt?.windows).toEqual([expect.stringMatching(/ReducedWindowedDStream .*window=60000/)]);
    expect(r.notRebuilt?.states).toEqual([expect.stringMatching(/StateDStream/)]);
    expect(logs.join('\n')).toMatch(/behind the sink .*does not hold the offset ranges of batch/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/the checkpoint was set aside .*: the job starts from the sink's offsets .*ReducedWindowedDStream.* restarts? empty/);
  });
});
