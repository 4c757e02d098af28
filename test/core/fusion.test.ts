// Fused narrow stages (src/rdd/stage.ts): chains of element-wise steps run as one loop per
// partition into their consumer; the results, partition by partition and in order, are those
// of applying each step to whole arrays, and every stage boundary (mapPartitions, repartition,
// union, cache, a shuffle) cuts the chain without changing what comes out.
import { describe, expect, it } from 'vitest';
import { RDD } from '../../src/index.js';
import { encodeStructuredKey, partitionOf } from '../../src/rdd/keys.js';

/** What a shuffle's partitions must be: keys by hash partition, primitive keys then structured, each by first appearance. */
function reference<K, V, C>(pairs: [K, V][], n: number, create: (v: V) => C, merge: (c: C, v: V) => C): [K, C][][] {
  const prim = new Map<unknown, [K, C]>();
  const structured = new Map<string, [K, C]>();
  for (const [k, v] of pairs) {
    const map = typeof k === 'object' && k !== null ? structured : prim;
    const code = map === structured ? encodeStructuredKey(k as object) : k;
    const e = map.get(code as never);
    if (e) e[1] = merge(e[1], v);
    else map.set(code as never, [k, create(v)]);
  }
  const parts: [K, C][][] = Array.from({ length: n }, () => []);
  for (const e of [...prim.values(), ...structured.values()]) parts[partitionOf(e[0], n)]!.push(e);
  return parts;
}

const lines = ['the cat sat', 'on the mat', '', 'the end', 'a cat, a hat'];
const add = (a: number, b: number): number => a + b;
const id = (v: number): number => v;

describe('fused narrow stages', () => {
  it('a flatMap → filter → map → mapValues chain gives what step-by-step arrays give, per partition', () => {
    const rdd = RDD.fromArray(lines, 3)
      .flatMap((l) => l.split(' '))
      .filter((w) => w.length > 0)
      .map((w): [string, number] => [w, w.length])
      .mapValues((n) => n * 10);
    const expected = RDD.fromArray(lines, 3)
      .glom()
      .collect()
      .map((part) =>
        part
          .flatMap((l) => l.split(' '))
          .filter((w) => w.length > 0)
          .map((w): [string, number] => [w, w.length * 10]),
      );
    expect(rdd.glom().collect()).toEqual(expected);
    expect(rdd.collect()).toEqual(expected.flat());
    expect(rdd.count()).toBe(expected.flat().length);
  });

  it('flatMap takes any iterable: arrays, Sets, generators and strings', () => {
    function* twice(x: number): Generator<number> {
      yield x;
      yield x;
    }
    const base = RDD.fromArray([1, 2, 3], 2);
    expect(base.flatMap(twice).collect()).toEqual([1, 1, 2, 2, 3, 3]);
    expect(base.flatMap((x) => new Set([x, -x])).collect()).toEqual([1, -1, 2, -2, 3, -3]);
    expect(RDD.fromArray(['ab', 'c']).flatMap((s) => s).collect()).toEqual(['a', 'b', 'c']);
    expect(
      RDD.fromArray<[string, number]>([['k', 2]])
        .flatMapValues((n) => twice(n))
        .collect(),
    ).toEqual([
      ['k', 2],
      ['k', 2],
    ]);
  });

  it('a chain into reduceByKey combines straight into the shuffle: the partitions the reference shuffle makes', () => {
    const pairs = lines.flatMap((l) => l.split(' ')).map((w): [string, number] => [w, 1]);
    for (const n of [1, 2, 5]) {
      const out = RDD.fromArray(lines, 2)
        .flatMap((l) => l.split(' '))
        .map((w): [string, number] => [w, 1])
        .reduceByKey(add, n);
      expect(out.glom().collect()).toEqual(reference(pairs, n, id, add));
    }
  });

  it('structured and primitive keys mixed: primitive keys first, then structured ones, each by first appearance', () => {
    const data: [unknown, number][] = [
      [['a', 1], 1],
      ['x', 2],
      [{ b: 2, a: 1 }, 3],
      [['a', 1], 4],
      [7, 5],
      [{ a: 1, b: 2 }, 6],
      ['x', 7],
    ];
    const out = RDD.fromArray(data, 3)
      .map((kv) => kv)
      .reduceByKey(add, 2);
    expect(out.glom().collect()).toEqual(reference(data, 2, id, add));
    const grouped = RDD.fromArray(data, 3).filter(() => true).groupByKey(3);
    expect(grouped.glom().collect()).toEqual(
      reference(
        data,
        3,
        (v) => [v],
        (c: number[], v) => (c.push(v), c),
      ),
    );
  });

  it('mapPartitions in the middle ends one stage and starts the next; each partition sees its own elements', () => {
    const seen: number[][] = [];
    const out = RDD.fromArray([1, 2, 3, 4, 5, 6], 3)
      .map((x) => x * 2)
      .mapPartitions((it) => {
        const xs = [...it];
        seen.push(xs);
        return [xs.reduce((a, b) => a + b, 0)];
      })
      .map((s): [string, number] => [s > 10 ? 'big' : 'small', s])
      .reduceByKey(add);
    expect(Object.fromEntries(out.collect())).toEqual({ small: 6, big: 36 });
    expect(seen).toEqual([
      [2, 4],
      [6, 8],
      [10, 12],
    ]);
  });

  it('repartition and union in the middle: the chain after them reads their partitions', () => {
    const a = RDD.fromArray(['x y', 'y'], 1).flatMap((l) => l.split(' '));
    const b = RDD.fromArray(['z', 'x'], 2).map((w) => w.toUpperCase());
    const u = a.union(b);
    expect(u.getNumPartitions()).toBe(3);
    expect(u.map((w) => w + '!').glom().collect()).toEqual([['x!', 'y!', 'y!'], ['Z!'], ['X!']]);
    const r = u.repartition(2).map((w): [string, number] => [w.toLowerCase(), 1]);
    expect(r.glom().collect()).toEqual([
      [
        ['x', 1],
        ['y', 1],
      ],
      [
        ['y', 1],
        ['z', 1],
        ['x', 1],
      ],
    ]);
    expect(Object.fromEntries(r.reduceByKey(add, 1).collect())).toEqual({ x: 2, y: 2, z: 1 });
  });

  it('a cached RDD in the middle ends the stage: its functions run once however often the chain after it runs', () => {
    let calls = 0;
    const cached = RDD.fromArray([1, 2, 3, 4], 2)
      .map((x) => (calls++, x + 1))
      .cache();
    const after = cached.filter((x) => x % 2 === 0).map((x): [number, number] => [x % 4, x]);
    expect(after.reduceByKey(add, 2).collect().sort()).toEqual([
      [0, 4],
      [2, 2],
    ]);
    expect(after.collect()).toEqual([
      [2, 2],
      [0, 4],
    ]);
    expect(cached.collect()).toEqual([2, 3, 4, 5]);
    expect(calls).toBe(4);
  });

  it('caching a step after its children were made still serves them from the cache', () => {
    let calls = 0;
    const mid = RDD.fromArray([1, 2, 3], 1).map((x) => (calls++, x));
    const child = mid.map((x) => x * 10);
    mid.cache();
    expect(child.collect()).toEqual([10, 20, 30]);
    expect(child.collect()).toEqual([10, 20, 30]);
    expect(calls).toBe(3);
  });

  it('an error thrown by a fused function surfaces from the action, as itself', () => {
    const boom = new TypeError('bad element 3');
    const rdd = RDD.fromArray([1, 2, 3], 2)
      .map((x) => {
        if (x === 3) throw boom;
        return x;
      })
      .map((x): [number, number] => [x, x]);
    expect(() => rdd.collect()).toThrow(boom);
    expect(() => rdd.reduceByKey(add).collect()).toThrow(boom);
  });

  it('a key whose combiner is undefined is merged into, not started again', () => {
    const data: [unknown, number][] = [['a', 1], [2, 2], ['a', 3], [2, 4], [['t'], 5], ['a', 6], [['t'], 7]];
    const seen: [unknown, number][] = [];
    const out = RDD.fromArray(data, 2)
      .map((kv) => kv)
      .combineByKey<unknown, number, undefined>(
        () => undefined,
        (c, v) => void seen.push([c, v]),
        () => undefined,
        2,
      );
    expect(out.glom().collect()).toEqual(reference(data, 2, () => undefined, () => undefined));
    expect(seen).toEqual([[undefined, 3], [undefined, 4], [undefined, 6], [undefined, 7]]);
  });

  it('the key 0 keeps the sign it had when first seen, as -0 or 0', () => {
    const first = (data: [number, number][]): number =>
      RDD.fromArray(data, 2)
        .map((kv) => kv)
        .reduceByKey(add, 3)
        .collect()[0]![0];
    expect(Object.is(first([[-0, 1], [0, 2]]), -0)).toBe(true);
    expect(Object.is(first([[0, 1], [-0, 2]]), 0)).toBe(true);
  });

  it('counting a shuffle gives the number of keys, before and after its partitions are read', () => {
    const data: [unknown, number][] = [['x', 1], [['a', 1], 2], ['y', 3], ['x', 4], [{ a: 1 }, 5], [['a', 1], 6]];
    const counted = RDD.fromArray(data, 2).map((kv) => kv).reduceByKey(add, 2);
    expect(counted.count()).toBe(4);
    expect(counted.glom().collect()).toEqual(reference(data, 2, id, add));
    expect(counted.count()).toBe(4);
    expect(RDD.fromArray<[string, number]>([], 2).reduceByKey(add).count()).toBe(0);
  });

  it('many chains of one shape with different functions each give their own results', () => {
    for (let k = 0; k < 12; k++) {
      const out = RDD.fromArray([1, 2, 3, 4], 2)
        .map((x) => x + k)
        .filter((x) => x % 2 === 0)
        .collect();
      expect(out).toEqual([1, 2, 3, 4].map((x) => x + k).filter((x) => x % 2 === 0));
    }
  });
});
