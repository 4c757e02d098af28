// Operations on two RDDs as Spark: zip (same partitions and sizes, else Spark's errors), cartesian
// (one partition per pair of partitions), subtract and intersection by value.
import { describe, expect, it } from 'vitest';
import { RDD } from '../../src/index.js';
import { canonical } from '../helpers/batches.js';

const sorted = <T>(xs: readonly T[]): T[] => [...xs].sort((a, b) => (canonical(a) < canonical(b) ? -1 : 1));

describe('operations on two RDDs (Spark semantics)', () => {
  it('zip pairs elements at the same positions, keeping partitions', () => {
    const x = RDD.fromArray([0, 1, 2, 3, 4], 2);
    const y = RDD.fromArray([1000, 1001, 1002, 1003, 1004], 2);
    expect(x.zip(y).collect()).toEqual([[0, 1000], [1, 1001], [2, 1002], [3, 1003], [4, 1004]]);
    expect(x.zip(y).glom().collect()).toEqual([[[0, 1000], [1, 1001]], [[2, 1002], [3, 1003], [4, 1004]]]);
    expect(x.zip(x.map(String)).first()).toEqual([0, '0']);
  });

  it('zip refuses unequal partition counts at the call, unequal partition sizes when computed', () => {
    expect(() => RDD.fromArray([1, 2, 3], 2).zip(RDD.fromArray([1, 2, 3], 3))).toThrow(
      "Can't zip RDDs with unequal numbers of partitions: 2, 3",
    );
    const uneven = RDD.fromPartitions([[1, 2], [3]]).zip(RDD.fromPartitions([[1], [2, 3]]));
    expect(() => uneven.collect()).toThrow('Can only zip RDDs with same number of elements in each partition');
  });

  it('cartesian: every pair, one partition per pair of partitions, this RDD’s elements outermost', () => {
    const r = RDD.fromArray([1, 2]);
    expect(sorted(r.cartesian(r).collect())).toEqual([[1, 1], [1, 2], [2, 1], [2, 2]]);
    const a = RDD.fromPartitions([[1, 2], [3]]);
    const b = RDD.fromPartitions([['x'], [], ['y', 'z']]);
    const c = a.cartesian(b);
    expect(c.getNumPartitions()).toBe(6);
    expect(c.glom().collect()).toEqual([
      [[1, 'x'], [2, 'x']],
      [],
      [[1, 'y'], [1, 'z'], [2, 'y'], [2, 'z']],
      [[3, 'x']],
      [],
      [[3, 'y'], [3, 'z']],
    ]);
    expect(c.count()).toBe(9);
    expect(a.cartesian(RDD.empty()).collect()).toEqual([]);
  });

  it('subtract: PySpark’s example; duplicates of this RDD kept; elements by value', () => {
    const x = RDD.fromArray<[string, number]>([['a', 1], ['b', 4], ['b', 5], ['a', 3]], 2);
    const y = RDD.fromArray<[string, number | null]>([['a', 3], ['c', null]], 2);
    expect(sorted(x.subtract(y as RDD<[string, number]>).collect())).toEqual([['a', 1], ['b', 4], ['b', 5]]);
    expect(sorted(RDD.fromArray([1, 1, 2, 3, 3], 2).subtract(RDD.fromArray([3])).collect())).toEqual([1, 1, 2]);
    expect(x.subtract(y as RDD<[string, number]>).getNumPartitions()).toBe(2);
    expect(x.subtract(y as RDD<[string, number]>, 4).getNumPartitions()).toBe(4);
  });

  it('intersection: PySpark’s example; distinct; elements by value; partitions as Spark’s cogroup', () => {
    const a = RDD.fromArray([1, 10, 2, 3, 4, 5], 2);
    const b = RDD.fromArray([1, 6, 2, 3, 7, 8], 3);
    expect(a.intersection(b).collect().sort((x, y) => x - y)).toEqual([1, 2, 3]);
    expect(a.intersection(b).getNumPartitions()).toBe(3);
    const t = RDD.fromArray<unknown>([[1, 2], [1, 2], 'x', 1], 2).intersection(RDD.fromArray<unknown>([[1, 2], '1', 'x', 'x']));
    expect(sorted(t.collect())).toEqual(sorted([[1, 2], 'x']));
  });
});
