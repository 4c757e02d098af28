// updateStateByKey with the disk state store ({ stateStore: 'disk' }) gives what the memory store
// gives: every key offered to `update` at every batch (keys without values too), removals, an
// initial state, object states; across a restart that loads nothing; with overlapped commits.
import { describe, expect, it, vi } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/index.js';
import { ManualClock, StreamingContext } from '../../src/index.js';
import type { StateStoreOption } from '../../src/dstream/stateStore.js';
import { tempDirs, wordBatchAt as batchAt } from '../helpers/diskState.js';

const tempDir = tempDirs('dstreams-disk-usbk-');

interface Count {
  n: number;
  idle: number;
}

/** Counts; a key idle for 3 batches is dropped (so keys without values change and leave too). */
function update(values: number[], state: Count | undefined): Count | undefined {
  if (values.includes(-1)) return undefined;
  const s = state ?? { n: 0, idle: 0 };
  if (values.length === 0) {
    s.idle++;
    return s.idle > 3 ? undefined : s;
  }
  s.idle = 0;
  for (const v of values) s.n += v;
  return s;
}

interface Run {
  ssc: StreamingContext;
  clock: ManualClock;
  outputs: Map<number, string[]>;
}

function job(dir: string, store: StateStoreOption, overlap = false): Run {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock, overlapCheckpointWrites: overlap });
  ssc.checkpoint(dir);
  const outputs = new Map<number, string[]>();
  ssc
    .rateStream<[unknown, number]>({ rowsPerBatch: 30, generate: (t, i) => batchAt(t)[i]! })
    .updateStateByKey(update, { name: 'counts', stateStore: store, initialRDD: [['w1', { n: 100, idle: 0 }], ['init', { n: 7, idle: 0 }]] })
    .foreachRDD((rdd, t) => void outputs.set(t, rdd.collect().map((x) => JSON.stringify(x)).sort()));
  return { ssc, clock, outputs };
}

async function runBatches(run: Run, n: number): Promise<void> {
  await run.ssc.start();
  await run.clock.advance(n * 1000);
  await run.ssc.stop();
}

describe('updateStateByKey with the disk state store', () => {
  it.each<[string, boolean]>([
    ['commits written before the batch completes', false],
    ['commits overlapping the next batch (overlapCheckpointWrites)', true],
  ])('outputs the whole state the memory store outputs, batch by batch, with %s', async (_what, overlap) => {
    const memory = job(tempDir(), 'memory');
    await runBatches(memory, 14);
    const disk = job(tempDir(), 'disk', overlap);
    await runBatches(disk, 14);
    expect(disk.outputs.size).toBe(14);
    expect([...disk.outputs]).toEqual([...memory.outputs]);
    expect(memory.outputs.get(14000)!.length).toBeGreaterThan(5);
  });

  it('keeps its state in the store, key by key: a restart loads nothing and goes on exactly', async () => {
    const memory = job(tempDir(), 'memory');
    await runBatches(memory, 10);

    const dir = tempDir();
    const first = job(dir, { type: 'disk' });
    await runBatches(first, 6);
    const store = await CheckpointStore.open(dir);
    const stored = await store.loadState('n:counts');
    expect(stored.map(([k, v]) => JSON.stringify([k, v])).sort()).toEqual(memory.outputs.get(6000));
    await store.close();

    let next: Run | undefined;
    const resumed = await StreamingContext.getOrCreate(dir, () => (next = job(dir, 'disk')).ssc);
    let keys: { inMemory: number; onDisk: number } | undefined;
    resumed.addStreamingListener({ onBatchCompleted: (info) => void (keys = info.memory?.stateKeys) });
    const loads = vi.spyOn(CheckpointStore.prototype, 'loadState');
    const loadsFlat = vi.spyOn(CheckpointStore.prototype, 'loadStateFlat');
    await resumed.start();
    expect(loads).not.toHaveBeenCalled();
    expect(loadsFlat).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(resumed.recoveredFrom).toBe(6000);
    await next!.clock.advance(6000 + 4000);
    await resumed.stop();
    expect([...next!.outputs.keys()]).toEqual([7000, 8000, 9000, 10000]);
    for (const t of next!.outputs.keys()) expect(next!.outputs.get(t)).toEqual(memory.outputs.get(t));
    expect(keys!.onDisk).toBe(memory.outputs.get(10000)!.length);
  });

  it('a window over the state reads each batch’s state again later (its spill files are kept while remembered)', async () => {
    const outputs: Record<string, string[][]> = {};
    for (const store of ['memory', 'disk'] as const) {
      const clock = new ManualClock(0);
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      ssc.checkpoint(tempDir());
      const seen: string[][] = (outputs[store] = []);
      ssc
        .rateStream<[string, number]>({ rowsPerBatch: 4, generate: (t, i) => [`k${(t / 1000 + i) % 6}`, 1] })
        .updateStateByKey((values: number[], n: number | undefined) => (n ?? 0) + values.length, { stateStore: store })
        .window(3000, 2000)
        .foreachRDD((rdd) => void seen.push(rdd.collect().map((x) => JSON.stringify(x)).sort()));
      await ssc.start();
      await clock.advance(8000);
      await ssc.stop();
    }
    expect(outputs.disk!.length).toBe(4);
    expect(outputs.disk![3]!.length).toBe(18); // three batches' states of 6 keys
    expect(outputs.disk).toEqual(outputs.memory);
  });

  it('fails the batch with the update function’s error and commits nothing of it', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const dir = tempDir();
    ssc.checkpoint(dir);
    ssc
      .rateStream<[string, number]>({ rowsPerBatch: 5, generate: (_t, i) => [`k${i}`, 1] })
      .updateStateByKey<number>(
        (values, state) => {
          if ((state ?? 0) >= 2) throw new Error('update exploded');
          return (state ?? 0) + values.length;
        },
        { stateStore: 'disk', name: 'boom' },
      )
      .foreachRDD((rdd) => void rdd.count());
    await ssc.start();
    await expect(clock.advance(3000)).rejects.toThrow(/update exploded/);
    await expect(ssc.awaitTermination()).rejects.toThrow(/update exploded/);
    await ssc.stop();
    const store = await CheckpointStore.open(dir);
    const stored = await store.loadState<string, number>('n:boom');
    await store.close();
    expect(stored.length).toBe(5);
    expect(stored.every(([, v]) => v === 2)).toBe(true);
  });
});
