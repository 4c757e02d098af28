/**
 * Building a version of the trie (hamt.ts) from many leaves at once, bottom-up: what restoring a
 * checkpoint does with millions of keys. No path is copied per key: the leaves are sorted once in
 * trie order, then every node is made once from its run of the sorted order.
 */
import { Branch, BITS, Collision, Leaf, MASK, sameKey, type Child, type Root } from './hamt.js';

/**
 * A version holding `leaves` (a key given twice: the later leaf wins; a later leaf for which
 * `removes` is true takes the key out), built bottom-up under `edit` — what restoring a
 * checkpoint does with millions of keys, its snapshot then its delta log. The leaves are sorted
 * once in trie order (their hashes with the 5-bit digits in reverse, a radix sort of typed
 * arrays), then every node is made once from its run of the sorted order: no walk, no path copy
 * per key, and no leaf is read again after its hash (a million leaves sit all over the heap).
 * Returns the root and the number of keys in it.
 */
export function buildRoot<K, V>(
  leaves: readonly Leaf<K, V>[],
  edit: number,
  removes?: (leaf: Leaf<K, V>) => boolean,
): { root: Root<K, V>; size: number } {
  const n = leaves.length;
  let keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) keys[i] = trieOrder(leaves[i]!.mh);
  // LSD radix sort, 8 bits a pass, stable (a key given twice keeps its order): keys and positions.
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let keys2 = new Uint32Array(n);
  let order2 = new Int32Array(n);
  const counts = new Int32Array(256);
  for (let shift = 0; shift < 32; shift += 8) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(keys[i]! >>> shift) & 255]!++;
    for (let d = 0, at = 0; d < 256; d++) {
      const c = counts[d]!;
      counts[d] = at;
      at += c;
    }
    for (let i = 0; i < n; i++) {
      const to = counts[(keys[i]! >>> shift) & 255]!++;
      keys2[to] = keys[i]!;
      order2[to] = order[i]!;
    }
    [keys, keys2] = [keys2, keys];
    [order, order2] = [order2, order];
  }
  const b = new Builder(leaves, keys, order, edit, removes);
  const root = b.branch(0, n, 0, true) as Branch<K, V>; // the root is always a branch
  return { root, size: b.size };
}

/** The hash with its 5-bit digits reversed (the root's digit first): sorting by it sorts in trie order. */
function trieOrder(mh: number): number {
  let k = 0;
  for (let level = 0; level < 6; level++) k |= ((mh >>> (level * BITS)) & MASK) << (27 - level * BITS);
  return (k | (mh >>> 30)) >>> 0;
}

/** The digit of level `level` of a trieOrder key. */
function digitAt(k: number, level: number): number {
  return level < 6 ? (k >>> (27 - level * BITS)) & MASK : k & 3;
}

class Builder<K, V> {
  size = 0;

  constructor(
    private readonly leaves: readonly Leaf<K, V>[],
    /** trieOrder keys, sorted, and the position in `leaves` of each. */
    private readonly keys: Uint32Array,
    private readonly order: Int32Array,
    private readonly edit: number,
    private readonly removes: ((leaf: Leaf<K, V>) => boolean) | undefined,
  ) {}

  /**
   * The branch of sorted run [lo, hi), whose keys agree above level `level`; undefined when every
   * key of it was removed. Below the root, a branch left with one leaf (or collision) is that leaf.
   */
  branch(lo: number, hi: number, level: number, root = false): Child<K, V> | undefined {
    const keys = this.keys;
    let bitmap = 0;
    const arr: Child<K, V>[] = [];
    for (let a = lo; a < hi; ) {
      const d = digitAt(keys[a]!, level);
      let z = a + 1;
      while (z < hi && digitAt(keys[z]!, level) === d) z++;
      const c = this.child(a, z, level + 1);
      if (c !== undefined) {
        bitmap |= 1 << d;
        arr.push(c);
      }
      a = z;
    }
    if (!root && arr.length <= 1 && !(arr[0] instanceof Branch)) return arr[0];
    // Sized exactly (an array grown by push keeps spare room, in every node of a million-key trie).
    return new Branch(bitmap, arr.slice(), this.edit);
  }

  /** The node of sorted run [lo, hi) (at least one leaf), whose keys agree above level `level`. */
  private child(lo: number, hi: number, level: number): Child<K, V> | undefined {
    if (hi - lo === 1) {
      const leaf = this.leaves[this.order[lo]!]!;
      if (this.removes?.(leaf)) return undefined;
      this.size++;
      return leaf;
    }
    if (this.keys[lo] !== this.keys[hi - 1]) return this.branch(lo, hi, level);
    // One hash: one key given again (or removed), or colliding keys.
    const kept: Leaf<K, V>[] = [];
    for (let i = lo; i < hi; i++) {
      const leaf = this.leaves[this.order[i]!]!;
      const j = kept.findIndex((l) => sameKey(l, leaf.key, leaf.code));
      if (this.removes?.(leaf)) {
        if (j >= 0) kept.splice(j, 1);
      } else if (j >= 0) kept[j] = leaf;
      else kept.push(leaf);
    }
    this.size += kept.length;
    if (kept.length <= 1) return kept[0];
    return new Collision(kept[0]!.mh, kept, this.edit);
  }
}
