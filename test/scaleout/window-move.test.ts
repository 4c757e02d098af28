// A window with an inverse function moving between copies (what the window changelog carries,
// without Kafka): copy A reports each slide's changes (onSlide); copy B, which had only key "a",
// takes key "b" over with A's values and batches (editState) and goes on. B's windows must then
// equal those of one process that saw everything — including when A's batches leave the window
// (their values are subtracted with the inverse function).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManualClock, ReducedWindowedDStream, Seconds, StreamingContext } from '../../src/index.js';

type KV = [string, number];
const batches: KV[][] = Array.from({ length: 9 }, (_, i) => [
  ['a', i + 1],
  ['b', 10 * (i + 1)],
  ['b', 1],
]);

async function run(
  input: KV[][],
  until: number,
  onWindow: (time: number, pairs: KV[]) => void,
  setup?: (w: ReducedWindowedDStream<string, number>) => void,
  slide = Seconds(1),
  stepping = false,
) {
  const dir = mkdtempSync(path.join(tmpdir(), 'window-move-'));
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: Seconds(1), clock, checkpointDir: dir });
  const source = ssc.queueStream(input.map((b) => b.slice()));
  const w = source.reduceByKeyAndWindow((x, y) => x + y, (x, y) => x - y, Seconds(3), slide) as ReducedWindowedDStream<string, number>;
  if (stepping) w.stepEveryBatch();
  setup?.(w);
  w.foreachRDD((rdd, time) => onWindow(time, (rdd.collect() as KV[]).sort()));
  // What a scaled-out copy does when each batch commits (WindowChangelog.beforeCommit).
  if (stepping) source.foreachRDD((_rdd, time) => w.stepTo(time));
  await ssc.start();
  return {
    w,
    advance: async (n: number) => {
      for (let i = 0; i < n; i++) await clock.advance(1000);
    },
    stop: async () => {
      await ssc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('a window with an inverse function moving to another copy', () => {
  it('goes on exactly as one process would, the moved batches leaving the window on time', async () => {
    const reference = new Map<number, KV[]>();
    const one = await run(batches, 9, (t, p) => void reference.set(t, p));
    await one.advance(9);
    await one.stop();

    // Copy A: every key, batches 1–4; keeps what its changelog would hold for key "b".
    const values = new Map<string, number>();
    const slices = new Map<number, KV[]>();
    const a = await run(batches.slice(0, 4), 4, () => undefined, (w) =>
      w.onSlide((c) => {
        for (const [k, v] of c.values) if (k === 'b') (v === undefined ? values.delete(k) : values.set(k, v));
        for (const [t, pairs] of c.slicesAdded) slices.set(t, pairs.filter(([k]) => k === 'b'));
        for (const t of c.slicesRemoved) slices.delete(t);
      }),
    );
    await a.advance(4);
    await a.stop();

    // Copy B: only "a" for batches 1–4, then takes "b" over and reads everything from batch 5 on.
    const got = new Map<number, KV[]>();
    const input = [...batches.slice(0, 4).map((b) => b.filter(([k]) => k === 'a')), ...batches.slice(4)];
    const b = await run(input, 9, (t, p) => void got.set(t, p));
    await b.advance(4);
    b.w.editState((k) => k === 'b', [...values], [...slices].sort((x, y) => x[0] - y[0]));
    await b.advance(5);
    await b.stop();
    for (const t of [5000, 6000, 7000, 8000, 9000]) expect(got.get(t), `window at ${t}`).toEqual(reference.get(t));
  });

  it('a window sliding every 2 batches steps every batch when scaled out: same windows, and it moves between two slides', async () => {
    const slide = Seconds(2);
    const reference = new Map<number, KV[]>();
    const one = await run(batches, 9, (t, p) => void reference.set(t, p), undefined, slide);
    await one.advance(9);
    await one.stop();
    expect([...reference.keys()]).toEqual([2000, 4000, 6000, 8000]);

    // Copy A steps every batch: batches 1–5 (the last one between two slides), keeping what its changelog would hold for "b".
    const values = new Map<string, number>();
    const slices = new Map<number, KV[]>();
    const seenA = new Map<number, KV[]>();
    const a = await run(batches.slice(0, 5), 5, (t, p) => void seenA.set(t, p), (w) =>
      w.onSlide((c) => {
        for (const [k, v] of c.values) if (k === 'b') (v === undefined ? values.delete(k) : values.set(k, v));
        for (const [t, pairs] of c.slicesAdded) slices.set(t, pairs.filter(([k]) => k === 'b'));
        for (const t of c.slicesRemoved) slices.delete(t);
      }), slide, true);
    await a.advance(5);
    await a.stop();
    expect(seenA.get(2000)).toEqual(reference.get(2000));
    expect(seenA.get(4000)).toEqual(reference.get(4000));
    expect(slices.has(5000)).toBe(true); // batch 5 is in the changelog though no slide took it yet

    // Copy B: only "a" for batches 1–5, then takes "b" over and reads everything from batch 6 on.
    const got = new Map<number, KV[]>();
    const input = [...batches.slice(0, 5).map((b) => b.filter(([k]) => k === 'a')), ...batches.slice(5)];
    const b = await run(input, 9, (t, p) => void got.set(t, p), undefined, slide, true);
    await b.advance(5);
    b.w.editState((k) => k === 'b', [...values], [...slices].sort((x, y) => x[0] - y[0]));
    await b.advance(4);
    await b.stop();
    for (const t of [6000, 8000]) expect(got.get(t), `window at ${t}`).toEqual(reference.get(t));
  });
});
