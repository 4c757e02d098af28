// RDD actions as Spark (and PySpark's documented examples) give them: aggregate, top/takeOrdered
// with n <= 0, min/max/sum/mean and their empty cases, counts and maps by key value, lookup.
import { describe, expect, it } from 'vitest';
import { RDD } from '../../src/index.js';

const pairs = <K, V>(...kvs: [K, V][]): [K, V][] => kvs;

describe('RDD actions (Spark semantics)', () => {
  it('aggregate folds each partition from a copy of the zero with seqOp and merges with combOp', () => {
    // PySpark's example: ((0, 0), seqOp, combOp) over [1, 2, 3, 4] gives (10, 4).
    const zero: [number, number] = [0, 0];
    const seqOp = (acc: [number, number], v: number): [number, number] => ((acc[0] += v), (acc[1] += 1), acc);
    const combOp = (a: [number, number], b: [number, number]): [number, number] => ((a[0] += b[0]), (a[1] += b[1]), a);
    expect(RDD.fromArray([1, 2, 3, 4], 2).aggregate(zero, seqOp, combOp)).toEqual([10, 4]);
    expect(zero).toEqual([0, 0]);
    expect(RDD.empty<number>().aggregate(zero, seqOp, combOp)).toEqual([0, 0]);
    // A non-neutral zero counts once per partition and once more: 1 + (1 + 1 + 2) + (1 + 3 + 4 + 5).
    expect(RDD.fromArray([1, 2, 3, 4, 5], 2).aggregate(1, (a, b) => a + b, (a, b) => a + b)).toBe(18);
    expect(RDD.fromArray([1, 2, 3, 4, 5], 2).aggregate('', (s, x) => s + x, (a, b) => a + b)).toBe('12345');
  });

  it('top and takeOrdered give [] for n <= 0 and refuse a non-integer n; take reads n as PySpark does (while fewer are taken)', () => {
    const r = RDD.fromArray([10, 1, 2, 9, 3, 4, 5, 6, 7], 2);
    expect(r.takeOrdered(6)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.takeOrdered(6, (a, b) => b - a)).toEqual([10, 9, 7, 6, 5, 4]);
    expect(RDD.fromArray([10, 4, 2, 12, 3]).top(1)).toEqual([12]);
    expect(RDD.fromArray([10, 4, 2, 12, 3]).top(3, (a, b) => String(a).localeCompare(String(b)))).toEqual([4, 3, 2]);
    for (const n of [0, -1, -100]) {
      expect(r.top(n)).toEqual([]);
      expect(r.takeOrdered(n)).toEqual([]);
      expect(r.take(n)).toEqual([]);
    }
    expect(r.take(2.5)).toEqual([10, 1, 2]);
    expect(r.take(Infinity)).toEqual(r.collect());
    expect(r.take(NaN)).toEqual([]);
    for (const n of [2.5, NaN, Infinity]) {
      expect(() => r.top(n)).toThrow(/top\(n\) needs an integer/);
      expect(() => r.takeOrdered(n)).toThrow(/takeOrdered\(n\) needs an integer/);
    }
    expect(r.top(100)).toEqual([10, 9, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('min, max, sum, mean (PySpark examples) and what they give for an empty RDD', () => {
    expect(RDD.fromArray([1.0, 5.0, 43.0, 10.0], 2).max()).toBe(43);
    expect(RDD.fromArray([1.0, 5.0, 43.0, 10.0], 2).max((a, b) => String(a).localeCompare(String(b)))).toBe(5);
    expect(RDD.fromArray([2.0, 5.0, 43.0, 10.0], 2).min()).toBe(2);
    expect(RDD.fromArray([2.0, 5.0, 43.0, 10.0], 2).min((a, b) => String(a).localeCompare(String(b)))).toBe(10);
    expect(RDD.fromArray(['pear', 'apple', 'fig']).max()).toBe('pear');
    expect(RDD.fromArray([1.0, 2.0, 3.0], 2).sum()).toBe(6);
    expect(RDD.fromArray([1, 2, 3], 2).mean()).toBe(2);
    expect(RDD.fromArray([1, 2], 3).mean()).toBe(1.5);
    const empty = RDD.fromArray<number>([], 2);
    expect(empty.sum()).toBe(0);
    expect(empty.mean()).toBeNaN();
    expect(() => empty.min()).toThrow('min(): empty collection');
    expect(() => empty.max()).toThrow('max(): empty collection');
    expect(() => empty.reduce((a, b) => a + b)).toThrow('reduce(): empty collection');
  });

  it('countByKey and collectAsMap keep one entry per key by value; collectAsMap keeps the last value', () => {
    expect(RDD.fromArray(pairs(['a', 1], ['b', 1], ['a', 1]), 2).countByKey()).toEqual(new Map([['a', 2], ['b', 1]]));
    const tupleKeys = RDD.fromArray(pairs([[1, 2], 'first'], [['x'], 'other'], [[1, 2], 'last']), 2);
    expect([...tupleKeys.countByKey()]).toEqual([[[1, 2], 2], [['x'], 1]]);
    expect([...tupleKeys.collectAsMap()]).toEqual([[[1, 2], 'last'], [['x'], 'other']]);
    expect(RDD.fromArray(pairs([1, 2], [3, 4])).collectAsMap().get(1)).toBe(2);
    expect(RDD.fromArray(pairs(['k', 1], ['k', 2], ['j', 3]), 2).collectAsMap()).toEqual(new Map([['k', 2], ['j', 3]]));
  });

  it('reduceByKeyLocally returns each key’s reduced value as a Map', () => {
    const r = RDD.fromArray(pairs<unknown, number>(['a', 1], ['b', 1], ['a', 1], [['t', 1], 5], [['t', 1], 6]), 3);
    expect([...r.reduceByKeyLocally((a, b) => a + b)]).toEqual([['a', 2], ['b', 1], [['t', 1], 11]]);
  });

  it('lookup returns the values of a key (by value), in order', () => {
    const l = Array.from({ length: 1000 }, (_, i) => i);
    const r = RDD.fromArray(l.map((i): [number, number] => [i, i]), 10);
    expect(r.lookup(42)).toEqual([42]);
    expect(r.sortByKey().lookup(1024)).toEqual([]);
    const t = RDD.fromArray(pairs([['fr', 'paris'], 1], [['fr', 'lyon'], 2], [['fr', 'paris'], 3]), 2);
    expect(t.lookup(['fr', 'paris'])).toEqual([1, 3]);
  });
});
