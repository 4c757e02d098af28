// The Maps behind mapWithState: the latest state at a Map's cost, every remembered version as it was.
import { describe, expect, it } from 'vitest';
import { StateMaps } from '../../src/state/StateMaps.js';
import { forEachLeaf, keyInfo, Leaf, LeafCursor, TOMBSTONE, type LeafView } from '../../src/state/stateMap.js';

/**
 * Writes batches the way InternalMapWithStateDStream does: a new leaf on a key's first write of a
 * batch, in place after (or, set in place, its latest leaf changed, its old fields kept to undo).
 */
class Batches<K, V> {
  readonly maps = new StateMaps<K, V>(2);
  edit = 0;
  private made: Leaf<K, V>[] = [];
  private undo: unknown[] = [];

  begin(): void {
    this.edit++;
    this.made = [];
    this.undo = [];
  }

  private at(key: K): { h: number; code: string | undefined; current: Leaf<K, V> | undefined; p: number } {
    const { h, code } = keyInfo(key);
    const p = (h >>> 0) % 2;
    return { h, code, p, current: this.maps.maps[p]!.get(key, code) };
  }

  private before(current: Leaf<K, V> | undefined): Leaf<K, V> | undefined {
    return current !== undefined && current.born === this.edit && current.mark !== -this.edit ? current.prev : current;
  }

  /** A first write that changes the key's latest leaf in place (when nothing reads it), as the stream does. */
  setInPlace(key: K, value: V): void {
    const { current } = this.at(key);
    if (current === undefined || current.born === this.edit || (current.value as unknown) === TOMBSTONE) throw new Error('not a first write of a live key');
    this.undo.push(current, current.value, current.stamp, current.born, current.at);
    current.value = value;
    current.born = this.edit;
    current.mark = -this.edit;
    current.at = this.made.length; // its place in the batch's change log
    this.made.push(current);
  }

  set(key: K, value: V): void {
    const { h, code, current, p } = this.at(key);
    if (current !== undefined && current.born === this.edit && (current.value as unknown) !== TOMBSTONE) {
      current.value = value;
      return;
    }
    const leaf = new Leaf(h, key, code, value, 0, this.edit, this.before(current));
    leaf.at = this.made.length; // its place in the batch's change log
    this.maps.maps[p]!.set(leaf);
    this.made.push(leaf);
  }

  remove(key: K): void {
    const { h, code, current, p } = this.at(key);
    if (current === undefined || (current.value as unknown) === TOMBSTONE) return;
    const leaf = new Leaf(h, key, code, TOMBSTONE as unknown as V, 0, this.edit, this.before(current));
    this.maps.maps[p]!.set(leaf);
    this.made.push(leaf);
  }

  commit(): LeafView<K, V>[] {
    return this.maps.commit(this.edit, this.edit * 1000, [this.made]);
  }

  rollback(): void {
    this.maps.rollback(this.edit, [this.made], this.undo, this.undo.length);
  }
}

function entries<K, V>(views: LeafView<K, V>[]): [string, V][] {
  const out: [string, V][] = [];
  for (const v of views) forEachLeaf(v, (l) => void ((l.value as unknown) !== TOMBSTONE && out.push([JSON.stringify(l.key), l.value])));
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const sorted = <V>(m: Map<unknown, V>): [string, V][] =>
  [...m].map(([k, v]): [string, V] => [JSON.stringify(k), v]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** Every leaf the Maps hold, following the links. */
function chainLengths<K, V>(maps: StateMaps<K, V>): number[] {
  const out: number[] = [];
  for (const m of maps.maps) {
    for (const leaf of m.prim.values()) {
      let n = 0;
      for (let l: Leaf<K, V> | undefined = leaf; l !== undefined; l = l.prev) n++;
      out.push(n);
    }
  }
  return out;
}

describe('the state Maps of mapWithState', () => {
  it('match a Map through random puts and removes, every remembered version stays as it was, and forgetting them trims the links', () => {
    let seed = 7;
    const rand = (n: number): number => Math.floor(((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * n);
    const b = new Batches<number | string, number>();
    const model = new Map<number | string, number>();
    const versions: [LeafView<number | string, number>[], [string, number][]][] = [];
    for (let batch = 0; batch < 60; batch++) {
      b.begin();
      for (let op = 0; op < 200; op++) {
        const key = rand(2) ? rand(3000) : `s${rand(3000)}`;
        if (rand(4) === 0) {
          b.remove(key);
          model.delete(key);
        } else {
          b.set(key, op);
          model.set(key, op);
        }
      }
      versions.push([b.commit(), sorted(model)]);
    }
    for (const [views, expected] of versions) expect(entries(views)).toEqual(expected);
    // The latest version's lookups, and an earlier version's.
    const [latest] = versions[versions.length - 1]!;
    for (const [k, v] of model) expect(latest[(keyInfo(k).h >>> 0) % 2]!.get(k, undefined)?.value).toBe(v);
    expect(Math.max(...chainLengths(b.maps))).toBeGreaterThan(2);
    // Forget all but the latest: the next commit cuts every link and drops the tombstones.
    for (const [views] of versions.slice(0, -1)) b.maps.release(views[0]!.version);
    b.begin();
    b.set('after', 1);
    model.set('after', 1);
    const last = b.commit();
    expect(entries(last)).toEqual(sorted(model));
    expect(Math.max(...chainLengths(b.maps))).toBe(1);
    const held = b.maps.maps.reduce((n, m) => n + m.size, 0);
    expect(held).toBe(model.size);
    expect(() => entries(versions[0]![0])).toThrow(/state of batch 1000 is no longer remembered/);
  });

  it('compares keys by value: tuples and objects, 1 vs "1", NaN, -0', () => {
    const b = new Batches<unknown, string>();
    b.begin();
    b.set(['fr', 'paris'], 'a');
    b.set({ b: 2, a: 1 }, 'b');
    b.set(1, 'c');
    b.set('1', 'd');
    b.set(NaN, 'e');
    b.set(-0, 'f');
    const views = b.commit();
    const get = (k: unknown): string | undefined => {
      const { h, code } = keyInfo(k);
      const leaf = views[(h >>> 0) % 2]!.get(k, code);
      return leaf === undefined || (leaf.value as unknown) === TOMBSTONE ? undefined : leaf.value;
    };
    expect(get(['fr', 'paris'])).toBe('a');
    expect(get({ a: 1, b: 2 })).toBe('b');
    expect(get(1)).toBe('c');
    expect(get('1')).toBe('d');
    expect(get(NaN)).toBe('e');
    expect(get(0)).toBe('f');
    expect(get('["fr","paris"]')).toBeUndefined(); // a string is not the tuple it encodes to
    expect(entries(views)).toHaveLength(6);
  });

  it('a failed batch is undone: every key it wrote, added or removed holds what it held before, its leaf as it was', () => {
    const b = new Batches<string, number>();
    b.begin();
    for (let i = 0; i < 100; i++) b.set(`k${i}`, i);
    const v1 = b.commit();
    b.begin();
    for (let i = 0; i < 50; i++) b.set(`k${i}`, -i); // replaced
    b.set('k1', 7); // in place
    for (let i = 70; i < 80; i++) b.setInPlace(`k${i}`, -i); // the latest leaf written in place
    b.set('k70', 5); // and again
    b.remove('k71'); // removed after it
    b.remove('k72');
    b.set('k72', 9); // and written again
    b.remove('k2'); // written, then removed
    b.set('k2', 8); // and written again
    b.remove('k60');
    b.set('new', 1);
    b.remove('new');
    b.set('new2', 2);
    b.rollback();
    const expected = Array.from({ length: 100 }, (_, i): [string, number] => [JSON.stringify(`k${i}`), i]).sort((x, y) => (x[0] < y[0] ? -1 : 1));
    expect(entries(v1)).toEqual(expected);
    const size = b.maps.maps.reduce((n, m) => n + m.size, 0);
    expect(size).toBe(100);
    // Written in place, a leaf gets back its batch and its place in that batch's change log (a later
    // batch that supersedes it would otherwise cross out another key's entry there).
    for (const m of b.maps.maps) for (const leaf of m.prim.values()) expect([leaf.born, leaf.at, leaf.mark]).toEqual([1, Number((leaf.key as string).slice(1)), 0]);
  });

  it('an escaped version stays readable after it is forgotten, while later batches write, add and remove keys; a cursor on it gives exactly its leaves', () => {
    const b = new Batches<string, number>();
    b.begin();
    for (let i = 0; i < 1000; i++) b.set(`k${i}`, i);
    const v1 = b.commit();
    b.maps.escape(v1[0]!.version);
    const cursor = new LeafCursor(v1[0]!);
    const seen: [string, number][] = [];
    cursor.take(100, (l) => void seen.push([JSON.stringify(l.key), l.value]));
    b.maps.release(v1[0]!.version);
    for (let batch = 0; batch < 5; batch++) {
      b.begin();
      for (let i = 0; i < 1000; i += 2) b.set(`k${i}`, -batch);
      for (let i = 1; i < 1000; i += 10) b.remove(`k${i}`);
      for (let i = 0; i < 300; i++) b.set(`n${batch}-${i}`, i);
      b.commit();
    }
    while (cursor.take(100, (l) => void seen.push([JSON.stringify(l.key), l.value])) > 0);
    const part0 = entries([v1[0]!]);
    expect(seen.sort((x, y) => (x[0] < y[0] ? -1 : 1))).toEqual(part0);
    expect(entries(v1)).toHaveLength(1000);
    expect(entries(v1).every(([k, v]) => k === JSON.stringify(`k${v}`))).toBe(true);
  });

  it('a held version stays readable until its reader is done, and its links are cut only then', () => {
    const b = new Batches<string, number>();
    b.begin();
    for (let i = 0; i < 100; i++) b.set(`k${i}`, i);
    const v1 = b.commit();
    const done = b.maps.hold(v1[0]!.version);
    b.maps.release(v1[0]!.version);
    for (let batch = 0; batch < 3; batch++) {
      b.begin();
      for (let i = 0; i < 100; i++) b.set(`k${i}`, -1);
      const views = b.commit();
      if (batch < 2) b.maps.release(views[0]!.version); // the stream remembers the latest only
    }
    expect(entries(v1).every(([k, v]) => k === JSON.stringify(`k${v}`))).toBe(true);
    expect(Math.max(...chainLengths(b.maps))).toBe(4);
    done();
    done(); // twice is once
    b.begin();
    b.set('k0', -2);
    b.commit();
    expect(Math.max(...chainLengths(b.maps))).toBeLessThanOrEqual(2);
    expect(() => entries(v1)).toThrow(/no longer remembered/);
  });
});
