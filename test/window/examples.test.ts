// The two windowed examples (Listings 7.9 and 7.10), driven by queueStream and a ManualClock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BATCH_DURATION as INVERSE_BATCH,
  windowedInverseWordCount,
} from '../../examples/windowed-inverse-wordcount.js';
import { BATCH_DURATION, dateLine, windowedWordCount } from '../../examples/windowed-wordcount.js';
import { ManualClock, StreamingContext, type DStream } from '../../src/index.js';
import { asSet } from './helpers.js';

/** Collects a stream's RDDs by batch time. */
function collect<T>(stream: DStream<T>): Map<number, T[]> {
  const out = new Map<number, T[]>();
  stream.foreachRDD((rdd, time) => void out.set(time, rdd.collect()));
  return out;
}

describe('examples/windowed-wordcount (Listing 7.9: window(10 s, 10 s) over 5 s batches)', () => {
  it('prints the last 10 s of lines every 10 s, and their words counted', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: BATCH_DURATION, clock });
    // One line a second: batch t holds seconds [t - 5, t).
    const batches = [0, 1, 2, 3].map((b) => [0, 1, 2, 3, 4].map((s) => `line ${b * 5 + s}`));
    const { windowed, counts } = windowedWordCount(ssc.queueStream(batches));
    const lines = collect(windowed);
    const words = collect(counts);
    await ssc.start();
    for (let i = 0; i < 4; i++) await clock.advance(BATCH_DURATION);
    await ssc.stop();

    // Only at 10 s and 20 s; each window is two batches, oldest first.
    expect([...lines.keys()]).toEqual([10_000, 20_000]);
    expect(lines.get(10_000)).toEqual(Array.from({ length: 10 }, (_, s) => `line ${s}`));
    expect(lines.get(20_000)).toEqual(Array.from({ length: 10 }, (_, s) => `line ${s + 10}`));
    expect([...words.keys()]).toEqual([10_000, 20_000]);
    expect(words.get(10_000)).toEqual([
      ['line', 10],
      ...['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].map((w) => [w, 1]),
    ]);
    expect(words.get(20_000)![0]).toEqual(['line', 10]);
  });

  it('dateLine looks like `date`', () => {
    expect(dateLine(new Date(2017, 9, 23, 9, 28, 5).getTime())).toBe('Mon 23 Oct 09:28:05 2017');
  });
});

describe('examples/windowed-inverse-wordcount (Listing 7.10: inverse and filter functions)', () => {
  it('counts words over 30 s every 10 s; words whose count falls to 0 are dropped', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: INVERSE_BATCH, clock });
    const dir = mkdtempSync(join(tmpdir(), 'dstreams-example-'));
    ssc.checkpoint(dir);
    const batches = [['the quick brown fox'], ['the lazy dog'], [], ['a dog'], [], [], []];
    const counts = collect(windowedInverseWordCount(ssc.queueStream(batches.slice())));
    try {
      await ssc.start();
      for (let i = 0; i < batches.length; i++) await clock.advance(INVERSE_BATCH);
    } finally {
      await ssc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const expected: Record<number, [string, number][]> = {
      10_000: [['the', 1], ['quick', 1], ['brown', 1], ['fox', 1]],
      20_000: [['the', 2], ['quick', 1], ['brown', 1], ['fox', 1], ['lazy', 1], ['dog', 1]],
      30_000: [['the', 2], ['quick', 1], ['brown', 1], ['fox', 1], ['lazy', 1], ['dog', 1]],
      // The first batch left: its words at 0 are gone.
      40_000: [['the', 1], ['lazy', 1], ['dog', 2], ['a', 1]],
      50_000: [['dog', 1], ['a', 1]],
      60_000: [['dog', 1], ['a', 1]],
      70_000: [],
    };
    expect([...counts.keys()]).toEqual(Object.keys(expected).map(Number));
    for (const [t, pairs] of Object.entries(expected)) expect(asSet(counts.get(Number(t))!)).toEqual(asSet(pairs));
  });

  it('needs a checkpoint directory', async () => {
    const ssc = new StreamingContext({ batchDuration: INVERSE_BATCH, clock: new ManualClock(0) });
    windowedInverseWordCount(ssc.queueStream<string>([])).pprint();
    await expect(ssc.start()).rejects.toThrow(/checkpoint\(dir\)/);
  });
});
