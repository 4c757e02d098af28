// Spark's WindowOperationsSuite, keyed part: reduceByKeyAndWindow without and with an inverse
// (with and without a filter), groupByKeyAndWindow, countByValueAndWindow. Batches of 1 s;
// outputs compared per batch as sets, as Spark does.
import { describe, expect, it } from 'vitest';
import { Seconds, type DStream } from '../../src/index.js';
import { asSets, runStream } from './helpers.js';

type KV = [string, number];

const largerSlideInput: KV[][] = [
  [['a', 1]],
  [['a', 2]], // 1st window from here
  [['a', 3]],
  [['a', 4]], // 2nd window from here
  [['a', 5]],
  [['a', 6]], // 3rd window from here
  [],
  [], // 4th window from here
];
const largerSlideReduceOutput: KV[][] = [[['a', 3]], [['a', 10]], [['a', 18]], [['a', 11]]];

const bigInput: KV[][] = [
  [['a', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1], ['b', 1], ['c', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1]],
  [],
  [['a', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1], ['b', 1], ['c', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1]],
  [],
];

const bigGroupByOutput: [string, number[]][][] = [
  [['a', [1]]],
  [['a', [1, 1]], ['b', [1]]],
  [['a', [1, 1]], ['b', [1, 1]], ['c', [1]]],
  [['a', [1, 1]], ['b', [1, 1]], ['c', [1]]],
  [['a', [1, 1]], ['b', [1]]],
  [['a', [1]]],
  [['a', [1]]],
  [['a', [1, 1]], ['b', [1]]],
  [['a', [1, 1]], ['b', [1, 1]], ['c', [1]]],
  [['a', [1, 1]], ['b', [1, 1]], ['c', [1]]],
  [['a', [1, 1]], ['b', [1]]],
  [['a', [1]]],
];

const bigReduceOutput: KV[][] = [
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1]],
  [['a', 1]],
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1]],
  [['a', 1]],
];

// With an inverse but no filter no key leaves the window's state, even at 0.
const bigReduceInvOutput: KV[][] = [
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1], ['c', 0]],
  [['a', 1], ['b', 0], ['c', 0]],
  [['a', 1], ['b', 0], ['c', 0]],
  [['a', 2], ['b', 1], ['c', 0]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1], ['c', 0]],
  [['a', 1], ['b', 0], ['c', 0]],
];

const add = (x: number, y: number) => x + y;
const sub = (x: number, y: number) => x - y;

type Form = 'naive' | 'inverse' | 'filtered inverse';

function operation(form: Form, windowDuration: number, slideDuration: number) {
  return (s: DStream<KV>) => {
    if (form === 'naive') return s.reduceByKeyAndWindow(add, windowDuration, slideDuration);
    const filterFunc = form === 'filtered inverse' ? (kv: KV) => kv[1] !== 0 : undefined;
    return s
      .reduceByKeyAndWindow(add, sub, windowDuration, slideDuration, { filterFunc })
      .persist()
      .checkpoint(slideDuration * 100); // as Spark's test: a large interval
  };
}

async function testReduce(
  form: Form,
  input: KV[][],
  expected: KV[][],
  windowDuration = Seconds(2),
  slideDuration = Seconds(1),
) {
  const numBatches = expected.length * (slideDuration / 1000);
  const run = await runStream(input, operation(form, windowDuration, slideDuration), numBatches, {
    checkpoint: form !== 'naive',
  });
  expect(asSets(run.outputs)).toEqual(asSets(expected));
  expect(run.times).toEqual(expected.map((_, i) => (i + 1) * slideDuration));
}

for (const form of ['naive', 'inverse'] as const) {
  describe(`reduceByKeyAndWindow (${form})`, () => {
    it('basic reduction', () => testReduce(form, [[['a', 1], ['a', 3]]], [[['a', 4]]]));

    it('key already in window and new value added into window', () =>
      testReduce(form, [[['a', 1]], [['a', 1]]], [[['a', 1]], [['a', 2]]]));

    it('new key added into window', () =>
      testReduce(form, [[['a', 1]], [['a', 1], ['b', 1]]], [[['a', 1]], [['a', 2], ['b', 1]]]));

    it('key removed from window', () =>
      testReduce(
        form,
        [[['a', 1]], [['a', 1]], [], []],
        // The inverse keeps the key at 0.
        form === 'naive' ? [[['a', 1]], [['a', 2]], [['a', 1]], []] : [[['a', 1]], [['a', 2]], [['a', 1]], [['a', 0]]],
      ));

    it('larger slide time', () =>
      testReduce(form, largerSlideInput, largerSlideReduceOutput, Seconds(4), Seconds(2)));

    it('big test', () => testReduce(form, bigInput, form === 'naive' ? bigReduceOutput : bigReduceInvOutput));
  });
}

describe('reduceByKeyAndWindow (inverse and filter functions)', () => {
  it('big test', () => testReduce('filtered inverse', bigInput, bigReduceOutput));

  it('non-overlapping windows (window shorter than the slide)', async () => {
    const input: KV[][] = [[['a', 1]], [['a', 2], ['b', 1]], [['b', 3]], [['a', 4]], [['c', 5]], [['a', 6]]];
    const expected: KV[][] = [[['a', 2], ['b', 4]], [['c', 5], ['a', 6]]];
    await testReduce('filtered inverse', input, expected, Seconds(2), Seconds(3));
    await testReduce('naive', input, expected, Seconds(2), Seconds(3));
  });

  it('agrees with the naive form on a long random run (window 5, slide 2)', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const input: KV[][] = Array.from({ length: 40 }, () =>
      Array.from({ length: Math.floor(rand() * 8) }, (): KV => [`k${Math.floor(rand() * 6)}`, 1 + Math.floor(rand() * 5)]),
    );
    const naive = await runStream(input, operation('naive', Seconds(5), Seconds(2)), 44);
    const inverse = await runStream(input, operation('filtered inverse', Seconds(5), Seconds(2)), 44, {
      checkpoint: true,
    });
    expect(inverse.times).toEqual(naive.times);
    expect(asSets(inverse.outputs)).toEqual(asSets(naive.outputs));
  });

  it('invF null is the form without an inverse (filterFunc still applies)', async () => {
    const run = await runStream(
      bigInput,
      (s) => s.reduceByKeyAndWindow(add, null, Seconds(2), Seconds(1), { filterFunc: (kv) => kv[0] !== 'b' }),
      12,
    );
    expect(asSets(run.outputs)).toEqual(asSets(bigReduceOutput.map((b) => b.filter(([k]) => k !== 'b'))));
  });

  it('numPartitions sets the output partitions; keys compare by value (tuple keys)', async () => {
    type TK = [[string, string], number];
    const input: TK[][] = [[[['fr', 'paris'], 1], [['fr', 'lyon'], 1]], [[['fr', 'paris'], 2]], []];
    const run = await runStream(
      input,
      (s) =>
        s
          .reduceByKeyAndWindow(add, sub, Seconds(2), Seconds(1), { numPartitions: 3 })
          .glom()
          .map((part) => part.length),
      3,
      { checkpoint: true },
    );
    for (const parts of run.outputs) expect(parts).toHaveLength(3);
    const values = await runStream(input, (s) => s.reduceByKeyAndWindow(add, sub, Seconds(2), Seconds(1)), 3, {
      checkpoint: true,
    });
    expect(asSets(values.outputs)).toEqual(
      asSets([
        [[['fr', 'paris'], 1], [['fr', 'lyon'], 1]],
        [[['fr', 'paris'], 3], [['fr', 'lyon'], 1]],
        [[['fr', 'paris'], 2], [['fr', 'lyon'], 0]],
      ]),
    );
  });

  it('the state moves at every slide even when the output reads it less often', async () => {
    // The output (a window of 1 s sliding every 2 s) reads the inverse window only at even times.
    const run = await runStream(
      bigInput,
      (s) => s.reduceByKeyAndWindow(add, sub, Seconds(2), Seconds(1)).window(Seconds(1), Seconds(2)),
      12,
      { checkpoint: true },
    );
    expect(asSets(run.outputs)).toEqual(asSets(bigReduceInvOutput.filter((_, i) => i % 2 === 1)));
  });

  it('a slide costs what enters and leaves, not the window length', async () => {
    // Same input every batch: count the calls of f and invF per batch once the window is full.
    const batch: KV[] = Array.from({ length: 50 }, (_, i): KV => [`k${i % 10}`, 1]);
    const callsPerBatch = async (windowBatches: number) => {
      let calls = 0;
      const counted = (g: (a: number, b: number) => number) => (a: number, b: number) => (calls++, g(a, b));
      const perBatch: number[] = [];
      const n = windowBatches + 5;
      await runStream(
        Array.from({ length: n }, () => batch),
        (s) => {
          const w = s.reduceByKeyAndWindow(counted(add), counted(sub), windowBatches * 1000, 1000);
          w.foreachRDD(() => void perBatch.push(calls));
          return w;
        },
        n,
        { checkpoint: true },
      );
      return perBatch[n - 1]! - perBatch[n - 2]!;
    };
    const small = await callsPerBatch(3);
    const large = await callsPerBatch(60);
    expect(large).toBe(small);
  });
});

describe('groupByKeyAndWindow', () => {
  it('big test', async () => {
    const run = await runStream(bigInput, (s) => s.groupByKeyAndWindow(Seconds(2), Seconds(1)), 12);
    expect(asSets(run.outputs)).toEqual(asSets(bigGroupByOutput));
  });

  it('values come oldest first and batches are never modified', async () => {
    const input: KV[][] = [[['a', 1], ['a', 2]], [['a', 3]], [['a', 4]]];
    const run = await runStream(input, (s) => s.groupByKeyAndWindow(Seconds(2)), 3, { defaultParallelism: 1 });
    expect(run.outputs).toEqual([[['a', [1, 2]]], [['a', [1, 2, 3]]], [['a', [3, 4]]]]);
  });
});

describe('countByValueAndWindow', () => {
  it('counts per value over the window', async () => {
    const run = await runStream(
      [['a'], ['b', 'b'], ['a', 'b']],
      (s) => s.countByValueAndWindow(Seconds(2), Seconds(1)),
      3,
    );
    expect(asSets(run.outputs)).toEqual(
      asSets([
        [['a', 1]],
        [['a', 1], ['b', 2]],
        [['a', 1], ['b', 3]],
      ]),
    );
  });

  it('values whose count fell to 0 leave (no checkpoint directory needed)', async () => {
    const run = await runStream([['a'], ['b'], [], []], (s) => s.countByValueAndWindow(Seconds(2), Seconds(1)), 4);
    expect(run.outputs.map((b) => asSets(b))).toEqual([
      asSets([['a', 1]]),
      asSets([['a', 1], ['b', 1]]),
      asSets([['b', 1]]),
      [],
    ]);
  });
});
