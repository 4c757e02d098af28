// The disk state stores read by an action inside `transform` (rdd.count(), as Spark allows): the
// state is then computed when its batch is generated, before the batch runs (and, after a clock
// jump or a restart's catch-up, before the batches before it ran). It gives what the memory store
// gives: mapWithState's mapped values (keys timing out included), stateSnapshots() and
// updateStateByKey's state, batch by batch and across a restart.
import { describe, expect, it } from 'vitest';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';
import type { StateStoreOption } from '../../src/dstream/stateStore.js';
import { tempDirs } from '../helpers/diskState.js';

const tempDir = tempDirs('dstreams-disk-transform-');
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const show = (x: unknown): string => JSON.stringify(x);

interface Run {
  ssc: StreamingContext;
  clock: ManualClock;
  out: Map<number, string>;
}

/** A context on a ManualClock with a checkpoint in `dir`. */
function context(dir: string): { ssc: StreamingContext; clock: ManualClock } {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock, defaultParallelism: 2 });
  ssc.checkpoint(dir);
  return { ssc, clock };
}

/** Runs `n` batches one at a time (a pause between them, as a clock ticking would leave). */
async function step(run: Run, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await run.clock.advance(1000);
    await pause(20);
  }
}

/** mapWithState with a timeout of 1.5 batches: key `a` gets data in batch 1 only, `b` in every batch. */
function timeoutJob(dir: string, store: StateStoreOption, action: boolean): Run {
  const { ssc, clock } = context(dir);
  const out = new Map<number, string>();
  const batches: [string, number][][] = [[['a', 1], ['b', 1], ['c', 1]], [['b', 1]], [['b', 1], ['c', 1]], [['b', 1]], [['b', 1]], [['b', 1]], [['b', 1]]];
  const mapped = ssc
    .queueStream(batches)
    .mapWithState(
      StateSpec.function((k: string, v: number | undefined, s: State<number>) => {
        if (s.isTimingOut()) return `timeout ${k} ${s.get()}`;
        s.update((s.getOption() ?? 0) + (v ?? 0));
        return `${k} ${s.get()}`;
      })
        .timeout(1500)
        .stateStore(store),
    );
  const read = action
    ? mapped.transform((rdd) => {
        rdd.count();
        return rdd;
      })
    : mapped;
  read.foreachRDD((rdd, t) => void out.set(t, show(rdd.collect().sort())));
  return { ssc, clock, out };
}

/** mapWithState's stateSnapshots() and updateStateByKey, each read by an action in a transform (or not). */
function snapshotJob(dir: string, store: StateStoreOption, action: boolean): Run {
  const { ssc, clock } = context(dir);
  const out = new Map<number, string>();
  const pairs = ssc
    .rateStream<string>({ rowsPerBatch: 3, generate: (t, i) => `k${(t / 1000 + i * 3) % 5}` })
    .map((w): [string, number] => [w, 1]);
  const m = pairs.mapWithState(
    StateSpec.function((_k: string, v: number | undefined, s: State<{ n: number; last: number[] }>) => {
      const x = s.getOption() ?? { n: 0, last: [] };
      x.n += v ?? 0;
      x.last.push(x.n);
      if (x.last.length > 2) x.last.shift();
      s.update(x);
      return x.n;
    })
      .name('m')
      .stateStore(store),
  );
  const u = pairs.updateStateByKey<{ n: number }>(
    (vs, s) => {
      const x = s ?? { n: 0 };
      x.n += vs.length;
      return x.n > 4 ? undefined : x;
    },
    { name: 'u', stateStore: store },
  );
  const counted = (rdd: { count(): number }): void => void rdd.count();
  const snaps = action ? m.stateSnapshots().transform((rdd) => (counted(rdd), rdd)) : m.stateSnapshots();
  const states = action ? u.transform((rdd) => (counted(rdd), rdd)) : u;
  snaps.foreachRDD((rdd, t) => void out.set(t, `M ${show(rdd.collect().sort())}`));
  states.foreachRDD((rdd, t) => void out.set(t, `${out.get(t)} U ${show(rdd.collect().sort())}`));
  return { ssc, clock, out };
}

describe('the disk state stores read by an action in a transform', () => {
  it('mapWithState times idle keys out as the memory store does', async () => {
    const memory = timeoutJob(tempDir(), 'memory', true);
    await memory.ssc.start();
    await step(memory, 7);
    await memory.ssc.stop();
    expect([...memory.out.values()].join(' ')).toMatch(/timeout a 1/);

    const disk = timeoutJob(tempDir(), 'disk', true);
    await disk.ssc.start();
    await step(disk, 7);
    await disk.ssc.stop();
    expect([...disk.out]).toEqual([...memory.out]);
    const plain = timeoutJob(tempDir(), 'disk', false);
    await plain.ssc.start();
    await step(plain, 7);
    await plain.ssc.stop();
    expect([...plain.out]).toEqual([...memory.out]);
  });

  it.each([
    ['one batch at a time', false],
    ['batches generated together (a clock jump)', true],
  ])('stateSnapshots() and updateStateByKey give the memory store’s state, %s', async (_what, jump) => {
    const memory = snapshotJob(tempDir(), 'memory', false);
    await memory.ssc.start();
    await step(memory, 6);
    await memory.ssc.stop();

    const disk = snapshotJob(tempDir(), 'disk', true);
    await disk.ssc.start();
    if (jump) await disk.clock.advance(6000);
    else await step(disk, 6);
    await disk.ssc.stop();
    expect(disk.out.size).toBe(6);
    expect([...disk.out].sort((a, b) => a[0] - b[0])).toEqual([...memory.out].sort((a, b) => a[0] - b[0]));
  });

  it('goes on exactly across a restart whose catch-up generates its batches together', async () => {
    const reference = snapshotJob(tempDir(), 'memory', false);
    await reference.ssc.start();
    await step(reference, 10);
    await reference.ssc.stop();

    const dir = tempDir();
    const first = snapshotJob(dir, 'disk', true);
    await first.ssc.start();
    await first.clock.advance(6000);
    await first.ssc.stop();
    let next: Run | undefined;
    const resumed = await StreamingContext.getOrCreate(dir, () => (next = snapshotJob(dir, 'disk', true)).ssc);
    await resumed.start();
    expect(resumed.recoveredFrom).toBe(6000);
    await next!.clock.advance(10_000);
    await resumed.stop();
    const got = new Map([...first.out, ...next!.out]);
    for (let t = 1000; t <= 10_000; t += 1000) expect(got.get(t), `batch ${t}`).toBe(reference.out.get(t));
  });
});
