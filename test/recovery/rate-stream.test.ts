// rateStream: a replayable input whose batches are a pure function of their time, so a job
// resumed from a checkpoint sees exactly the batches it would have seen had it never stopped.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext, type DStream } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from './helpers.js';

afterEach(cleanupTempDirs);

interface Seen {
  /** Each batch's records, partition by partition. */
  batches: Map<number, unknown[][]>;
  /** Every (time, index) the generate function was called with. */
  calls: Array<[number, number, number]>;
  numRecords: Map<number, number>;
}

function define(ssc: StreamingContext, seen: Seen, rowsPerBatch = 5, withGenerate = true): DStream<unknown> {
  const rate = withGenerate
    ? ssc.rateStream({
        rowsPerBatch,
        generate: (time, index, batchDuration) => {
          seen.calls.push([time, index, batchDuration]);
          return `${time}:${index}`;
        },
      })
    : ssc.rateStream({ rowsPerBatch });
  rate.foreachRDD((rdd, time) => {
    const parts: unknown[][] = [];
    for (let i = 0; i < rdd.getNumPartitions(); i++) parts.push(rdd.partition(i));
    seen.batches.set(time, parts);
  });
  ssc.addStreamingListener({ onBatchCompleted: (i) => void seen.numRecords.set(i.batchTime, i.numRecords) });
  return rate;
}

const newSeen = (): Seen => ({ batches: new Map(), calls: [], numRecords: new Map() });

async function run(seen: Seen, from: number, batches: number, options: { rows?: number; parallelism?: number; generate?: boolean } = {}): Promise<void> {
  const clock = new ManualClock(from);
  const ssc = new StreamingContext({ batchDuration: 1000, clock, defaultParallelism: options.parallelism ?? 2 });
  define(ssc, seen, options.rows, options.generate ?? true);
  await ssc.start();
  await clock.advance(batches * 1000);
  await ssc.stop();
}

describe('rateStream', () => {
  it('each batch is rowsPerBatch records generate(time, index, batchDuration), cut into defaultParallelism partitions as Spark slices a collection', async () => {
    const seen = newSeen();
    await run(seen, 0, 3, { rows: 5, parallelism: 2 });
    expect([...seen.batches.keys()]).toEqual([1000, 2000, 3000]);
    expect(seen.batches.get(2000)).toEqual([
      ['2000:0', '2000:1'],
      ['2000:2', '2000:3', '2000:4'],
    ]);
    // Each record generated once, in order, with the batch duration.
    expect(seen.calls.filter(([t]) => t === 2000)).toEqual([0, 1, 2, 3, 4].map((i) => [2000, i, 1000]));
    expect(seen.calls).toHaveLength(15);
    expect([...seen.numRecords.values()]).toEqual([5, 5, 5]);
  });

  it('by default, record i of the batch at t is its sequence number t / batchDuration * rowsPerBatch + i', async () => {
    const seen = newSeen();
    await run(seen, 0, 3, { rows: 4, generate: false });
    expect([...seen.batches.values()].map((p) => p.flat())).toEqual([
      [4, 5, 6, 7],
      [8, 9, 10, 11],
      [12, 13, 14, 15],
    ]);
  });

  it('a pure function of time: a context started at another time sees the same batch at the same time', async () => {
    const early = newSeen();
    const late = newSeen();
    await run(early, 0, 10);
    await run(late, 4500, 5);
    expect([...late.batches.keys()]).toEqual([5000, 6000, 7000, 8000, 9000]);
    for (const [t, parts] of late.batches) expect(parts).toEqual(early.batches.get(t));
  });

  it('rowsPerBatch 0 gives empty batches; a negative or fractional one is refused', async () => {
    const seen = newSeen();
    await run(seen, 0, 2, { rows: 0 });
    expect([...seen.batches.values()].map((p) => p.flat())).toEqual([[], []]);
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0) });
    expect(() => ssc.rateStream({ rowsPerBatch: -1 })).toThrow(RangeError);
    expect(() => ssc.rateStream({ rowsPerBatch: 1.5 })).toThrow(/non-negative integer/);
  });

  it('recovery sees the same batches: resumed with getOrCreate, the batches after the checkpoint are those of the uninterrupted run, and none before it is generated again', async () => {
    const reference = newSeen();
    await run(reference, 0, 12);

    const dir = tempDir();
    const resumed = newSeen();
    const calls: Array<Array<[number, number, number]>> = [];
    let at = 0;
    for (const until of [4, 5, 9, 12]) {
      const clock = new ManualClock(0);
      const part = newSeen();
      const ssc = await StreamingContext.getOrCreate(dir, () => {
        const s = new StreamingContext({ batchDuration: 1000, clock });
        // A stateful operation makes the context write a checkpoint; rateStream itself keeps none.
        const rate = define(s, part);
        rate.map((x): [string, number] => [String(x).split(':')[1]!, 1]).updateStateByKey<number>(
          (v, st) => (st ?? 0) + v.length,
        ).foreachRDD(() => {});
        return s;
      });
      expect(ssc.recoveredFrom).toBe(at === 0 ? undefined : at * 1000);
      await ssc.start();
      await clock.advance(until * 1000); // from 0: the batches up to the checkpoint run nothing
      await ssc.stop();
      for (const [t, p] of part.batches) {
        expect(resumed.batches.has(t), `batch ${t} ran twice`).toBe(false);
        resumed.batches.set(t, p);
      }
      calls.push(part.calls);
      // No record of a batch at or before the checkpoint was generated again.
      for (const [t] of part.calls) expect(t).toBeGreaterThan(at * 1000);
      at = until;
    }
    expect(resumed.batches).toEqual(reference.batches);
    expect(calls.flat()).toEqual(reference.calls);
  });
});
