// What the UI makes of the listener events, held to Spark's StreamingJobProgressListener and its
// REST API: a receiver that is down, every output operation of a waiting batch, a failed batch,
// the batches' status filter and one output operation, and the Kafka lag of partitions gone.
import { afterEach, describe, expect, it } from 'vitest';
import { JobProgress, ManualClock, Receiver, StreamingContext } from '../../src/index.js';
import type { OffsetRange } from '../../src/kafka/OffsetRange.js';
import { metricsText } from '../../src/ui/metrics.js';
import * as rest from '../../src/ui/rest.js';
import { freePortBelow, getJson, parseMetrics } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The REST base of a started context's UI. */
async function apiBase(ssc: StreamingContext): Promise<string> {
  const apps = await getJson<Array<{ id: string }>>(`${ssc.uiWebUrl}api/v1/applications`);
  return `${ssc.uiWebUrl}api/v1/applications/${apps[0]!.id}/streaming/`;
}

async function until(f: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface SparkBatch {
  batchId: number;
  status: string;
  numActiveOutputOps: number;
  numCompletedOutputOps: number;
  numFailedOutputOps: number;
  numTotalOutputOps: number;
  firstFailureReason?: string;
}

interface SparkOutputOp {
  outputOpId: number;
  name: string;
  description: string;
}

const opCounts = (bs: SparkBatch[]): unknown[] =>
  bs.map((b) => [b.batchId, b.status, b.numActiveOutputOps, b.numCompletedOutputOps, b.numFailedOutputOps, b.numTotalOutputOps]);

/**
 * Three batches, three output operations (the third over a 2 s window: batches 2000 and 4000
 * only); batch 1000's first operation waits for `release`, so 2000 and 3000 wait behind it.
 */
async function heldJob(): Promise<{ base: string; release: () => void; done: Promise<void> }> {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock, appName: 'ui-held', ui: { port: await freePortBelow() } });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const s = ssc.queueStream([['a'], ['b'], ['c']]);
  s.foreachRDD(async (_rdd, t) => {
    if (t === 1000) await gate;
  });
  s.map((x) => x.length).foreachRDD(() => undefined);
  s.window(2000, 2000).foreachRDD(() => undefined);
  cleanups.push(() => ssc.stop());
  cleanups.push(() => release());
  await ssc.start();
  const base = await apiBase(ssc);
  const done = clock.advance(3000);
  await until(async () => (await getJson<SparkBatch[]>(`${base}batches`)).length === 3, 'three batches');
  return { base, release, done };
}

describe('web UI: Spark parity', () => {
  it('a receiver whose restarts keep failing is down in REST, the statistics and /metrics, and up again once one succeeds', async () => {
    class Flaky extends Receiver<string> {
      up = true;
      onStart(): void {
        if (!this.up) throw new Error('ECONNREFUSED 127.0.0.1:9999');
      }
      onStop(): void {}
    }
    const flaky = new Flaky();
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), appName: 'ui-down', ui: { port: await freePortBelow() } });
    ssc.receiverStream(flaky, { name: 'socket db:9999', restartDelay: 20 }).foreachRDD(() => undefined);
    cleanups.push(() => ssc.stop());
    await ssc.start();
    const base = await apiBase(ssc);
    const receiver = (): Promise<Record<string, any>> => getJson(`${base}receivers/0`);
    await until(async () => (await receiver()).isActive === true, 'the receiver to start');

    flaky.up = false;
    flaky.restart('connection lost', new Error('ECONNRESET'));
    await until(async () => (await receiver()).numErrors >= 3, 'restarts to fail');
    expect(await receiver()).toMatchObject({ isActive: false, lastErrorMessage: 'Error starting receiver socket db:9999' });
    expect(await getJson(`${base}statistics`)).toMatchObject({ numReceivers: 1, numActiveReceivers: 0, numInactiveReceivers: 1 });
    const m = parseMetrics(await (await fetch(`${ssc.uiWebUrl}metrics`)).text());
    expect(m.get('dstreams_receivers{app="ui-down",state="active"}')).toBe(0);
    expect(m.get('dstreams_receivers{app="ui-down",state="inactive"}')).toBe(1);

    flaky.up = true;
    await until(async () => (await receiver()).isActive === true, 'a restart to succeed');
  });

  it('counts every output operation of a queued or running batch from its submission, numbered 0..n-1 in the batch (outputOpId)', async () => {
    const { base, release, done } = await heldJob();
    // [batchId, status, active, completed, failed, total]: batch 1000 runs its first of two operations.
    expect(opCounts(await getJson(`${base}batches`))).toEqual([
      [3000, 'QUEUED', 2, 0, 0, 2],
      [2000, 'QUEUED', 3, 0, 0, 3],
      [1000, 'PROCESSING', 2, 0, 0, 2],
    ]);
    const waiting = await getJson<SparkOutputOp[]>(`${base}batches/2000/operations`);
    expect(waiting.map((o) => [o.outputOpId, o.name])).toEqual([
      [0, 'foreachRDD'],
      [1, 'foreachRDD'],
      [2, 'foreachRDD'],
    ]);

    release();
    await done;
    expect(opCounts(await getJson(`${base}batches`))).toEqual([
      [3000, 'COMPLETED', 0, 2, 0, 2],
      [2000, 'COMPLETED', 0, 3, 0, 3],
      [1000, 'COMPLETED', 0, 2, 0, 2],
    ]);
    const ops = await getJson<SparkOutputOp[]>(`${base}batches/2000/operations`);
    expect(ops.map((o) => o.outputOpId)).toEqual([0, 1, 2]);
    expect(ops[2]!.description).toMatch(/^foreachRDD \(stream \d+\)$/); // the DStream's id stays in the description
    expect((await getJson<SparkOutputOp[]>(`${base}batches/3000/operations`)).map((o) => o.outputOpId)).toEqual([0, 1]);
  });

  it('serves one output operation at batches/{batchId}/operations/{outputOpId} (Spark’s OneOutputOperationResource)', async () => {
    const { base, release, done } = await heldJob();
    release();
    await done;
    const ops = await getJson<SparkOutputOp[]>(`${base}batches/2000/operations`);
    expect(await getJson(`${base}batches/2000/operations/2`)).toEqual(ops[2]);
    const missing = await fetch(`${base}batches/2000/operations/3`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'unknown output operation: 3' });
    expect((await fetch(`${base}batches/1234/operations/0`)).status).toBe(404);
  });

  it('filters batches by a repeated ?status= (any case), and refuses a status Spark does not have', async () => {
    const { base, release } = await heldJob();
    const statuses = async (query: string): Promise<unknown[]> => (await getJson<SparkBatch[]>(`${base}batches?${query}`)).map((b) => [b.batchId, b.status]);
    expect(await statuses('status=QUEUED&status=PROCESSING')).toEqual([
      [3000, 'QUEUED'],
      [2000, 'QUEUED'],
      [1000, 'PROCESSING'],
    ]);
    expect(await statuses('status=processing')).toEqual([[1000, 'PROCESSING']]);
    expect(await statuses('status=COMPLETED')).toEqual([]);
    const bad = await fetch(`${base}batches?status=QUEUED&status=FAILED`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "Illegal type='FAILED'. Supported type values: COMPLETED, QUEUED, PROCESSING" });
    release();
  });

  it('a batch whose output operation failed is COMPLETED with numFailedOutputOps and firstFailureReason, and counts in the averages', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock, appName: 'ui-failed' });
    const p = new JobProgress(ssc);
    ssc.addStreamingListener(p);
    const s = ssc.queueStream([['a'], ['b']]);
    s.foreachRDD((_rdd, t) => {
      if (t === 2000) throw new Error('boom');
    });
    s.foreachRDD(() => undefined);
    cleanups.push(() => ssc.stop());
    const ended = ssc.awaitTermination().then(
      () => undefined,
      (e: unknown) => e,
    );
    await ssc.start();
    await clock.advance(2000).catch(() => undefined);
    expect(String(await ended)).toContain('boom');

    const list = rest.batches(p) as SparkBatch[];
    expect(opCounts(list)).toEqual([
      [2000, 'COMPLETED', 0, 1, 1, 2],
      [1000, 'COMPLETED', 0, 2, 0, 2],
    ]);
    expect(list[0]!.firstFailureReason).toContain('Error: boom');
    expect(rest.batches(p, ['COMPLETED'])).toHaveLength(2);
    const processing = p.completed.map((b) => b.processingDelay!);
    expect(rest.statistics(p)).toMatchObject({
      numTotalCompletedBatches: 2,
      numRetainedCompletedBatches: 2,
      avgProcessingTime: Math.round((processing[0]! + processing[1]!) / 2),
    });
    const m = parseMetrics(metricsText(p, ssc.graph, ssc.appName));
    expect(m.get('dstreams_batches_total{app="ui-failed",status="failed"}')).toBe(1);
    expect(m.get('dstreams_batches_total{app="ui-failed",status="completed"}')).toBe(1);
  });

  it('output operations that never ran because generating their batch failed count as failed, not active', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const p = new JobProgress(ssc);
    ssc.addStreamingListener(p);
    ssc
      .queueStream([['a']])
      .transform(() => {
        throw new Error('bad transform');
      })
      .foreachRDD(() => undefined);
    cleanups.push(() => ssc.stop());
    const ended = ssc.awaitTermination().catch(() => undefined);
    await ssc.start();
    await clock.advance(1000).catch(() => undefined);
    await ended;
    const [b] = rest.batches(p) as SparkBatch[];
    expect(opCounts([b!])).toEqual([[1000, 'COMPLETED', 0, 0, 1, 1]]);
    expect(b!.firstFailureReason).toContain('bad transform');
  });

  it('drops the Kafka lag of a partition once a completed batch of its stream no longer lists it (moved to another copy)', () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), appName: 'copy-a' });
    const p = new JobProgress(ssc);
    const latestOffsets = { 't:0': 10, 't:1': 5100, 'u:0': 7 };
    const range = (topic: string, partition: number, from: number, until: number): OffsetRange => ({ topic, partition, fromOffset: from, untilOffset: until });
    // Fed as the listener bus would: stream 0 reads topic t, stream 1 topic u.
    const batch = (t: number, ranges: Record<number, OffsetRange[] | undefined>): void => {
      const streamIdToInputInfo = Object.fromEntries(
        Object.entries(ranges).map(([id, r]) => [id, { inputStreamId: Number(id), numRecords: 0, ...(r ? { metadata: { offsetRanges: r, latestOffsets } } : {}) }]),
      );
      const info = { batchTime: t, submissionTime: t, numRecords: 0, streamIdToInputInfo };
      p.onBatchSubmitted(info);
      p.onBatchCompleted({ ...info, processingStartTime: t, processingEndTime: t, schedulingDelay: 0, processingDelay: 0, totalDelay: 0 });
    };
    batch(1000, { 0: [range('t', 0, 0, 10), range('t', 1, 0, 100)], 1: [range('u', 0, 0, 7)] });
    expect([...p.kafkaLag.keys()]).toEqual(['t:0', 't:1', 'u:0']);
    // A rebalance moved t:1 away: stream 0 lists t:0 alone (an empty range); stream 1 told no offsets this batch.
    batch(2000, { 0: [range('t', 0, 10, 10)], 1: undefined });
    expect([...p.kafkaLag.values()].map((l) => [l.topic, l.partition, l.offset, l.lag])).toEqual([
      ['t', 0, 10, 0],
      ['u', 0, 7, 0],
    ]);
    const text = metricsText(p, ssc.graph, ssc.appName);
    expect(text).not.toContain('topic="t",partition="1"');
    expect(parseMetrics(text).get('dstreams_kafka_offset{app="copy-a",topic="u",partition="0"}')).toBe(7);
  });
});
