// countByWindow as Spark's (map(_ => 1).reduceByWindow(+, -), one key): no element for the windows
// before the stream's first element, `[0]` for an empty window after it — across a restart too,
// whose window holds nothing by then (the checkpoint remembers an element was counted). It gave
// `[0]` from the first batch, where Spark and this project's own reduceByWindow(+, -) give nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs `queue` (one element per batch) from clock `at` on checkpoint `dir`; each batch's countByWindow(2000, 1000). */
async function run(dir: string, queue: number[][], at: number): Promise<[number, number[]][]> {
  const out: [number, number[]][] = [];
  const clock = new ManualClock(at);
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    const c = new StreamingContext({ batchDuration: 1000, clock });
    c.checkpoint(dir);
    c.queueStream(queue.map((b) => [...b])).countByWindow(2000, 1000).foreachRDD((rdd, t) => void out.push([t, rdd.collect()]));
    return c;
  });
  await ssc.start();
  for (let i = 0; i < queue.length; i++) await clock.advance(1000);
  await ssc.stop();
  return out;
}

describe('countByWindow before and after the first element', () => {
  it('gives nothing until the first element, [0] for empty windows after it, also after a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'count-by-window-first-'));
    dirs.push(dir);
    expect(await run(dir, [[], [], [7, 8], [], []], 0)).toEqual([
      [1000, []],
      [2000, []],
      [3000, [2]],
      [4000, [2]],
      [5000, [0]],
    ]);
    // Resumed: the window holds only empty batches by now, and the stream had an element.
    expect(await run(dir, [[], []], 5000)).toEqual([
      [6000, [0]],
      [7000, [0]],
    ]);
  });

  it('a stream that never had an element gives nothing, also after a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'count-by-window-none-'));
    dirs.push(dir);
    expect(await run(dir, [[], []], 0)).toEqual([
      [1000, []],
      [2000, []],
    ]);
    expect(await run(dir, [[], [3]], 2000)).toEqual([
      [3000, []],
      [4000, [1]],
    ]);
  });

  it('an element in a batch no window takes (window shorter than the slide) counts nowhere, with or without a checkpoint', async () => {
    const outputs: string[][] = [];
    for (const withCheckpoint of [false, true]) {
      const clock = new ManualClock(0);
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      if (withCheckpoint) {
        const dir = mkdtempSync(path.join(tmpdir(), 'count-by-window-gap-'));
        dirs.push(dir);
        ssc.checkpoint(dir);
      }
      // Windows (1000, 2000] and (3000, 4000]: batch 1000's elements lie in neither.
      const s = ssc.queueStream([['x', 'y'], [], [], []]);
      const out: string[] = [];
      s.countByWindow(1000, 2000).foreachRDD((rdd, t) => void out.push(`${t} count ${JSON.stringify(rdd.collect())}`));
      // What Spark defines it as (an inverse reduce needs the checkpoint).
      if (withCheckpoint) {
        s.map(() => 1)
          .reduceByWindow((a, b) => a + b, (a, b) => a - b, 1000, 2000)
          .foreachRDD((rdd, t) => void out.push(`${t} ones ${JSON.stringify(rdd.collect())}`));
      }
      await ssc.start();
      for (let i = 0; i < 4; i++) await clock.advance(1000);
      await ssc.stop();
      outputs.push(out);
    }
    expect(outputs[0]!.sort()).toEqual(['2000 count []', '4000 count []']);
    expect(outputs[1]!.sort()).toEqual(['2000 count []', '2000 ones []', '4000 count []', '4000 ones []']);
  });
});
