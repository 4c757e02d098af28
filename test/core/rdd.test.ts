// RDD actions and transformations, keys by value, one-pass narrow chains and cache().
import { describe, expect, it } from 'vitest';
import { RDD } from '../../src/index.js';
import { canonical } from '../helpers/batches.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const pair = <K, V>(k: K, v: V): [K, V] => [k, v];
/** Sort for comparing results of shuffles, whose order is the engine's. */
const sorted = <T>(xs: readonly T[]): T[] => [...xs].sort((a, b) => (canonical(a) < canonical(b) ? -1 : 1));

describe('RDD actions', () => {
  const rdd = RDD.fromArray(range(1, 10), 3);

  it('collect returns partitions in order, each in order', () => {
    expect(rdd.getNumPartitions()).toBe(3);
    expect(rdd.glom().collect()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9, 10],
    ]);
    expect(rdd.collect()).toEqual(range(1, 10));
  });

  it('fromArray cuts contiguous slices whose sizes differ by at most one', () => {
    expect(RDD.fromArray([1, 2, 3, 4], 2).glom().collect()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(RDD.fromArray([1, 2], 4).glom().collect()).toEqual([[], [1], [], [2]]);
    expect(RDD.fromArray([], 2).glom().collect()).toEqual([[], []]);
    expect(RDD.fromArray([1, 2, 3]).getNumPartitions()).toBe(1);
  });

  it('count, take, first, isEmpty', () => {
    expect(rdd.count()).toBe(10);
    expect(rdd.take(0)).toEqual([]);
    expect(rdd.take(4)).toEqual([1, 2, 3, 4]);
    expect(rdd.take(100)).toEqual(range(1, 10));
    expect(rdd.first()).toBe(1);
    expect(rdd.isEmpty()).toBe(false);
    expect(RDD.empty<number>().isEmpty()).toBe(true);
    expect(RDD.fromArray<number>([], 3).isEmpty()).toBe(true);
    expect(rdd.filter(() => false).isEmpty()).toBe(true);
    expect(RDD.empty().count()).toBe(0);
    expect(RDD.empty().getNumPartitions()).toBe(0);
  });

  it('first of an empty RDD throws', () => {
    expect(() => RDD.empty().first()).toThrow(/empty/);
  });

  it('take skips empty partitions', () => {
    expect(RDD.fromPartitions([[], [], [5, 6], [], [7]]).take(2)).toEqual([5, 6]);
    expect(RDD.fromPartitions([[], [], [5, 6], [], [7]]).first()).toBe(5);
  });

  it('foreach visits every element in order; foreachPartition every partition', async () => {
    const seen: number[] = [];
    rdd.foreach((x) => void seen.push(x));
    expect(seen).toEqual(range(1, 10));
    const parts: number[][] = [];
    expect(rdd.foreachPartition((p) => void parts.push(p))).toBeUndefined();
    expect(parts).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9, 10],
    ]);
    const done: number[] = [];
    const pending = rdd.foreachPartition(async (p) => {
      await new Promise((r) => setTimeout(r, 5));
      done.push(p.length);
    });
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(done.sort()).toEqual([3, 3, 4]);
    // An async foreach too: its promise settles once every element's has.
    const each: number[] = [];
    const eachPending = rdd.foreach(async (x) => {
      await new Promise((r) => setTimeout(r, 11 - x));
      each.push(x);
    });
    expect(eachPending).toBeInstanceOf(Promise);
    await eachPending;
    expect(each.sort((a, b) => a - b)).toEqual(range(1, 10));
  });

  it('reduce, and reduce of an empty RDD throws', () => {
    expect(rdd.reduce((a, b) => a + b)).toBe(55);
    expect(RDD.fromArray(['a', 'b', 'c'], 2).reduce((a, b) => a + b)).toBe('abc');
    expect(() => RDD.empty<number>().reduce((a, b) => a + b)).toThrow(/empty/);
  });

  it('top gives the n largest, largest first; with a comparator, by it', () => {
    const data = RDD.fromArray([5, 1, 9, 3, 7, 2], 2);
    expect(data.top(3)).toEqual([9, 7, 5]);
    expect(data.top(3, (a, b) => b - a)).toEqual([1, 2, 3]);
    expect(RDD.fromArray(['pear', 'apple', 'fig']).top(1)).toEqual(['pear']);
    expect(RDD.fromArray([pair('a', 3), pair('b', 9), pair('c', 1)]).top(2, (x, y) => x[1] - y[1])).toEqual([
      pair('b', 9),
      pair('a', 3),
    ]);
    expect(data.top(0)).toEqual([]);
  });

  it('top and sortBy order numbers numerically, not as text', () => {
    const data = RDD.fromArray([10, 9, 100, 2], 2);
    expect(data.top(2)).toEqual([100, 10]);
    expect(data.sortBy((x) => x).collect()).toEqual([2, 9, 10, 100]);
  });
});

describe('RDD transformations', () => {
  it('sortBy ascending and descending, keeping the partition count unless told', () => {
    const words = RDD.fromArray(['pear', 'fig', 'banana', 'kiwi', 'apple'], 2);
    const byLength = words.sortBy((w) => w.length);
    expect(byLength.collect().map((w) => w.length)).toEqual([3, 4, 4, 5, 6]);
    expect(byLength.getNumPartitions()).toBe(2);
    expect(words.sortBy((w) => w, false).collect()).toEqual(['pear', 'kiwi', 'fig', 'banana', 'apple']);
    expect(words.sortBy((w) => w, true, 3).getNumPartitions()).toBe(3);
    const counts = RDD.fromArray([pair('a', 3), pair('b', 9), pair('c', 1)]);
    expect(counts.sortBy((kv) => kv[1], false).collect()).toEqual([pair('b', 9), pair('a', 3), pair('c', 1)]);
  });

  it('distinct keeps one of each value; 1 and "1" are different', () => {
    const d = RDD.fromArray<unknown>([1, '1', 1, 2, '1', [1, 2], [1, 2], 'x'], 3).distinct();
    expect(sorted(d.collect())).toEqual(sorted([1, '1', 2, [1, 2], 'x']));
  });

  it('map, flatMap, filter, mapPartitions, glom, union, repartition, coalesce', () => {
    const r = RDD.fromArray(range(1, 6), 2);
    expect(r.map((x) => x * 10).collect()).toEqual([10, 20, 30, 40, 50, 60]);
    expect(r.flatMap((x) => (x % 2 ? [x, x] : [])).collect()).toEqual([1, 1, 3, 3, 5, 5]);
    expect(r.filter((x) => x > 4).collect()).toEqual([5, 6]);
    expect(r.mapPartitions((it) => [[...it].length]).collect()).toEqual([3, 3]);
    expect(r.union(RDD.fromArray([7], 1)).glom().collect()).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(r.repartition(3).glom().collect()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(r.coalesce(1).getNumPartitions()).toBe(1);
    expect(r.coalesce(5).getNumPartitions()).toBe(2);
  });

  it('pair transformations: mapValues, flatMapValues, keys, values, reduceByKey, groupByKey, foldByKey', () => {
    const kv = RDD.fromArray([pair('a', 1), pair('b', 2), pair('a', 3)], 2);
    expect(kv.mapValues((v) => v * 2).collect()).toEqual([pair('a', 2), pair('b', 4), pair('a', 6)]);
    expect(kv.flatMapValues((v) => [v, -v]).collect()).toEqual([
      pair('a', 1),
      pair('a', -1),
      pair('b', 2),
      pair('b', -2),
      pair('a', 3),
      pair('a', -3),
    ]);
    expect(kv.keys().collect()).toEqual(['a', 'b', 'a']);
    expect(kv.values().collect()).toEqual([1, 2, 3]);
    expect(sorted(kv.reduceByKey((a, b) => a + b).collect())).toEqual([pair('a', 4), pair('b', 2)]);
    expect(sorted(kv.groupByKey().collect())).toEqual([pair('a', [1, 3]), pair('b', [2])]);
    // kv's partitions are [[a 1], [b 2, a 3]]: 'a' folds from the zero in each (Spark), (100 + 1) + (100 + 3).
    expect(sorted(kv.foldByKey(100, (a, b) => a + b).collect())).toEqual([pair('a', 204), pair('b', 102)]);
    expect(kv.reduceByKey((a, b) => a + b, 4).getNumPartitions()).toBe(4);
    expect(kv.reduceByKey((a, b) => a + b).getNumPartitions()).toBe(2);
  });

  it('a shuffle puts equal keys in the same partition', () => {
    const kv = RDD.fromArray(
      range(1, 200).map((i) => pair(i % 17, i)),
      4,
    );
    const parts = kv.partitionBy(3).glom().collect();
    expect(parts).toHaveLength(3);
    const where = new Map<number, number>();
    parts.forEach((p, i) =>
      p.forEach(([k]) => {
        expect(where.get(k) ?? i).toBe(i);
        where.set(k, i);
      }),
    );
    const reduced = kv.reduceByKey((a, b) => a + b, 3).glom().collect();
    reduced.forEach((p, i) => p.forEach(([k]) => expect(where.get(k)).toBe(i)));
  });

  it('groupByKey copes with a key that has very many values', () => {
    const n = 300_000;
    const kv = RDD.fromArray(
      Array.from({ length: n }, (_, i) => pair('k', i)),
      2,
    );
    const [[k, vs]] = kv.groupByKey().collect() as [[string, number[]]];
    expect(k).toBe('k');
    expect(vs).toHaveLength(n);
    expect(vs[n - 1]).toBe(n - 1);
  });
});

describe('RDD joins', () => {
  const left = RDD.fromArray([pair('a', 1), pair('b', 2), pair('a', 3), pair('c', 4)], 2);
  const right = RDD.fromArray([pair('a', 'x'), pair('a', 'y'), pair('d', 'z')], 2);

  it('join: every pair of values of keys in both', () => {
    expect(sorted(left.join(right).collect())).toEqual(
      sorted([
        pair('a', pair(1, 'x')),
        pair('a', pair(1, 'y')),
        pair('a', pair(3, 'x')),
        pair('a', pair(3, 'y')),
      ]),
    );
  });

  it('leftOuterJoin, rightOuterJoin, fullOuterJoin use undefined for a missing side', () => {
    expect(sorted(left.leftOuterJoin(right).collect())).toEqual(
      sorted([
        pair('a', pair(1, 'x')),
        pair('a', pair(1, 'y')),
        pair('a', pair(3, 'x')),
        pair('a', pair(3, 'y')),
        pair('b', pair(2, undefined)),
        pair('c', pair(4, undefined)),
      ]),
    );
    expect(sorted(left.rightOuterJoin(right).collect())).toEqual(
      sorted([
        pair('a', pair(1, 'x')),
        pair('a', pair(1, 'y')),
        pair('a', pair(3, 'x')),
        pair('a', pair(3, 'y')),
        pair('d', pair(undefined, 'z')),
      ]),
    );
    const full = left.fullOuterJoin(right).collect();
    expect(sorted(full)).toEqual(
      sorted([
        pair('a', pair(1, 'x')),
        pair('a', pair(1, 'y')),
        pair('a', pair(3, 'x')),
        pair('a', pair(3, 'y')),
        pair('b', pair(2, undefined)),
        pair('c', pair(4, undefined)),
        pair('d', pair(undefined, 'z')),
      ]),
    );
    for (const [, [v, w]] of full) expect(v === null || w === null).toBe(false);
  });

  it('cogroup gathers both sides’ values per key', () => {
    expect(sorted(left.cogroup(right).collect())).toEqual(
      sorted([
        pair('a', pair([1, 3], ['x', 'y'])),
        pair('b', pair([2], [])),
        pair('c', pair([4], [])),
        pair('d', pair([], ['z'])),
      ]),
    );
    expect(left.cogroup(right, 5).getNumPartitions()).toBe(5);
  });

  it('joins with an empty side', () => {
    expect(left.join(RDD.empty<[string, string]>()).collect()).toEqual([]);
    expect(RDD.empty<[string, number]>().fullOuterJoin(right).count()).toBe(3);
  });
});

describe('keys compare by value', () => {
  it('tuple keys: [country, city] pairs with equal contents are one key', () => {
    const visits = RDD.fromArray(
      [pair(['FR', 'Paris'], 1), pair(['US', 'NYC'], 1), pair(['FR', 'Paris'], 1), pair(['FR', 'Lyon'], 1)],
      3,
    );
    expect(sorted(visits.reduceByKey((a, b) => a + b).collect())).toEqual(
      sorted([pair(['FR', 'Paris'], 2), pair(['US', 'NYC'], 1), pair(['FR', 'Lyon'], 1)]),
    );
    const names = RDD.fromArray([pair(['FR', 'Paris'], 'Île-de-France')]);
    expect(visits.join(names).count()).toBe(2);
  });

  it('number 1 and string "1" are different keys, in every shuffle', () => {
    const kv = RDD.fromArray<[number | string, string]>(
      [pair(1, 'num'), pair('1', 'str'), pair(1, 'num2')],
      2,
    );
    expect(sorted(kv.groupByKey().collect())).toEqual(sorted([pair(1, ['num', 'num2']), pair('1', ['str'])]));
    expect(kv.join(RDD.fromArray<[number | string, boolean]>([pair('1', true)])).collect()).toEqual([
      pair('1', pair('str', true)),
    ]);
    expect(kv.keys().distinct().count()).toBe(2);
    const counts = RDD.fromArray<unknown>([1, '1', 1]).countByValue();
    expect(counts.get(1)).toBe(2);
    expect(counts.get('1')).toBe(1);
  });

  it('[1, 2] and ["1", "2"] are different tuple keys; nested tuples compare by value', () => {
    const kv = RDD.fromArray<[unknown, number]>([
      pair([1, 2], 1),
      pair(['1', '2'], 1),
      pair([1, 2], 1),
      pair([[1], 'a'], 1),
      pair([[1], 'a'], 1),
    ]);
    expect(sorted(kv.reduceByKey((a, b) => a + b).collect())).toEqual(
      sorted([pair([1, 2], 2), pair(['1', '2'], 1), pair([[1], 'a'], 2)]),
    );
  });

  it('plain object keys are equal whatever their property order', () => {
    const kv = RDD.fromArray<[object, number]>([pair({ city: 'Paris', cc: 'FR' }, 1), pair({ cc: 'FR', city: 'Paris' }, 2)], 2);
    expect(kv.reduceByKey((a, b) => a + b).collect()).toEqual([pair({ city: 'Paris', cc: 'FR' }, 3)]);
  });

  it('keys JSON would merge are refused, naming their type: a Map, a Set, a Date, a class instance, a function', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    // Before: every Map key was one key (both written `{}`), a Date equalled its ISO string, a function key failed with a bare TypeError.
    for (const key of [new Map([['user', 'ann']]), new Set([1]), [new Date(0)], { at: new Date(0) }, new Point(1), [() => 1], () => 1]) {
      const kv = RDD.fromArray<[unknown, number]>([pair(key, 1), pair(key, 2)], 2);
      expect(() => kv.reduceByKey((a, b) => a + b).collect()).toThrow(/unsupported key type (Map|Set|Date|Point|function): keys must be primitives, arrays or plain objects/);
    }
  });

  it('undefined, NaN and bigints inside a tuple key are not the objects that stand for them, nor is a "$" property', () => {
    const kv = RDD.fromArray<[unknown, number]>([
      pair([undefined], 1),
      pair([{ $u: 1 }], 10),
      pair([NaN], 100),
      pair([{ $n: 'NaN' }], 1000),
      pair([1n], 10_000),
      pair([{ $b: '1' }], 100_000),
      pair([{ $$u: 1 }], 1_000_000),
    ]);
    expect(kv.reduceByKey((a, b) => a + b).count()).toBe(7);
  });

  it('the key kept is the first one seen, and the result is the user’s value', () => {
    const first = ['FR', 'Paris'];
    const kv = RDD.fromArray([pair(first, 1), pair(['FR', 'Paris'], 2)], 1);
    const [[key]] = kv.reduceByKey((a, b) => a + b).collect();
    expect(key).toBe(first);
  });
});

describe('evaluation', () => {
  it('a chain of narrow ops computes in one pass: each element goes through the whole chain once', () => {
    const log: string[] = [];
    const out = RDD.fromArray([1, 2, 3, 4], 2)
      .map((x) => (log.push(`m${x}`), x * 10))
      .filter((x) => (log.push(`f${x}`), x !== 20))
      .flatMap((x) => (log.push(`fm${x}`), [x, x + 1]))
      .map((x) => (log.push(`m2:${x}`), x))
      .collect();
    expect(out).toEqual([10, 11, 30, 31, 40, 41]);
    expect(log).toEqual([
      'm1',
      'f10',
      'fm10',
      'm2:10',
      'm2:11',
      'm2',
      'f20',
      'm3',
      'f30',
      'fm30',
      'm2:30',
      'm2:31',
      'm4',
      'f40',
      'fm40',
      'm2:40',
      'm2:41',
    ]);
  });

  it('collecting once calls a map function once per element', () => {
    let calls = 0;
    const mapped = RDD.fromArray(range(1, 1000), 4)
      .map((x) => (calls++, x + 1))
      .filter((x) => x % 2 === 0)
      .map((x) => x * 2);
    expect(calls).toBe(0); // lazy
    mapped.collect();
    expect(calls).toBe(1000);
  });

  it('count, foreach and reduce also make one pass', () => {
    let calls = 0;
    const mapped = RDD.fromArray(range(1, 100), 3).map((x) => (calls++, x));
    mapped.count();
    expect(calls).toBe(100);
    mapped.reduce((a, b) => a + b);
    expect(calls).toBe(200);
  });

  it('without cache() every action recomputes; with cache() the chain runs once', () => {
    let plain = 0;
    const p = RDD.fromArray(range(1, 50), 2).map((x) => (plain++, x));
    p.collect();
    p.count();
    p.take(5);
    expect(plain).toBeGreaterThan(100);

    let cachedCalls = 0;
    const c = RDD.fromArray(range(1, 50), 2)
      .map((x) => (cachedCalls++, x))
      .cache();
    expect(c.collect()).toEqual(range(1, 50));
    expect(c.count()).toBe(50);
    expect(c.take(5)).toEqual([1, 2, 3, 4, 5]);
    expect(c.map((x) => x * 2).reduce((a, b) => a + b)).toBe(2550);
    expect(c.isEmpty()).toBe(false);
    c.foreach(() => undefined);
    expect(cachedCalls).toBe(50);
    expect(c.isCached).toBe(true);
  });

  it('cache() computes each partition only when first used', () => {
    let calls = 0;
    const c = RDD.fromArray(range(1, 10), 2)
      .map((x) => (calls++, x))
      .cache();
    expect(c.first()).toBe(1);
    expect(calls).toBe(5);
    c.collect();
    expect(calls).toBe(10);
  });

  it('a shuffle result is computed once however often it is used', () => {
    let calls = 0;
    const reduced = RDD.fromArray(range(1, 20), 2)
      .map((x) => pair(x % 3, x))
      .reduceByKey((a, b) => (calls++, a + b));
    reduced.collect();
    const after = calls;
    reduced.collect();
    reduced.count();
    expect(calls).toBe(after);
  });

  it('user code cannot corrupt an RDD through arrays it is handed', () => {
    const r = RDD.fromArray([1, 2, 3, 4], 2);
    r.glom().collect()[0]!.push(99);
    r.partition(1).push(99);
    (r.mapPartitions((it) => ((it as number[]).push?.(99), [])).collect());
    expect(r.collect()).toEqual([1, 2, 3, 4]);
  });

  it('nor through the arrays glom, mapPartitions and foreachPartition hand out of a cached RDD', () => {
    const r = RDD.fromArray([1, 2, 3, 4], 2)
      .map((x) => x)
      .cache();
    expect(r.collect()).toEqual([1, 2, 3, 4]);
    r.glom().collect()[0]!.push(99);
    r.mapPartitions((it) => ((it as number[]).reverse(), [])).collect();
    r.foreachPartition((part) => void part.splice(0));
    expect(r.collect()).toEqual([1, 2, 3, 4]);
    expect(r.glom().collect()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});
