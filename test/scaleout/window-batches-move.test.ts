// A window without an inverse function (window, countByWindow) moving to another copy: what the
// window-batches changelog carries, without Kafka. Copy A cuts each parent batch by task
// (byTask) and keeps task 1's slices as its changelog would; copy B owned only task 0, gains task
// 1 with A's slices and goes on. B's windows must equal those of one process that saw everything,
// including while the moved batches leave the window.
import { describe, expect, it } from 'vitest';
import { CountByWindowDStream, ManualClock, RDD, Seconds, StreamingContext, WindowedDStream, type DStream } from '../../src/index.js';

type KV = [string, number];
const batches: KV[][] = Array.from({ length: 9 }, (_, i) => [
  ['a', i + 1],
  ['b', 10 * (i + 1)],
  ['b', 1],
]);
const taskOf = (k: string): number => (k === 'a' ? 0 : 1);
const split = (rdd: RDD<KV>): Map<number, KV[]> => {
  const out = new Map<number, KV[]>();
  for (const kv of rdd.collect()) out.set(taskOf(kv[0]), [...(out.get(taskOf(kv[0])) ?? []), kv]);
  return out;
};

type Kind = 'window' | 'countByWindow';

async function run(kind: Kind, input: KV[][], onWindow: (time: number, out: unknown) => void, tasks?: { owned: Set<number>; slices?: Map<number, KV[] | number> }) {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: Seconds(1), clock });
  const pairs = ssc.queueStream(input.map((b) => b.slice()));
  let w: DStream<unknown>;
  let tb: { at(t: number): Map<number, unknown>; put(t: number, task: number, s: never): void } | undefined;
  if (kind === 'window') {
    const win = pairs.window(Seconds(3), Seconds(1)) as WindowedDStream<KV>;
    if (tasks) tb = win.byTask(split, (t) => tasks.owned.has(t)) as never;
    w = win.reduceByKey((x, y) => x + y) as DStream<unknown>;
  } else {
    const win = pairs.countByWindow(Seconds(3), Seconds(1)) as CountByWindowDStream<KV>;
    if (tasks) tb = win.byTask(split, (t) => tasks.owned.has(t)) as never;
    w = win as DStream<unknown>;
  }
  w.foreachRDD((rdd, time) => {
    onWindow(time, (rdd.collect() as unknown[]).sort());
    // What the changelog would write of task 1 at this batch.
    const s = tb?.at(time).get(1);
    if (s !== undefined) tasks?.slices?.set(time, s as KV[] | number);
  });
  await ssc.start();
  return {
    tb,
    advance: async (n: number) => {
      for (let i = 0; i < n; i++) await clock.advance(1000);
    },
    stop: () => ssc.stop(),
  };
}

describe('a window without an inverse function moving to another copy (slices by task)', () => {
  for (const kind of ['window', 'countByWindow'] as const) {
    it(`${kind}: goes on exactly as one process would, the moved batches leaving the window on time`, async () => {
      const reference = new Map<number, unknown>();
      const one = await run(kind, batches, (t, p) => void reference.set(t, p));
      await one.advance(9);
      await one.stop();

      // Copy A owns both tasks for batches 1–4 and keeps task 1's slices.
      const slices = new Map<number, KV[] | number>();
      const a = await run(kind, batches.slice(0, 4), () => undefined, { owned: new Set([0, 1]), slices });
      await a.advance(4);
      await a.stop();

      // Copy B: only task 0's records for batches 1–4, then gains task 1 (A's slices) and reads everything.
      const got = new Map<number, unknown>();
      const owned = new Set([0]);
      const input = [...batches.slice(0, 4).map((b) => b.filter(([k]) => k === 'a')), ...batches.slice(4)];
      const b = await run(kind, input, (t, p) => void got.set(t, p), { owned });
      await b.advance(4);
      expect(got.get(4000)).not.toEqual(reference.get(4000)); // B did not have task 1 yet
      owned.add(1);
      for (const [t, s] of slices) if (t > 4000 - 3000) b.tb!.put(t, 1, s as never);
      await b.advance(5);
      await b.stop();
      for (const t of [5000, 6000, 7000, 8000, 9000]) expect(got.get(t), `window at ${t}`).toEqual(reference.get(t));
    });
  }

  it('a task lost leaves the window at once', async () => {
    const got = new Map<number, unknown>();
    const owned = new Set([0, 1]);
    const b = await run('countByWindow', batches, (t, p) => void got.set(t, p), { owned });
    await b.advance(3);
    expect(got.get(3000)).toEqual([9]);
    owned.delete(1);
    await b.advance(1);
    expect(got.get(4000)).toEqual([3]); // task 0's records of batches 2–4 only
    await b.stop();
  });
});
