// The persistent map behind mapWithState: versions never change, keys compare by value.
import { describe, expect, it } from 'vitest';
import {
  emptyRoot,
  forEachLeaf,
  keyInfo,
  Leaf,
  lookup,
  lookupPath,
  Path,
  put,
  putAlong,
  remove,
  type Root,
} from '../../src/state/hamt.js';
import { buildRoot } from '../../src/state/hamtBuild.js';

function entries<K, V>(root: Root<K, V>): [K, V][] {
  const out: [K, V][] = [];
  forEachLeaf(root, (l) => void out.push([l.key, l.value]));
  return out.sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1));
}

let viaPath = false;
const path = new Path<unknown, unknown>();

function setKey<K, V>(root: Root<K, V>, key: K, value: V, edit: number): Root<K, V> {
  const { h, mh, code } = keyInfo(key);
  const leaf = new Leaf(h, mh, key, code, value, 0, edit);
  if (!viaPath) return put(root, leaf, edit);
  const p = path as unknown as Path<K, V>;
  lookupPath(root, mh, key, code, p);
  return putAlong(p, leaf, edit);
}

function putLeaf<K, V>(root: Root<K, V>, leaf: Leaf<K, V>, edit: number): Root<K, V> {
  if (!viaPath) return put(root, leaf, edit);
  const p = path as unknown as Path<K, V>;
  lookupPath(root, leaf.mh, leaf.key, leaf.code, p);
  return putAlong(p, leaf, edit);
}

function getKey<K, V>(root: Root<K, V>, key: K): V | undefined {
  const { mh, code } = keyInfo(key);
  return lookup(root, mh, key, code)?.value;
}

function delKey<K, V>(root: Root<K, V>, key: K, edit: number): Root<K, V> {
  const { mh, code } = keyInfo(key);
  return remove(root, mh, key, code, edit);
}

describe.each([
  ['put', false],
  ['lookupPath + putAlong', true],
])('persistent hash map (writes with %s)', (_name, usePath) => {
  it('matches a Map through random puts and removes, and every earlier version stays as it was', () => {
    viaPath = usePath;
    let seed = 7;
    const rand = (n: number): number => (seed = (Math.imul(seed, 48271) + 11) >>> 0) % n;
    let root = emptyRoot<number | string, number>();
    const model = new Map<number | string, number>();
    const versions: [Root<number | string, number>, [number | string, number][]][] = [];
    for (let edit = 1; edit <= 60; edit++) {
      for (let op = 0; op < 200; op++) {
        const key = rand(2) ? rand(3000) : `s${rand(3000)}`;
        if (rand(4) === 0) {
          root = delKey(root, key, edit);
          model.delete(key);
        } else {
          root = setKey(root, key, op, edit);
          model.set(key, op);
        }
      }
      versions.push([root, [...model].sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1))]);
    }
    for (const [r, expected] of versions) expect(entries(r)).toEqual(expected);
    for (const [k, v] of model) expect(getKey(root, k)).toBe(v);
    expect(getKey(root, 'absent')).toBeUndefined();
  });

  it('compares keys by value: tuples and objects, 1 vs "1", NaN, -0', () => {
    viaPath = usePath;
    let root = emptyRoot<unknown, string>();
    root = setKey(root, ['fr', 'paris'], 'a', 1);
    root = setKey(root, { b: 2, a: 1 }, 'b', 1);
    root = setKey(root, 1, 'c', 1);
    root = setKey(root, '1', 'd', 1);
    root = setKey(root, NaN, 'e', 1);
    root = setKey(root, -0, 'f', 1);
    expect(getKey(root, ['fr', 'paris'])).toBe('a');
    expect(getKey(root, { a: 1, b: 2 })).toBe('b');
    expect(getKey(root, 1)).toBe('c');
    expect(getKey(root, '1')).toBe('d');
    expect(getKey(root, NaN)).toBe('e');
    expect(getKey(root, 0)).toBe('f');
    expect(getKey(root, '["fr","paris"]')).toBeUndefined(); // a string is not the tuple it encodes to
    expect(entries(root)).toHaveLength(6);
  });

  it('keeps keys whose hashes collide apart', () => {
    viaPath = usePath;
    const mh = 0x12345678;
    const leaf = (key: string, value: number, edit: number) => new Leaf(1, mh, key, undefined, value, 0, edit);
    let root = emptyRoot<string, number>();
    root = putLeaf(root, leaf('x', 1, 1), 1);
    root = putLeaf(root, leaf('y', 2, 1), 1);
    const v1 = root;
    root = putLeaf(root, leaf('z', 3, 2), 2);
    root = putLeaf(root, new Leaf(1, mh ^ 0x40000000, 'w', undefined, 4, 0, 2), 2); // differs only in the top bits
    root = putLeaf(root, leaf('x', 10, 2), 2);
    expect(lookup(root, mh, 'x', undefined)?.value).toBe(10);
    expect(lookup(root, mh, 'y', undefined)?.value).toBe(2);
    expect(lookup(root, mh, 'z', undefined)?.value).toBe(3);
    expect(lookup(root, mh ^ 0x40000000, 'w', undefined)?.value).toBe(4);
    root = remove(root, mh, 'y', undefined, 3);
    root = remove(root, mh, 'z', undefined, 3);
    expect(lookup(root, mh, 'x', undefined)?.value).toBe(10);
    expect(lookup(root, mh, 'y', undefined)).toBeUndefined();
    expect(entries(root)).toEqual([
      ['w', 4],
      ['x', 10],
    ]);
    expect(entries(v1)).toEqual([
      ['x', 1],
      ['y', 2],
    ]);
  });

  it('writes of one edit change its own nodes in place and copy the others', () => {
    viaPath = usePath;
    let root = emptyRoot<number, number>();
    for (let i = 0; i < 1000; i++) root = setKey(root, i, i, 1);
    const before = root;
    const again = setKey(root, 5, 50, 1);
    expect(again).toBe(root); // same edit: in place
    const next = setKey(root, 5, 500, 2);
    expect(next).not.toBe(root);
    expect(getKey(before, 5)).toBe(50);
    expect(getKey(next, 5)).toBe(500);
    let emptied = next;
    for (let i = 0; i < 1000; i++) emptied = delKey(emptied, i, 3);
    expect(entries(emptied)).toEqual([]);
    expect(entries(next)).toHaveLength(1000);
  });
});

describe('building a version in bulk (buildRoot, what a restore does)', () => {
  const leafOf = (key: unknown, value: number, edit: number): Leaf<unknown, number> => {
    const { h, mh, code } = keyInfo(key);
    return new Leaf(h, mh, key, code, value, 0, edit);
  };

  it('holds exactly the keys given, the later of a key given twice, and later writes copy it like any version', () => {
    let seed = 3;
    const rand = (n: number): number => (seed = (Math.imul(seed, 48271) + 11) >>> 0) % n;
    const model = new Map<unknown, number>();
    const given: Leaf<unknown, number>[] = [];
    for (let i = 0; i < 20_000; i++) {
      const key = rand(3) === 0 ? rand(30_000) : rand(2) ? `s${rand(30_000)}` : ['t', rand(50)];
      given.push(leafOf(key, i, 1));
      model.set(JSON.stringify(key), i);
    }
    const { root, size } = buildRoot(given.slice(), 1);
    expect(size).toBe(model.size);
    const got = entries(root).map(([k, v]): [string, number] => [JSON.stringify(k), v]);
    expect(new Map(got)).toEqual(model);
    expect(got).toHaveLength(model.size);
    // Each key is found the way a batch looks it up, and writing under a later edit leaves the built version alone.
    for (const l of given.slice(0, 500)) expect(lookup(root, l.mh, l.key, l.code)?.value).toBe(model.get(JSON.stringify(l.key)));
    const first = given[0]!;
    const next = put(root, new Leaf(first.h, first.mh, first.key, first.code, -1, 0, 2), 2);
    expect(lookup(next, first.mh, first.key, first.code)?.value).toBe(-1);
    expect(lookup(root, first.mh, first.key, first.code)?.value).toBe(model.get(JSON.stringify(first.key)));
    expect(entries(remove(next, first.mh, first.key, first.code, 3))).toHaveLength(model.size - 1);
  });

  it('keeps colliding keys apart, and builds an empty or a one-key version', () => {
    const mh = 0x0badf00d;
    const leaves = ['x', 'y', 'x', 'z'].map((k, i) => new Leaf(1, mh, k, undefined, i, 0, 1));
    leaves.push(new Leaf(2, mh ^ 0x80000000, 'w', undefined, 9, 0, 1)); // differs only in the top bit
    const { root, size } = buildRoot(leaves, 1);
    expect(size).toBe(4);
    expect(entries(root)).toEqual([
      ['w', 9],
      ['x', 2],
      ['y', 1],
      ['z', 3],
    ]);
    expect(lookup(root, mh, 'x', undefined)?.value).toBe(2);
    expect(buildRoot([], 1)).toMatchObject({ size: 0 });
    expect(entries(buildRoot([], 1).root)).toEqual([]);
    const one = buildRoot([leafOf('only', 5, 1)], 1);
    expect(one.size).toBe(1);
    expect(getKey(one.root, 'only')).toBe(5);
  });
});
