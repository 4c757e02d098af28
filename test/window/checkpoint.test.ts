// The inverse window's state goes into checkpoints as changes (keys put/removed, batches entering
// and leaving) and comes back with restoreCheckpoint: a run resumed from the saved changes must
// produce the same later windows as the run that never stopped.
import { describe, expect, it } from 'vitest';
import type { SavedStreamCheckpoint, StreamCheckpoint } from '../../src/dstream/Checkpointable.js';
import { ManualClock, ReducedWindowedDStream, Seconds, StreamingContext } from '../../src/index.js';
import { asSets } from './helpers.js';

type KV = [string | [string, number], number];

/** What a checkpoint store would hold for one stream: the deltas applied one after the other. */
class FakeStore {
  time = 0;
  state = new Map<string, [unknown, unknown]>();
  slices = new Map<number, unknown>();
  meta: unknown;
  commits: StreamCheckpoint[] = [];
  /** Called after each commit (to keep a copy of the store as of some batch). */
  onCommit: ((time: number) => void) | undefined;

  apply(time: number, delta: StreamCheckpoint): void {
    this.commits.push(delta);
    this.time = time;
    if (delta.state) {
      if (delta.state.replace) this.state.clear();
      for (const [k, v] of delta.state.puts) this.state.set(JSON.stringify(k), [k, v]);
      for (const k of delta.state.deletes) this.state.delete(JSON.stringify(k));
    }
    if (delta.slices) {
      for (const [t, v] of delta.slices.puts) this.slices.set(t, v);
      for (const t of delta.slices.deletes) this.slices.delete(t);
    }
    this.meta = delta.meta;
    this.onCommit?.(time);
  }

  /** A deep copy, as read back from disk. */
  saved(): SavedStreamCheckpoint {
    const copy = <X>(x: X): X => structuredClone(x);
    return {
      time: this.time,
      state: copy([...this.state.values()]),
      slices: copy([...this.slices]),
      meta: copy(this.meta),
    };
  }
}

function randomInput(batches: number, seed: number): KV[][] {
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: batches }, (_, b) =>
    b % 7 === 5
      ? [] // a quiet batch now and then
      : Array.from({ length: Math.floor(rand() * 10) }, (): KV => {
          const k = Math.floor(rand() * 8);
          return [k < 6 ? `k${k}` : ['tuple', k], 1 + Math.floor(rand() * 3)];
        }),
  );
}

const add = (a: number, b: number) => a + b;
const sub = (a: number, b: number) => a - b;

interface Run {
  outputs: Map<number, KV[]>;
  stream: ReducedWindowedDStream<KV[0], number>;
}

/**
 * Run `input` (batch i at time start + (i+1) s) through an inverse window; with `store`, commit the
 * stream's delta after every batch (a full copy every 5th); with `restore`, restore first.
 */
async function run(
  input: KV[][],
  options: { start?: number; store?: FakeStore; restore?: SavedStreamCheckpoint; filter?: boolean },
): Promise<Run> {
  const clock = new ManualClock(options.start ?? 0);
  const ssc = new StreamingContext({ batchDuration: Seconds(1), clock });
  ssc.checkpoint('/tmp/dstreams-window-unused');
  const filterFunc = options.filter ? (kv: KV) => kv[1] !== 0 : undefined;
  const windowed = ssc
    .queueStream(input.map((b) => b.slice()))
    .reduceByKeyAndWindow(add, sub, Seconds(5), Seconds(2), { filterFunc });
  const stream = windowed as ReducedWindowedDStream<KV[0], number>;
  expect(stream).toBeInstanceOf(ReducedWindowedDStream);
  const outputs = new Map<number, KV[]>();
  windowed.foreachRDD((rdd, time) => void outputs.set(time, rdd.collect()));
  const store = options.store;
  if (store) {
    ssc.addBatchHooks({
      onBatchCompleted: (time) => store.apply(time, stream.checkpointDelta(time, (time / 1000) % 5 === 0)!),
    });
  }
  if (options.restore) stream.restoreCheckpoint(options.restore);
  await ssc.start();
  try {
    for (let i = 0; i < input.length; i++) await clock.advance(Seconds(1));
  } finally {
    await ssc.stop();
  }
  return { outputs, stream };
}

describe('reduceByKeyAndWindow with an inverse: checkpoint delta and restore', () => {
  for (const filter of [false, true]) {
    // At 10 s the last commit was a full copy, at 12 s an incremental one.
    for (const at of [10_000, 12_000]) {
      it(`a run restored at ${at / 1000} s from the deltas gives the same later windows${filter ? ' (with filterFunc)' : ''}`, async () => {
        const input = randomInput(30, filter ? 11 : 3);
        // The reference run, committing a delta after each batch; the store as of `at` is kept.
        const store = new FakeStore();
        let saved: SavedStreamCheckpoint | undefined;
        store.onCommit = (time) => {
          if (time === at) saved = store.saved();
        };
        const reference = await run(input, { filter, store });
        expect(saved!.time).toBe(at);
        expect(saved!.meta).toEqual({ time: at, windowDuration: 5000, slideDuration: 2000 });
        expect(store.commits.filter((c) => c.state!.replace)).toHaveLength(6);

        // Resume at `at` with only the batches after it.
        const resumed = await run(input.slice(at / 1000), { start: at, restore: saved!, filter });
        const later = [...reference.outputs.keys()].filter((t) => t > at);
        expect(later.length).toBeGreaterThan(5);
        expect([...resumed.outputs.keys()]).toEqual(later);
        for (const t of later) expect(asSets(resumed.outputs.get(t)!)).toEqual(asSets(reference.outputs.get(t)!));
      });
    }
  }

  it('a delta holds what changed in the batch: keys put and removed, batches entering and leaving', async () => {
    const input: KV[][] = [[['a', 1], ['b', 1]], [['a', 1]], [['c', 1]], [], [], [], [['a', 5]]];
    const store = new FakeStore();
    await run(input, { store, filter: true });
    // Odd batch times are not slides: nothing moves then.
    const [d1, d2, d3, d4, d5, d6, d7] = store.commits;
    expect(d1!.state!.puts).toEqual([]);
    expect({ ...d2!.state, puts: sorted(d2!.state!.puts as KV[]) }).toEqual({
      replace: false,
      puts: [['a', 2], ['b', 1]],
      deletes: [],
    });
    expect(sortedSlices(d2!.slices)).toEqual({ puts: [[1000, [['a', 1], ['b', 1]]], [2000, [['a', 1]]]], deletes: [] });
    expect(d3!.state!.puts).toEqual([]);
    expect(d4!.state).toEqual({ replace: false, puts: [['c', 1]], deletes: [] });
    expect(d4!.slices).toEqual({ puts: [[3000, [['c', 1]]]], deletes: [] });
    // At 6 s the window is (1 s, 6 s]: batch 1 s leaves, 'b' falls to 0 and the filter removes it.
    expect(d6!.state).toEqual({ replace: false, puts: [['a', 1]], deletes: ['b'] });
    expect(d6!.slices).toEqual({ puts: [], deletes: [1000] });
    expect(d5!.state!.replace).toBe(true); // 5 s: a full copy asked for
    expect(d7!.meta).toEqual({ time: 6000, windowDuration: 5000, slideDuration: 2000 });
  });

  it('restoring a checkpoint of another window shape fails', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: Seconds(1), clock });
    const s = ssc.queueStream<[string, number]>([]).reduceByKeyAndWindow(add, sub, Seconds(4), Seconds(2));
    expect(() =>
      (s as ReducedWindowedDStream<string, number>).restoreCheckpoint({
        time: 2000,
        state: [],
        slices: [],
        meta: { time: 2000, windowDuration: 5000, slideDuration: 2000 },
      }),
    ).toThrow(/window of 5000 ms sliding every 2000 ms, this stream's window is 4000 ms/);
  });
});

/** Pairs sorted by key (they come in partition order). */
const sorted = (pairs: KV[]): KV[] => [...pairs].sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1));

const sortedSlices = (slices: StreamCheckpoint['slices']) => ({
  ...slices,
  puts: slices!.puts.map(([t, pairs]) => [t, sorted(pairs as KV[])]),
});
