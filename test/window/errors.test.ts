import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, Seconds, StreamingContext, type DStream } from '../../src/index.js';

function context(): { ssc: StreamingContext; pairs: DStream<[string, number]>; clock: ManualClock } {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: Seconds(1), clock });
  return { ssc, pairs: ssc.queueStream<[string, number]>([]), clock };
}

const add = (a: number, b: number) => a + b;
const sub = (a: number, b: number) => a - b;

describe('window durations', () => {
  const operations: Record<string, (s: DStream<[string, number]>, w: number, sl?: number) => unknown> = {
    window: (s, w, sl) => s.window(w, sl),
    countByWindow: (s, w, sl) => s.countByWindow(w, sl),
    reduceByWindow: (s, w, sl) => s.reduceByWindow((a) => a, null, w, sl),
    'reduceByWindow (inverse)': (s, w, sl) => s.reduceByWindow((a) => a, (a) => a, w, sl),
    countByValueAndWindow: (s, w, sl) => s.countByValueAndWindow(w, sl),
    groupByKeyAndWindow: (s, w, sl) => s.groupByKeyAndWindow(w, sl),
    reduceByKeyAndWindow: (s, w, sl) => s.reduceByKeyAndWindow(add, w, sl),
    'reduceByKeyAndWindow (inverse)': (s, w, sl) => s.reduceByKeyAndWindow(add, sub, w, sl),
  };

  for (const [name, op] of Object.entries(operations)) {
    it(`${name}: window and slide must be multiples of the parent's slide`, () => {
      const { pairs } = context();
      expect(() => op(pairs, 1500, 1000)).toThrow(/window duration \(1500 ms\) must be a multiple of the parent stream's slide duration \(1000 ms\)/);
      expect(() => op(pairs, 2000, 500)).toThrow(/slide duration \(500 ms\) must be a multiple/);
    });

    it(`${name}: window and slide must be positive whole milliseconds`, () => {
      const { pairs } = context();
      for (const bad of [0, -1000, 1000.5, Number.NaN]) {
        expect(() => op(pairs, bad, 1000)).toThrow(/window duration must be a positive whole number of milliseconds/);
        expect(() => op(pairs, 2000, bad)).toThrow(/slide duration must be a positive whole number of milliseconds/);
      }
    });
  }

  it('the error names the operation', () => {
    const { pairs } = context();
    expect(() => pairs.reduceByKeyAndWindow(add, sub, 2500)).toThrow(/^reduceByKeyAndWindow with an inverse function: window duration/);
    expect(() => pairs.groupByKeyAndWindow(2500)).toThrow(/^groupByKeyAndWindow: window duration/);
  });

  it("a window's windows are measured against the window's slide", () => {
    const { pairs } = context();
    const w = pairs.window(Seconds(4), Seconds(2));
    expect(() => w.window(Seconds(3))).toThrow(/multiple of the parent stream's slide duration \(2000 ms\)/);
    expect(w.window(Seconds(6)).slideDuration).toBe(Seconds(2));
  });

  it('a rejected window does not join the graph', () => {
    const { ssc, pairs } = context();
    const before = ssc.graph.streams.length;
    expect(() => pairs.reduceByKeyAndWindow(add, sub, 1500)).toThrow();
    expect(() => pairs.window(0)).toThrow();
    expect(ssc.graph.streams.length).toBe(before);
    expect(ssc.graph.checkpointReasons).toEqual([]);
  });

  it('bad functions and options are refused', () => {
    const { pairs } = context();
    expect(() => pairs.reduceByKeyAndWindow(undefined as never, 1000)).toThrow(/reduce function/);
    expect(() => pairs.reduceByKeyAndWindow(add, sub, 1000, 1000, { numPartitions: 0 })).toThrow(/numPartitions/);
    expect(() => pairs.reduceByKeyAndWindow(add, sub, 1000, 1000, { filterFunc: 1 as never })).toThrow(/filterFunc/);
  });

  it('without an inverse too, a filterFunc that is no function is refused when defined, not in the first batch', () => {
    const { pairs } = context();
    expect(() => pairs.reduceByKeyAndWindow(add, null, 2000, 1000, { filterFunc: 'v > 0' as never })).toThrow(
      new TypeError("reduceByKeyAndWindow: filterFunc must be a function, got the string 'v > 0'"),
    );
    expect(() => pairs.reduceByKeyAndWindow(add, sub, 2000, 1000, { filterFunc: 1 as never })).toThrow(
      new TypeError('reduceByKeyAndWindow with an inverse function: filterFunc must be a function, got 1'),
    );
  });

  it('a partition count is named as what it is ("2" a string) under the window operation, not the shuffle inside it', () => {
    const { pairs } = context();
    const got = "numPartitions must be a positive integer, got the string '2'";
    const two = '2' as unknown as number;
    expect(() => pairs.reduceByKeyAndWindow(add, null, 2000, 1000, { numPartitions: two })).toThrow(`reduceByKeyAndWindow: ${got}`);
    expect(() => pairs.reduceByKeyAndWindow(add, 2000, 1000, two)).toThrow(`reduceByKeyAndWindow: ${got}`);
    expect(() => pairs.reduceByKeyAndWindow(add, sub, 2000, 1000, { numPartitions: two })).toThrow(
      `reduceByKeyAndWindow with an inverse function: ${got}`,
    );
    expect(() => pairs.groupByKeyAndWindow(2000, 1000, two)).toThrow(`groupByKeyAndWindow: ${got}`);
    expect(() => pairs.groupByKeyAndWindow(2000, 1000, 0)).toThrow('groupByKeyAndWindow: numPartitions must be a positive integer, got 0');
    expect(() => pairs.countByValueAndWindow(2000, 1000, two)).toThrow(`countByValueAndWindow: ${got}`);
  });

  it('reduceByWindow: a second argument that is neither the inverse, null nor the window duration is refused by what it is', () => {
    const { pairs } = context();
    const s = pairs.map((kv) => kv[1]);
    expect(() => s.reduceByWindow(add, '3000' as never, 1000)).toThrow(
      new TypeError("reduceByWindow: the second argument is the inverse function or null (or the window duration), got the string '3000'"),
    );
    expect(s.reduceByWindow(add, 3000, 1000).slideDuration).toBe(1000);
    expect(() => s.reduceByWindow(add, 2500, 1000)).toThrow(/^reduceByWindow: window duration \(2500 ms\)/);
  });

  it('an unknown option is refused by name, where a misspelt filterFunc kept the keys at zero', () => {
    const { pairs } = context();
    expect(() => pairs.reduceByKeyAndWindow(add, sub, 1000, 1000, { filterFn: () => true } as never)).toThrow(
      "reduceByKeyAndWindow: unknown option 'filterFn'; the options are numPartitions, filterFunc, name, stateStore",
    );
  });
});

describe('checkpoint directory', () => {
  it('reduceByKeyAndWindow with an inverse function needs one: start() says to call checkpoint(dir)', async () => {
    const { ssc, pairs } = context();
    pairs.reduceByKeyAndWindow(add, sub, Seconds(2)).pprint();
    await expect(ssc.start()).rejects.toThrow(/reduceByKeyAndWindow with an inverse function.*checkpoint\(dir\)/);
  });

  it('so does reduceByWindow with an inverse function', async () => {
    const { ssc } = context();
    ssc.queueStream<number>([]).reduceByWindow(add, sub, Seconds(2), Seconds(1)).pprint();
    await expect(ssc.start()).rejects.toThrow(/reduceByWindow with an inverse function.*checkpoint\(dir\)/);
  });

  it('the forms without an inverse, countByWindow and countByValueAndWindow need none', async () => {
    const { ssc, pairs, clock } = context();
    pairs.reduceByKeyAndWindow(add, Seconds(2)).pprint();
    pairs.reduceByKeyAndWindow(add, null, Seconds(2)).pprint();
    pairs.window(Seconds(2)).countByWindow(Seconds(2), Seconds(1)).pprint();
    pairs.countByValueAndWindow(Seconds(2), Seconds(1)).pprint();
    pairs.groupByKeyAndWindow(Seconds(2)).pprint();
    const log = console.log;
    console.log = () => {};
    try {
      await ssc.start();
      await clock.advance(Seconds(3));
    } finally {
      console.log = log;
      await ssc.stop();
    }
  });

  it('with checkpoint(dir) it starts; a stream no output reads does not disturb the batches', async () => {
    const { ssc, pairs, clock } = context();
    const dir = mkdtempSync(join(tmpdir(), 'dstreams-window-'));
    try {
      ssc.checkpoint(dir);
      pairs.reduceByKeyAndWindow(add, sub, Seconds(2)); // never output
      const seen: number[] = [];
      pairs.reduceByKeyAndWindow(add, sub, Seconds(2)).foreachRDD((_, t) => void seen.push(t));
      await ssc.start();
      await clock.advance(Seconds(3));
      expect(seen).toEqual([1000, 2000, 3000]);
    } finally {
      await ssc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('window operations cannot be added after start()', async () => {
    const { ssc, pairs } = context();
    pairs.pprint();
    await ssc.start();
    try {
      expect(() => pairs.window(Seconds(2))).toThrow(/after the StreamingContext has started/);
      expect(() => pairs.reduceByKeyAndWindow(add, Seconds(2))).toThrow(/after the StreamingContext has started/);
    } finally {
      await ssc.stop();
    }
  });
});
