// reduceByKeyAndWindow with an inverse on the disk state store ({ stateStore: 'disk' }) gives what
// the memory store gives: slide by slide, for several windows and slides, with and without
// filterFunc, with overlapped commits, and across a restart between two slides (batches saved
// early) that loads nothing.
import { describe, expect, it, vi } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/index.js';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { tempDirs } from '../helpers/diskState.js';

const tempDir = tempDirs('dstreams-disk-window-');

/** Batch b: 12 records over 9 keys drawn from a range that moves with b (so keys leave the window), tuple keys among them. */
const record = (t: number, i: number): [unknown, number] => {
  const b = t / 1000;
  const w = (b * 4 + ((i * 7 + b) % 9)) % 20;
  return [w % 4 === 0 ? ['w', w] : `w${w}`, 1 + (i % 3)];
};

interface Run {
  ssc: StreamingContext;
  clock: ManualClock;
  outputs: Map<number, string[]>;
}

interface Shape {
  window: number;
  slide: number;
  filter: boolean;
}

function job(dir: string, store: 'memory' | 'disk', shape: Shape, overlap = false): Run {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock, overlapCheckpointWrites: overlap });
  ssc.checkpoint(dir);
  const outputs = new Map<number, string[]>();
  ssc
    .rateStream<[unknown, number]>({ rowsPerBatch: 12, generate: record })
    .reduceByKeyAndWindow(
      (a: number, b: number) => a + b,
      (a: number, b: number) => a - b,
      shape.window,
      shape.slide,
      { name: 'recent', stateStore: store, ...(shape.filter ? { filterFunc: ([, n]: [unknown, number]) => n !== 0 } : {}) },
    )
    .foreachRDD((rdd, t) => void outputs.set(t, rdd.collect().map((x) => JSON.stringify(x)).sort()));
  return { ssc, clock, outputs };
}

async function runBatches(run: Run, n: number): Promise<void> {
  await run.ssc.start();
  await run.clock.advance(n * 1000);
  await run.ssc.stop();
}

const SHAPES: Shape[] = [
  { window: 3000, slide: 1000, filter: true },
  { window: 3000, slide: 1000, filter: false },
  { window: 4000, slide: 2000, filter: true },
  { window: 2000, slide: 2000, filter: false },
  { window: 6000, slide: 3000, filter: true },
];

describe('reduceByKeyAndWindow with an inverse on the disk state store', () => {
  it.each(SHAPES)('outputs each window the memory store outputs: window $window, slide $slide, filterFunc $filter', async (shape) => {
    const memory = job(tempDir(), 'memory', shape);
    await runBatches(memory, 14);
    const disk = job(tempDir(), 'disk', shape);
    await runBatches(disk, 14);
    expect(disk.outputs.size).toBe(Math.floor(14000 / shape.slide));
    expect([...disk.outputs]).toEqual([...memory.outputs]);
    if (!shape.filter) expect([...memory.outputs.values()].flat().some((x) => x.endsWith(',0]'))).toBe(true); // keys at the inverse's zero stay
  });

  it.each([
    ['commits written before each batch completes', false],
    ['commits overlapping the next batch', true],
  ])('resumes between two slides exactly, loading nothing (%s)', async (_what, overlap) => {
    const shape: Shape = { window: 4000, slide: 2000, filter: true };
    const memory = job(tempDir(), 'memory', shape);
    await runBatches(memory, 14);

    const dir = tempDir();
    const first = job(dir, 'disk', shape, overlap);
    await runBatches(first, 5); // batch 5 is after the slide at 4000: saved early for the one at 6000
    let next: Run | undefined;
    const resumed = await StreamingContext.getOrCreate(dir, () => (next = job(dir, 'disk', shape, overlap)).ssc);
    const loads = [
      vi.spyOn(CheckpointStore.prototype, 'loadStateFlat'),
      vi.spyOn(CheckpointStore.prototype, 'readSlices'),
    ];
    let keys: { inMemory: number; onDisk: number } | undefined;
    resumed.addStreamingListener({ onBatchCompleted: (info) => void (keys = info.memory?.stateKeys) });
    await resumed.start();
    for (const l of loads) expect(l).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(resumed.recoveredFrom).toBe(5000);
    // Up to 14 s, wherever the restart put the clock (0, or the checkpoint's last batch as Spark's JobGenerator.restart does).
    await next!.clock.advance(14000 - next!.clock.getTimeMillis());
    await resumed.stop();
    const disk = new Map([...first.outputs, ...next!.outputs]);
    expect([...disk.keys()]).toEqual([...memory.outputs.keys()]);
    for (const [t, out] of memory.outputs) expect(disk.get(t), `window at ${t}`).toEqual(out);
    expect(keys!.onDisk).toBe(memory.outputs.get(14000)!.length);

    // The store holds the window's batches that are still inside it, and nothing else.
    const store = await CheckpointStore.open(dir);
    try {
      expect((await store.readSlices('n:recent')).map(([t]) => t)).toEqual([11000, 12000, 13000, 14000]);
    } finally {
      await store.close();
    }
  });
});
