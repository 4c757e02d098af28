// The pair operations read each element as [key, value]: an element that is not an array of
// exactly two fails the batch with a TypeError naming the operation and the element (PySpark fails
// unpacking it; `for (k, v) in` refuses a 3-tuple too). Before, reduceByKey of numbers gave
// [[undefined, NaN]], a triple's third element was dropped unseen, joins were silently empty.
import { describe, expect, it } from 'vitest';
import { RDD, StateSpec, type DStream } from '../../src/index.js';
import { runBatches, runBatches2 } from '../helpers/batches.js';

const add = (a: number, b: number): number => a + b;
type Op = (s: DStream<[string, number]>) => DStream<unknown>;

/** Stream operations, each with the name its error gives. */
const STREAM_OPERATIONS: [string, Op][] = [
  ['reduceByKey', (s) => s.reduceByKey(add)],
  ['groupByKey', (s) => s.groupByKey()],
  ['combineByKey', (s) => s.combineByKey((v) => [v], (c: number[], v) => [...c, v], (a, b) => [...a, ...b])],
  ['mapValues', (s) => s.mapValues((v) => v * 2)],
  ['flatMapValues', (s) => s.flatMapValues((v) => [v])],
  ['reduceByKey', (s) => s.map((kv) => kv).reduceByKey(add, 1)], // fused after a map
  ['groupByKeyAndWindow', (s) => s.groupByKeyAndWindow(2000, 1000)],
  ['reduceByKeyAndWindow', (s) => s.reduceByKeyAndWindow(add, 2000, 1000)],
];

const NOT_PAIRS: [string, unknown, string][] = [
  ['a number', 1, 'got 1'],
  ['a triple', ['a', 1, 9], 'got an array of 3 elements, ["a",1,9]'],
  ['a one-element array', ['a'], 'got an array of 1 element, ["a"]'],
  ['an object', { k: 'a', v: 1 }, 'got {"k":"a","v":1}'],
  ['a string', 'ab', 'got "ab"'],
];

describe('stream pair operations on elements that are not pairs', () => {
  for (const [name, op] of STREAM_OPERATIONS) {
    for (const [what, element, said] of NOT_PAIRS) {
      it(`${name} of ${what} fails its batch naming ${name} and the element`, async () => {
        const input = [[['a', 1], element]] as [string, number][][];
        await expect(runBatches(input, (s) => op(s))).rejects.toThrow(
          new TypeError(`${name} needs [key, value] pairs (arrays of two), ${said}`),
        );
      });
    }
  }

  for (const join of ['join', 'leftOuterJoin', 'rightOuterJoin', 'fullOuterJoin', 'cogroup'] as const) {
    it(`${join}: an element of either side that is not a pair fails naming ${join}`, async () => {
      const pairs = [[['a', 1]]] as [string, number][][];
      const numbers = [[5]] as unknown as [string, number][][];
      const joined = (a: DStream<[string, number]>, b: DStream<[string, number]>): DStream<unknown> => a[join](b) as DStream<unknown>;
      await expect(runBatches2(numbers, pairs, joined)).rejects.toThrow(`${join} needs [key, value] pairs (arrays of two), got 5`);
      await expect(runBatches2(pairs, numbers, joined)).rejects.toThrow(`${join} needs [key, value] pairs (arrays of two), got 5`);
    });
  }

  for (const stateStore of ['memory', 'disk'] as const) {
    it(`updateStateByKey and mapWithState (${stateStore} store) fail naming themselves`, async () => {
      const input = [[['a', 1], 7]] as [string, number][][];
      await expect(
        runBatches(input, (s) => s.updateStateByKey((vs: number[], st: number | undefined) => (st ?? 0) + vs.length, { stateStore }), 1, { checkpoint: true }),
      ).rejects.toThrow(new TypeError('updateStateByKey needs [key, value] pairs (arrays of two), got 7'));
      const spec = StateSpec.function((_k: string, v: number | undefined) => v).stateStore(stateStore);
      // The memory store's check names the element's kind only (its loop must not pass the element on).
      const said = stateStore === 'memory' ? 'got a number' : 'got 7';
      await expect(runBatches(input, (s) => s.mapWithState(spec), 1, { checkpoint: true })).rejects.toThrow(
        new TypeError(`mapWithState needs [key, value] pairs (arrays of two), ${said}`),
      );
    });
  }

  it('reduceByKeyAndWindow with an inverse fails naming it', async () => {
    await expect(
      runBatches([[['a', 1], 3]] as [string, number][][], (s) => s.reduceByKeyAndWindow(add, (a, b) => a - b, 2000, 1000), 1, { checkpoint: true }),
    ).rejects.toThrow(new TypeError('reduceByKeyAndWindow with an inverse function needs [key, value] pairs (arrays of two), got 3'));
  });

  it('a long element is shown cut short', async () => {
    const long = Array.from({ length: 100 }, (_, i) => i);
    const error = await runBatches([[long]] as unknown as [string, number][][], (s) => s.reduceByKey(add)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^reduceByKey needs \[key, value\] pairs \(arrays of two\), got an array of 100 elements, \[0,1,2,.{40,}…$/);
    expect((error as Error).message.length).toBeLessThan(200);
  });
});

describe('RDD pair operations on elements that are not pairs', () => {
  const bad = RDD.fromArray([['a', 1], 7] as [string, number][], 2);
  const good = RDD.fromArray([['a', 2]] as [string, number][]);
  const cases: [string, () => unknown][] = [
    ['reduceByKey', () => bad.reduceByKey(add).collect()],
    ['groupByKey', () => bad.groupByKey().collect()],
    ['combineByKey', () => bad.combineByKey((v) => v, add, add).collect()],
    ['foldByKey', () => bad.foldByKey(0, add).collect()],
    ['aggregateByKey', () => bad.aggregateByKey(0, add, add).collect()],
    ['partitionBy', () => bad.partitionBy(2).collect()],
    ['mapValues', () => bad.mapValues((v) => v).collect()],
    ['join', () => bad.join(good).collect()],
    ['cogroup', () => good.cogroup(bad).collect()],
  ];
  for (const [name, run] of cases) {
    it(`${name} throws naming ${name} and the element`, () => {
      expect(run).toThrow(new TypeError(`${name} needs [key, value] pairs (arrays of two), got 7`));
    });
  }
});

describe('pairs still work', () => {
  it('primitive, null, undefined and structured keys; values of any kind', async () => {
    const out = await runBatches(
      [[[['us', 'ny'], 1], [['us', 'ny'], 2], [null, 3], [undefined, 4], [{ a: 1 }, 5], ['k', [1, 2, 3]]]] as [unknown, unknown][][],
      (s) => s.groupByKey(1),
    );
    expect(out).toEqual([[[null, [3]], [undefined, [4]], ['k', [[1, 2, 3]]], [['us', 'ny'], [1, 2]], [{ a: 1 }, [5]]]]);
  });
});
