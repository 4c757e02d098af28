// Operator semantics a review found off Spark's, each pinned here: a shuffle reads a cached RDD's
// cache; DStream.reduce reads its batch once; tuple keys with NaN, ±Infinity, null and bigints
// compare by value; fold and foldByKey start each partition (and each key in it) from a copy of the
// zero, as Spark's; NaN sorts after every number, bigints by value and kinds by kind;
// foreachPartition leaves no rejection unhandled; pprint writes bigints inside values.
import { describe, expect, it, vi } from 'vitest';
import { RDD } from '../../src/index.js';
import { formatElement } from '../../src/util/format.js';
import { runBatches } from '../helpers/batches.js';

describe('operator semantics (Spark)', () => {
  it('a shuffle over a cached RDD reads its cache: the map before it runs once per element', () => {
    let calls = 0;
    const cached = RDD.fromArray([1, 2, 3, 4], 2)
      .map((x): [string, number] => [x % 2 ? 'odd' : 'even', (calls++, x)])
      .cache();
    cached.collect();
    const sums = new Map(cached.reduceByKey((a, b) => a + b).collect());
    expect(calls).toBe(4);
    expect(sums).toEqual(new Map([['odd', 4], ['even', 6]]));
  });

  it('DStream.reduce reads each batch once (an upstream function with a side effect sees each element once)', async () => {
    const seen = new Set<number>();
    const out = await runBatches([[1, 2, 3, 4], [5, 6], []], (s) => s.filter((x) => !seen.has(x) && !!seen.add(x)).reduce((a, b) => a + b));
    expect(out).toEqual([[10], [11], []]);
  });

  it('tuple keys holding NaN, Infinity, -Infinity, null and bigints are distinct keys, by value', () => {
    const pairs: Array<[unknown, number]> = [
      [['eu', null], 1],
      [['eu', NaN], 10],
      [['eu', Infinity], 100],
      [['eu', -Infinity], 1000],
      [['eu', NaN], 10_000],
      [['u', 1n], 1],
      [['u', 1n], 2],
    ];
    const sums = RDD.fromArray(pairs, 2)
      .reduceByKey((a, b) => a + b)
      .collect()
      .map(([k, v]) => `${String((k as unknown[])[1])}=${v}`)
      .sort();
    expect(sums).toEqual(['-Infinity=1000', '1=3', 'Infinity=100', 'NaN=10010', 'null=1']);
    expect(RDD.fromArray<[unknown, string]>([[['x', NaN], 'a']], 1).join(RDD.fromArray<[unknown, string]>([[['x', null], 'b']], 1)).collect()).toEqual([]);
  });

  it('fold and foldByKey use the zero once per partition (per key in it) and once more to merge, each a copy f may change', () => {
    // Spark: fold(1, +) over [[1, 2], [3, 4, 5]] is 1 + (1 + 1 + 2) + (1 + 3 + 4 + 5) = 18.
    expect(RDD.fromArray([1, 2, 3, 4, 5], 2).fold(1, (a, b) => a + b)).toBe(18);
    // An empty partition gives the zero: 1 + (1 + 1) + 1 + (1 + 2) = 7.
    expect(RDD.fromPartitions([[1], [], [2]]).fold(1, (a, b) => a + b)).toBe(7);
    expect(RDD.empty<number>().fold(1, (a, b) => a + b)).toBe(1);
    // Spark: 'a' with 1 and 2 in two partitions, foldByKey(1, +) is (1 + 1) + (1 + 2) = 5; 'b' in one, 1 + 7.
    const byKey = RDD.fromPartitions<[string, number]>([[['a', 1], ['b', 7]], [['a', 2]]]).foldByKey(1, (a, b) => a + b);
    expect(new Map(byKey.collect())).toEqual(new Map([['a', 5], ['b', 8]]));

    const zero: number[] = [];
    // Each value a one-element list, folded by concatenation into the zero list, changed in place.
    const folded = new Map(
      RDD.fromPartitions<[string, number[]]>([[['a', [1]]], [['b', [2]], ['a', [3]], ['a', [4]]]])
        .foldByKey(zero, (acc, v) => (acc.push(...v), acc))
        .collect(),
    );
    expect(folded).toEqual(new Map([['a', [1, 3, 4]], ['b', [2]]]));
    expect(zero).toEqual([]);
    const z = { n: 0 };
    expect(RDD.fromArray([{ n: 1 }, { n: 2 }], 2).fold(z, (a, b) => ((a.n += b.n), a))).toEqual({ n: 3 });
    expect(z).toEqual({ n: 0 });
  });

  it('NaN sorts after every number; undefined before null before the rest', () => {
    expect(RDD.fromArray([3, NaN, 1, 2, 5, 4], 2).sortBy((x) => x).collect()).toEqual([1, 2, 3, 4, 5, NaN]);
    expect(RDD.fromArray([3, 1, NaN, 2, 5, 4], 2).top(3)).toEqual([NaN, 5, 4]);
    expect(RDD.fromArray<unknown>([1, null, undefined], 1).sortBy((x) => x).collect()).toEqual([undefined, null, 1]);
  });

  it('bigints sort by value, among numbers too, in sortBy, sortByKey, top, takeOrdered, min and max', () => {
    const big = RDD.fromArray([10n, 9n, 100n, -3n, 2n ** 70n], 2);
    expect(big.sortBy((x) => x).collect()).toEqual([-3n, 9n, 10n, 100n, 2n ** 70n]);
    expect(big.top(2)).toEqual([2n ** 70n, 100n]);
    expect(big.takeOrdered(2)).toEqual([-3n, 9n]);
    expect(big.min()).toBe(-3n);
    expect(big.max()).toBe(2n ** 70n);
    const keyed = big.map((k): [bigint, string] => [k, String(k)]).sortByKey(false);
    expect(keyed.keys().collect()).toEqual([2n ** 70n, 100n, 10n, 9n, -3n]);
    expect(RDD.fromArray<number | bigint>([10n, 9.5, 100, 1n, NaN, -Infinity, Infinity], 3).sortBy((x) => x).collect()).toEqual([
      -Infinity, 1n, 9.5, 10n, 100, Infinity, NaN,
    ]);
    expect(RDD.fromArray([[1, 10n], [1, 9n]]).sortBy((x) => x).collect()).toEqual([[1, 9n], [1, 10n]]);
  });

  it('values of different kinds sort by kind, a total order (text would put 10 between 9 and "9")', () => {
    const mixed = [{ b: 1n }, 'b', 10, true, [1], '9', 8n, null, false, 'a', [0, 'x'], undefined, 9, { a: 1 }];
    const expected = [undefined, null, false, true, 8n, 9, 10, '9', 'a', 'b', [0, 'x'], [1], { a: 1 }, { b: 1n }];
    expect(RDD.fromArray<unknown>(mixed, 3).sortBy((x) => x).collect()).toEqual(expected);
    expect(RDD.fromArray<unknown>([...mixed].reverse(), 2).sortBy((x) => x).collect()).toEqual(expected);
  });

  it('foreachPartition: a partition that throws after another returned a rejected promise throws, and leaves nothing unhandled', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      // Thrown as it happens (a foreachRDD that does not return the call still fails its batch).
      expect(() =>
        RDD.fromArray([1, 2, 3, 4], 2).foreachPartition((p) => {
          if (p.includes(3)) throw new Error('sync failure');
          return Promise.reject(new Error('async failure'));
        }),
      ).toThrow('sync failure');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('pprint writes a bigint inside a pair’s value', () => {
    expect(formatElement(['k', [5n, { n: -6n }, '\u0000']])).toBe(`('k', [5,{"n":-6},"\\u0000"])`);
  });
});
