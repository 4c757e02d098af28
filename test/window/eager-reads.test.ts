// reduceByKeyAndWindow with an inverse function, read by a `transform` that runs an action on the
// window (rdd.count(), as Spark code often does with isEmpty()): the window is then computed when
// its batch is generated, and a ManualClock advanced several batches at once generates them
// before the first of them has run — the slides run ahead of the batches' checkpoints. Each
// batch's checkpoint must still hold the window as of that batch (a crash in the next one resumes
// from it), and the disk store must compute a window at generation time. Both stores, against an
// uninterrupted run whose transform reads nothing.
import { describe, expect, it, vi } from 'vitest';
import { CheckpointStore, type CheckpointCommit } from '../../src/checkpoint/index.js';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { tempDirs } from '../helpers/diskState.js';
import { asSet } from './helpers.js';

const tempDir = tempDirs('dstreams-window-eager-');

type Store = 'memory' | 'disk';
const STORES: Store[] = ['memory', 'disk'];

interface Shape {
  window: number;
  slide: number;
  filter: boolean;
}

/** Batch t: 3 pairs over 6 keys (a tuple key among them) moving with t, so keys enter and leave. */
const pairAt = (t: number, i: number): [unknown, number] => {
  const k = (t / 1000) * 7 + i * 3;
  return [k % 6 === 5 ? ['t', 5] : `k${k % 6}`, ((t / 1000) % 3) + i];
};

interface Job {
  store: Store;
  shape: Shape;
  /** Whether the transform runs an action on the window of batch t (when the batch is generated). */
  reads: (t: number) => boolean;
  /** Batch times run per clock advance. */
  jump: number;
  /** Batches that fail, once each (a crash after the commit of the batch before). */
  failures?: number[];
}

/**
 * Runs `job` for `batches` batches; a failed batch stops the context and the job resumes with
 * getOrCreate on the same directory, its clock where the last one stopped. The window at each slide.
 */
async function run(job: Job, batches: number): Promise<Map<number, string[]>> {
  const dir = tempDir();
  const windows = new Map<number, string[]>();
  let clockAt = 0;
  const failures = [...(job.failures ?? [])];
  for (;;) {
    const failAt = failures[0];
    const clock = new ManualClock(clockAt);
    const ssc = await StreamingContext.getOrCreate(dir, () => {
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      ssc.checkpoint(dir);
      const pairs = ssc.rateStream<[unknown, number]>({ rowsPerBatch: 3, generate: pairAt });
      const { window, slide, filter } = job.shape;
      pairs
        .reduceByKeyAndWindow((a: number, b: number) => a + b, (a: number, b: number) => a - b, window, slide, {
          name: 'w',
          stateStore: job.store,
          ...(filter ? { filterFunc: ([, n]: [unknown, number]) => n !== 0 } : {}),
        })
        .transform((rdd, t) => {
          if (job.reads(t)) rdd.count();
          return rdd;
        })
        .foreachRDD((rdd, t) => void windows.set(t, asSet(rdd.collect())));
      pairs.foreachRDD((_rdd, t) => {
        if (t === failAt) throw new Error(`crash at ${t}`);
      });
      return ssc;
    });
    await ssc.start();
    let failed: unknown;
    try {
      while (clock.getTimeMillis() < batches * 1000) await clock.advance(job.jump * 1000);
    } catch (e) {
      failed = e;
    }
    // Graceful: the batches a restart generated at once (clock already at the end) run too.
    await ssc.stop({ graceful: failed === undefined }).catch(() => {});
    if (failed === undefined) break;
    expect(String(failed)).toContain(`crash at ${failAt}`);
    failures.shift();
    clockAt = clock.getTimeMillis();
  }
  expect(failures).toEqual([]);
  return windows;
}

const lazily = (): boolean => false;
const always = (): boolean => true;

describe('reduceByKeyAndWindow with an inverse, its window read by an action in a transform as the batch is generated', () => {
  it.each(STORES)('%s store: read as each batch is generated, one batch at a time, every window as when nothing reads it early', async (store) => {
    const shape: Shape = { window: 2000, slide: 1000, filter: false };
    const reference = await run({ store: 'memory', shape, reads: lazily, jump: 1 }, 6);
    const eager = await run({ store, shape, reads: always, jump: 1 }, 6);
    expect([...eager]).toEqual([...reference]);
  });

  // A crash in the middle of the batches one advance generated: the commit before it was made
  // while the slides were ahead of it. A crash at 2 s resumes from the job's first commit, a full
  // copy in memory, made while the slides were ahead too; the restart generates the batches up to
  // the clock at once, and a second crash resumes from a commit the resumed context made so.
  const CRASHES: Array<[Shape, number, number[]]> = [
    [{ window: 3000, slide: 1000, filter: false }, 3, [5000]],
    [{ window: 3000, slide: 1000, filter: false }, 3, [8000]],
    [{ window: 4000, slide: 2000, filter: true }, 5, [7000]],
    [{ window: 4000, slide: 2000, filter: true }, 5, [8000]],
    [{ window: 2000, slide: 1000, filter: true }, 3, [2000, 5000]],
    [{ window: 4000, slide: 2000, filter: false }, 5, [2000, 8000]],
  ];
  for (const store of STORES) {
    for (const [shape, jump, failures] of CRASHES) {
      it(`${store} store, window ${shape.window} sliding ${shape.slide}: ${jump} batches generated at once, crashes at ${failures.join(' and ')}, getOrCreate re-runs them with their windows`, async () => {
        const reference = await run({ store: 'memory', shape, reads: lazily, jump: 1 }, 15);
        const resumed = await run({ store, shape, reads: always, jump, failures }, 15);
        expect(reference.size).toBe(Math.floor(15000 / shape.slide));
        expect([...resumed.keys()]).toEqual([...reference.keys()]);
        for (const [t, w] of reference) expect(resumed.get(t), `window at ${t}`).toEqual(w);
      });
    }

    it.each([
      ['each slide read as its batch is generated', always],
      ['only every third batch read, catching up the slides before it', (t: number) => t % 3000 === 0],
    ])(`${store} store: a commit holds the window as of its batch, though the slides ran ahead of it (%s)`, async (_what, reads) => {
      const commits: CheckpointCommit[] = [];
      const enqueue = CheckpointStore.prototype.enqueue;
      vi.spyOn(CheckpointStore.prototype, 'enqueue').mockImplementation(function (this: CheckpointStore, c, o) {
        commits.push(c);
        return enqueue.call(this, c, o);
      });
      try {
        await run({ store, shape: { window: 4000, slide: 2000, filter: false }, reads, jump: 3 }, 9);
      } finally {
        vi.restoreAllMocks();
      }
      // Batch time → the window's time in its commit: the last slide at or before the batch.
      const times = commits.flatMap((c) => {
        const meta = c.meta as { lastCompletedTime: number; streams: Record<string, { time: number | null }> } | undefined;
        return meta?.streams['n:w'] === undefined ? [] : [[meta.lastCompletedTime, meta.streams['n:w']!.time]];
      });
      expect(times).toEqual([
        [1000, null],
        [2000, 2000],
        [3000, 2000],
        [4000, 4000],
        [5000, 4000],
        [6000, 6000],
        [7000, 6000],
        [8000, 8000],
        [9000, 8000],
      ]);
    });

    it(`${store} store: the second slide read before the first (both generated at once): each window as when nothing reads it early`, async () => {
      const shape: Shape = { window: 3000, slide: 1000, filter: true };
      const reference = await run({ store: 'memory', shape, reads: lazily, jump: 1 }, 6);
      const eager = await run({ store, shape, reads: (t) => t % 3000 !== 1000, jump: 3 }, 6);
      expect([...eager]).toEqual([...reference]);
    });
  }
});
