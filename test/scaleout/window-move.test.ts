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

async function run(input: KV[][], until: number, onWindow: (time: number, pairs: KV[]) => void, setup?: (w: ReducedWindowedDStream<string, number>) => void) {
  const dir = mkdtempSync(path.join(tmpdir(), 'window-move-'));
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: Seconds(1), clock, checkpointDir: dir });
  const w = ssc.queueStream(input.map((b) => b.slice())).reduceByKeyAndWindow((x, y) => x + y, (x, y) => x - y, Seconds(3), Seconds(1)) as ReducedWindowedDStream<string, number>;
  setup?.(w);
  w.foreachRDD((rdd, time) => onWindow(time, (rdd.collect() as KV[]).sort()));
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
});
