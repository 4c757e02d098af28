// Pair RDD operations as Spark: foldByKey and aggregateByKey with their zero per key per
// partition, sortByKey, subtractByKey, keyBy; keys compare by value.
import { describe, expect, it } from 'vitest';
import { RDD } from '../../src/index.js';
import { canonical } from '../helpers/batches.js';

const pairs = <K, V>(...kvs: [K, V][]): [K, V][] => kvs;
const sorted = <T>(xs: readonly T[]): T[] => [...xs].sort((a, b) => (canonical(a) < canonical(b) ? -1 : 1));

describe('pair RDD operations (Spark semantics)', () => {
  it('foldByKey: PySpark’s example, and the zero once per key per partition', () => {
    const r = RDD.fromArray(pairs(['a', 1], ['b', 1], ['a', 1]), 2);
    expect(sorted(r.foldByKey(0, (a, b) => a + b).collect())).toEqual([['a', 2], ['b', 1]]);
    // Partitions [[a 1], [b 1, a 1]]: 'a' is (10 + 1) + (10 + 1), 'b' 10 + 1.
    expect(sorted(r.foldByKey(10, (a, b) => a + b).collect())).toEqual([['a', 22], ['b', 11]]);
    expect(r.foldByKey(0, (a, b) => a + b, 3).getNumPartitions()).toBe(3);
  });

  it('aggregateByKey: PySpark’s example; seqOp within a partition, combOp across', () => {
    const r = RDD.fromArray(pairs(['a', 1], ['b', 1], ['a', 1]), 2);
    const zero: [number, number] = [0, 0];
    const out = r.aggregateByKey(
      zero,
      (acc, v): [number, number] => [acc[0] + v, acc[1] + 1],
      (a, b): [number, number] => [a[0] + b[0], a[1] + b[1]],
    );
    expect(sorted(out.collect())).toEqual([['a', [2, 2]], ['b', [1, 1]]]);
    // Values grouped per partition, then the partitions' lists joined: shows where combOp runs.
    const perPartition = RDD.fromPartitions<[string, number]>([[['k', 1]], [['k', 2]], [['k', 3], ['k', 4]]])
      .aggregateByKey(
        [] as number[],
        (acc, v) => (acc.push(v), acc),
        (a, b) => [...a, -1, ...b],
      )
      .collect();
    expect(perPartition).toEqual([['k', [1, -1, 2, -1, 3, 4]]]);
    // Tuple keys by value.
    const t = RDD.fromArray(pairs([['fr', 'paris'], 1], [['fr', 'paris'], 2]), 2).aggregateByKey(0, (a, v) => a + v, (a, b) => a + b);
    expect(t.collect()).toEqual([[['fr', 'paris'], 3]]);
  });

  it('sortByKey: PySpark’s example, descending, stable, with a partition count', () => {
    const tmp = pairs(['a', 1], ['b', 2], ['1', 3], ['d', 4], ['2', 5]);
    expect(RDD.fromArray(tmp, 2).sortByKey().first()).toEqual(['1', 3]);
    expect(RDD.fromArray(tmp, 2).sortByKey(true, 1).collect()).toEqual([['1', 3], ['2', 5], ['a', 1], ['b', 2], ['d', 4]]);
    expect(RDD.fromArray(tmp, 2).sortByKey(true, 2).collect()).toEqual([['1', 3], ['2', 5], ['a', 1], ['b', 2], ['d', 4]]);
    expect(RDD.fromArray(tmp, 2).sortByKey(true, 3).getNumPartitions()).toBe(3);
    expect(RDD.fromArray(pairs([2, 'x'], [1, 'y'], [2, 'z'], [10, 'w']), 2).sortByKey(false).collect()).toEqual([
      [10, 'w'],
      [2, 'x'],
      [2, 'z'],
      [1, 'y'],
    ]);
  });

  it('subtractByKey: PySpark’s example, duplicates kept, keys by value', () => {
    const x = RDD.fromArray(pairs(['a', 1], ['b', 4], ['b', 5], ['a', 2]), 2);
    const y = RDD.fromArray(pairs<string, number | null>(['a', 3], ['c', null]), 2);
    expect(sorted(x.subtractByKey(y).collect())).toEqual([['b', 4], ['b', 5]]);
    expect(x.subtractByKey(y).getNumPartitions()).toBe(2);
    expect(x.subtractByKey(y, 5).getNumPartitions()).toBe(5);
    const t = RDD.fromArray(pairs([[1, 2], 'a'], [[1, 3], 'b']), 1);
    expect(t.subtractByKey(RDD.fromArray(pairs([[1, 2], 0]))).collect()).toEqual([[[1, 3], 'b']]);
  });

  it('keyBy: PySpark’s example with cogroup', () => {
    const x = RDD.fromArray([0, 1, 2], 2).keyBy((v) => v * v);
    const y = RDD.fromArray([0, 1, 2, 3, 4].map((i): [number, number] => [i, i]), 2);
    expect(x.collect()).toEqual([[0, 0], [1, 1], [4, 2]]);
    expect(x.cogroup(y).collect().sort((a, b) => a[0] - b[0])).toEqual([
      [0, [[0], [0]]],
      [1, [[1], [1]]],
      [2, [[], [2]]],
      [3, [[], [3]]],
      [4, [[2], [4]]],
    ]);
  });
});
