// The inverse window's state goes into the real checkpoint store after every batch, as changes
// (keys put/removed, batches entering and leaving), and comes back through getOrCreate: a job
// stopped after some batch and resumed on the same checkpoint directory must produce the same
// later windows as the job that never stopped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CheckpointStore, type CheckpointCommit, type DeltaChange, type SliceChange } from '../../src/checkpoint/index.js';
import { ManualClock, ReducedWindowedDStream, Seconds, StreamingContext, type DStream } from '../../src/index.js';
import { asSet } from './helpers.js';

type Key = string | [string, number];
type KV = [Key, number];

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'dstreams-window-cp-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

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

interface Job {
  ssc: StreamingContext;
  clock: ManualClock;
  windowed: ReducedWindowedDStream<Key, number>;
  plain: DStream<KV>;
}

interface Outputs {
  /** The inverse window's pairs at each slide time (as an order-free set). */
  windows: Map<number, string[]>;
  /** The plain `window()` of the same input (checkpointed as saved batches). */
  plain: Map<number, string[]>;
  /** A window of a window (its parent slides every 2 s, not every batch) and its countByWindow. */
  nested: Map<number, string[]>;
  counts: Map<number, number[]>;
}

/**
 * The job: a queueStream of `input` (the batches from `from` on: a queue cannot replay what an
 * earlier run consumed), an inverse window of 5 s sliding every 2 s, and a plain window of 3 s.
 */
function defineJob(input: KV[][], from: number, clockAt: number, filter: boolean, out: Outputs): Job {
  const clock = new ManualClock(clockAt);
  const ssc = new StreamingContext({ batchDuration: Seconds(1), clock });
  const pairs = ssc.queueStream(input.slice(from).map((b) => b.slice()));
  const filterFunc = filter ? (kv: KV) => kv[1] !== 0 : undefined;
  const windowed = pairs.reduceByKeyAndWindow(add, sub, Seconds(5), Seconds(2), { filterFunc });
  expect(windowed).toBeInstanceOf(ReducedWindowedDStream);
  windowed.foreachRDD((rdd, time) => void out.windows.set(time, asSet(rdd.collect())));
  const plain = pairs.window(Seconds(3), Seconds(1));
  plain.foreachRDD((rdd, time) => void out.plain.set(time, asSet(rdd.collect())));
  const everyTwo = pairs.window(Seconds(2), Seconds(2));
  everyTwo.window(Seconds(6), Seconds(4)).foreachRDD((rdd, time) => void out.nested.set(time, asSet(rdd.collect())));
  everyTwo.countByWindow(Seconds(6), Seconds(2)).foreachRDD((rdd, time) => void out.counts.set(time, rdd.collect()));
  return { ssc, clock, windowed: windowed as ReducedWindowedDStream<Key, number>, plain };
}

const newOutputs = (): Outputs => ({ windows: new Map(), plain: new Map(), nested: new Map(), counts: new Map() });

/** Runs the job uninterrupted for every batch of `input` (with a checkpoint directory, as it needs one). */
async function uninterrupted(input: KV[][], filter: boolean): Promise<Outputs> {
  const out = newOutputs();
  const job = defineJob(input, 0, 0, filter, out);
  job.ssc.checkpoint(tempDir());
  await job.ssc.start();
  try {
    for (let i = 0; i < input.length; i++) await job.clock.advance(1000);
  } finally {
    await job.ssc.stop();
  }
  return out;
}

/**
 * Runs the job on one checkpoint directory, stopping after each batch time of `stops` (in seconds)
 * and resuming with getOrCreate, until every batch of `input` ran. Each resumed context starts
 * with its clock at the stop time.
 */
async function withRestarts(input: KV[][], filter: boolean, stops: number[], dir: string): Promise<Outputs> {
  const out = newOutputs();
  let at = 0;
  for (const until of [...stops, input.length]) {
    const job = await (async (): Promise<Job> => {
      let made: Job | undefined;
      const ssc = await StreamingContext.getOrCreate(dir, () => {
        made = defineJob(input, at, at * 1000, filter, out);
        return made.ssc;
      });
      expect(ssc).toBe(made!.ssc);
      expect(ssc.recoveredFrom).toBe(at === 0 ? undefined : at * 1000);
      return made!;
    })();
    await job.ssc.start();
    try {
      for (let s = at; s < until; s++) await job.clock.advance(1000);
    } finally {
      await job.ssc.stop();
    }
    at = until;
  }
  return out;
}

function expectSameOutputs(actual: Outputs, expected: Outputs): void {
  expect([...actual.plain.keys()]).toEqual([...expected.plain.keys()]);
  for (const [t, w] of expected.plain) expect(actual.plain.get(t), `plain window at ${t}`).toEqual(w);
  expect([...actual.nested.keys()]).toEqual([...expected.nested.keys()]);
  for (const [t, w] of expected.nested) expect(actual.nested.get(t), `window of a window at ${t}`).toEqual(w);
  expect([...actual.counts]).toEqual([...expected.counts]);
  expect([...actual.windows.keys()]).toEqual([...expected.windows.keys()]);
  for (const [t, w] of expected.windows) expect(actual.windows.get(t), `inverse window at ${t}`).toEqual(w);
}

describe('reduceByKeyAndWindow with an inverse: checkpoints in the store, resumed with getOrCreate', () => {
  for (const filter of [false, true]) {
    const withFilter = filter ? ' (with filterFunc)' : '';
    // 1 s: the only commit was the first, full one; 10 s and 12 s: slides (incremental commits);
    // 11 s: between two slides, the window's state is one batch behind the commit.
    for (const at of [1, 10, 11, 12]) {
      it(`stopped at ${at} s and resumed: every later window as in the uninterrupted run${withFilter}`, async () => {
        const input = randomInput(30, filter ? 11 : 3);
        const reference = await uninterrupted(input, filter);
        const resumed = await withRestarts(input, filter, [at], tempDir());
        expect(reference.windows.size).toBe(15);
        expectSameOutputs(resumed, reference);
      });
    }

    it(`stopped and resumed six times: every window as in the uninterrupted run${withFilter}`, async () => {
      const input = randomInput(40, filter ? 5 : 8);
      const reference = await uninterrupted(input, filter);
      const resumed = await withRestarts(input, filter, [2, 3, 7, 8, 15, 22], tempDir());
      expectSameOutputs(resumed, reference);
    });
  }

  it('a window shorter than its slide: batches no window takes are not kept in the checkpoint', async () => {
    const input = randomInput(24, 17);
    const shape = (ssc: StreamingContext, from: number, out: Map<number, string[]>): DStream<KV> => {
      const w = ssc
        .queueStream(input.slice(from).map((b) => b.slice()))
        .reduceByKeyAndWindow(add, sub, Seconds(2), Seconds(4), { filterFunc: (kv) => kv[1] !== 0 });
      w.foreachRDD((rdd, time) => void out.set(time, asSet(rdd.collect())));
      return w;
    };
    const run = async (stops: number[], dir: string): Promise<{ out: Map<number, string[]>; id: number }> => {
      const out = new Map<number, string[]>();
      let at = 0;
      let id = -1;
      for (const until of [...stops, input.length]) {
        const clock = new ManualClock(at * 1000);
        const from = at;
        const ssc = await StreamingContext.getOrCreate(dir, () => {
          const ssc = new StreamingContext({ batchDuration: Seconds(1), clock });
          id = shape(ssc, from, out).id;
          return ssc;
        });
        await ssc.start();
        for (let s = at; s < until; s++) await clock.advance(1000);
        await ssc.stop();
        at = until;
      }
      return { out, id };
    };
    const reference = await run([], tempDir());
    const dir = tempDir();
    const resumed = await run([1, 3, 5, 6, 9, 13], dir);
    expect([...resumed.out]).toEqual([...reference.out]);
    // After the last slide (24 s) only its own two batches are in the store.
    const store = await CheckpointStore.open(dir);
    try {
      const times = (await store.readSlices(`s${resumed.id}`)).map(([t]) => t);
      for (const t of times) expect(t).toBeGreaterThan(22_000);
    } finally {
      await store.close();
    }
  });

  it('a commit holds what changed in the batch: keys put and removed, batches entering and leaving', async () => {
    const input: KV[][] = [[['a', 1], ['b', 1]], [['a', 1]], [['c', 1]], [], [], [], [['a', 5]]];
    const dir = tempDir();
    // What the engine hands to the store, batch by batch (the commit's arrays are fresh per batch).
    const commits: CheckpointCommit[] = [];
    const enqueue = CheckpointStore.prototype.enqueue;
    vi.spyOn(CheckpointStore.prototype, 'enqueue').mockImplementation(function (this: CheckpointStore, c, o) {
      commits.push(c);
      return enqueue.call(this, c, o);
    });
    const out = newOutputs();
    const job = defineJob(input, 0, 0, true, out);
    job.ssc.checkpoint(dir);
    await job.ssc.start();
    for (let i = 0; i < input.length; i++) await job.clock.advance(1000);
    await job.ssc.stop();
    vi.restoreAllMocks();

    expect(commits).toHaveLength(7);
    const id = `s${job.windowed.id}`;
    const state = (c: CheckpointCommit) => {
      // State kept in memory goes to the delta log: one entry per stream per batch.
      const s = (c.deltas as Map<string, DeltaChange>).get(id)!;
      return { replace: !!s.replace, puts: sorted([...(s.puts ?? [])] as KV[]), deletes: [...(s.deletes ?? [])] };
    };
    const slices = (c: CheckpointCommit) => {
      const s = (c.slices as Map<string, SliceChange>).get(id)!;
      return { puts: [...(s.puts ?? [])].map(([t, p]) => [t, sorted(p as KV[])]), deletes: [...(s.deletes ?? [])] };
    };
    const meta = (c: CheckpointCommit) => (c.meta as { streams: Record<string, unknown> }).streams[id];
    const [c1, c2, c3, c4, c5, c6, c7] = commits;
    // 1 s: the first commit of a context is a full copy. Odd batch times are not slides: the window
    // does not move, but the batch is saved, reduced by key, for the next slide to take.
    expect(state(c1!)).toEqual({ replace: true, puts: [], deletes: [] });
    expect(slices(c1!)).toEqual({ puts: [[1000, [['a', 1], ['b', 1]]]], deletes: [] });
    expect(meta(c1!)).toEqual({ time: null, windowDuration: 5000, slideDuration: 2000 });
    // 2 s: the window (-3 s, 2 s] takes batches 1 s and 2 s.
    expect(state(c2!)).toEqual({ replace: false, puts: [['a', 2], ['b', 1]], deletes: [] });
    expect(slices(c2!)).toEqual({ puts: [[2000, [['a', 1]]]], deletes: [] });
    expect(state(c3!)).toEqual({ replace: false, puts: [], deletes: [] });
    expect(slices(c3!)).toEqual({ puts: [[3000, [['c', 1]]]], deletes: [] });
    // 4 s: batch 3 s enters (already saved), batch 4 s is empty.
    expect(state(c4!)).toEqual({ replace: false, puts: [['c', 1]], deletes: [] });
    expect(slices(c4!)).toEqual({ puts: [], deletes: [] });
    // 6 s: the window is (1 s, 6 s]: batch 1 s leaves, 'b' falls to 0 and the filter removes it.
    expect(state(c6!)).toEqual({ replace: false, puts: [['a', 1]], deletes: ['b'] });
    expect(slices(c6!)).toEqual({ puts: [], deletes: [1000] });
    expect(state(c5!)).toEqual({ replace: false, puts: [], deletes: [] });
    expect(meta(c7!)).toEqual({ time: 6000, windowDuration: 5000, slideDuration: 2000 });
    expect(slices(c7!)).toEqual({ puts: [[7000, [['a', 5]]]], deletes: [] });
    // The plain window saves each input batch once as it enters and deletes it as it leaves.
    const plainId = `s${job.plain.id}`;
    const plainSlices = commits.map((c) => {
      const s = (c.slices as Map<string, SliceChange>).get(plainId)!;
      return [[...(s.puts ?? [])].map(([t]) => t), [...(s.deletes ?? [])]];
    });
    expect(plainSlices).toEqual([
      [[1000], []],
      [[2000], []],
      [[3000], []],
      [[4000], [1000]],
      [[5000], [2000]],
      [[6000], [3000]],
      [[7000], [4000]],
    ]);

    // And the store, read after the stop, holds the window as of its 6 s slide, its batches (empty
    // ones are not kept) and batch 7 s for the next slide.
    const store = await CheckpointStore.open(dir);
    try {
      expect(sorted(await store.loadState<Key, number>(id))).toEqual([['a', 1], ['c', 1]]);
      expect((await store.readSlices(id)).map(([t]) => t)).toEqual([2000, 3000, 7000]);
      expect((await store.readSlices(plainId)).map(([t]) => t)).toEqual([5000, 6000, 7000]);
      expect(await store.readMeta()).toMatchObject({ lastCompletedTime: 7000, pendingTimes: [] });
    } finally {
      await store.close();
    }
  });

  it('resuming a checkpoint of another window shape fails naming the difference', async () => {
    const dir = tempDir();
    const first = defineJob([[['a', 1]], [['a', 1]]], 0, 0, false, newOutputs());
    first.ssc.checkpoint(dir);
    await first.ssc.start();
    await first.clock.advance(2000);
    await first.ssc.stop();
    const err = await StreamingContext.getOrCreate(dir, () => {
      const ssc = new StreamingContext({ batchDuration: Seconds(1), clock: new ManualClock(0) });
      const pairs = ssc.queueStream<KV>([]);
      pairs.reduceByKeyAndWindow(add, sub, Seconds(4), Seconds(2)).foreachRDD(() => {});
      pairs.window(Seconds(3), Seconds(1)).foreachRDD(() => {});
      return ssc;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/does not match the checkpoint/);
    expect((err as Error).message).toContain('window=4000');
    expect((err as Error).message).toContain('window=5000');
  });

  it('restoring a checkpoint of another window shape into the stream fails', () => {
    const ssc = new StreamingContext({ batchDuration: Seconds(1), clock: new ManualClock(0) });
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
