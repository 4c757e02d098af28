/**
 * A persistent hash map (a hash array mapped trie, 32-way) keyed by value, the store behind
 * mapWithState.
 *
 * Every committed version stays readable for as long as something holds its root: a batch's
 * state snapshot is just its root, taken in O(1), and later batches never change it. A batch
 * writes under its own `edit` number: the first write to a node committed by an earlier batch
 * copies that node (and the path above it), later writes of the same batch to nodes it created
 * change them in place. So a batch costs O(keys it touches × depth), whatever the number of
 * keys in the map (depth is log32 n: 4 levels for a million keys), and nothing already handed
 * out ever changes.
 *
 * Keys compare like KeyMap keys (src/rdd/keys.ts): primitives by SameValueZero, arrays and plain
 * objects by their encoded contents. Each leaf keeps the key's hash, hashKey's bits as a signed
 * integer (`h`, hashKeySigned; `h >>> 0` picks the key's partition), and a mixed form of it (`mh`)
 * that drives the trie.
 */
import { encodeStructuredKey, hashKeySigned } from '../rdd/keys.js';

export const BITS = 5;
export const MASK = 31;

/**
 * One key, its value and the batch time it was last written at (kept only when a timeout reads
 * it, 0 otherwise). Immutable once its batch committed.
 */
export class Leaf<K, V> {
  constructor(
    /** hashKey of the key as a signed 32-bit integer (hashKeySigned; read it `>>> 0`). */
    readonly h: number,
    readonly mh: number,
    readonly key: K,
    /** The encoded form of a structured key; undefined for a primitive key. */
    readonly code: string | undefined,
    public value: V,
    public stamp: number,
    /**
     * The edit (batch) that made the leaf; once a later batch that replaced this leaf (a new leaf
     * of its key) or removed its key committed, minus that batch's edit (see replacedIn). Only
     * a leaf of the latest version is ever compared with the edit of the batch running.
     */
    public edit: number,
  ) {}
}

/**
 * A leaf's stamp: the time of its key's last write, read only for timeouts. Without a timeout, 0:
 * a time of the epoch does not fit a small integer, so each leaf would carry a heap number too
 * (96 bytes a leaf instead of 80, and a batch's new leaves are most of what its GC copies).
 */
export function stampOf(time: number, timeout: number | undefined): number {
  return timeout === undefined ? 0 : time;
}

/** The edit that replaced or removed `leaf` (see Leaf.edit), or 0 while it is its key's latest. */
export function replacedIn(leaf: Leaf<unknown, unknown>): number {
  return leaf.edit < 0 ? -leaf.edit : 0;
}

/** An inner node: a bit per 5-bit digit present, and the children in digit order. */
export class Branch<K, V> {
  constructor(
    public bitmap: number,
    public arr: Child<K, V>[],
    readonly edit: number,
  ) {}
}

/** Keys whose 32-bit mixed hashes are equal. */
export class Collision<K, V> {
  constructor(
    readonly mh: number,
    public leaves: Leaf<K, V>[],
    readonly edit: number,
  ) {}
}

export type Child<K, V> = Branch<K, V> | Leaf<K, V> | Collision<K, V>;
export type Root<K, V> = Branch<K, V>;

/** The hash and encoded form of a key, computed once per record. */
export interface KeyInfo {
  h: number;
  mh: number;
  code: string | undefined;
}

/**
 * murmur3's finaliser: spreads hashKey's output (small integers hash to themselves) over all
 * bits. A signed 32-bit integer (a small integer to V8, stored in the leaf itself: an unsigned
 * one above 2^31 would be a heap number of its own, one more object per key).
 */
export function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A key's code, hash (hashKeySigned: a small integer, as every leaf keeps it) and mixed hash. */
export function keyInfo(key: unknown): KeyInfo {
  const code = structuredCode(key);
  const h = hashKeySigned(code ?? key);
  return { h, mh: mix(h), code };
}

/** The encoded form of a structured key (its `code`, whose hash is the key's), undefined for a primitive. */
export function structuredCode(key: unknown): string | undefined {
  return typeof key === 'object' && key !== null ? encodeStructuredKey(key) : undefined;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Whether `leaf` holds `key` (its encoded form `code` for a structured key). */
export function sameKey<K, V>(leaf: Leaf<K, V>, key: K, code: string | undefined): boolean {
  if (code !== undefined) return leaf.code === code;
  if (leaf.code !== undefined) return false;
  const a = leaf.key as unknown;
  const b = key as unknown;
  return a === b || (a !== a && b !== b); // SameValueZero: NaN equals NaN
}

export function emptyRoot<K, V>(): Root<K, V> {
  return new Branch<K, V>(0, [], -1);
}

/** The leaf of `key` in the version `root`, or undefined. */
export function lookup<K, V>(root: Root<K, V>, mh: number, key: K, code: string | undefined): Leaf<K, V> | undefined {
  let node: Child<K, V> = root;
  let shift = 0;
  for (;;) {
    if (node instanceof Branch) {
      const bit = 1 << ((mh >>> shift) & MASK);
      if ((node.bitmap & bit) === 0) return undefined;
      node = node.arr[popcount(node.bitmap & (bit - 1))]!;
      shift += BITS;
    } else if (node instanceof Leaf) {
      return node.mh === mh && sameKey(node, key, code) ? node : undefined;
    } else {
      if (node.mh !== mh) return undefined;
      for (const leaf of node.leaves) if (sameKey(leaf, key, code)) return leaf;
      return undefined;
    }
  }
}

function editable<K, V>(node: Branch<K, V>, edit: number): Branch<K, V> {
  return node.edit === edit ? node : new Branch(node.bitmap, node.arr.slice(), edit);
}

/** A node holding two children whose hashes differ below `shift` (or a collision node when they do not). */
function merge<K, V>(shift: number, a: Leaf<K, V> | Collision<K, V>, b: Leaf<K, V>, edit: number): Child<K, V> {
  if (a.mh === b.mh) {
    const leaves = a instanceof Collision ? [...a.leaves, b] : [a, b];
    return new Collision(a.mh, leaves, edit);
  }
  const ia = (a.mh >>> shift) & MASK;
  const ib = (b.mh >>> shift) & MASK;
  if (ia === ib) return new Branch(1 << ia, [merge(shift + BITS, a, b, edit)], edit);
  return new Branch((1 << ia) | (1 << ib), ia < ib ? [a, b] : [b, a], edit);
}

/**
 * `root` with `leaf` in place of any leaf of the same key, written under `edit`. Returns the new
 * root (the same object when `root` already belongs to `edit`).
 */
export function put<K, V>(root: Root<K, V>, leaf: Leaf<K, V>, edit: number): Root<K, V> {
  return putIn(root, 0, leaf, edit);
}

function putIn<K, V>(node: Branch<K, V>, shift: number, leaf: Leaf<K, V>, edit: number): Branch<K, V> {
  const bit = 1 << ((leaf.mh >>> shift) & MASK);
  if ((node.bitmap & bit) !== 0) {
    const pos = popcount(node.bitmap & (bit - 1));
    const child = node.arr[pos]!;
    if (child instanceof Branch) {
      const next = putIn(child, shift + BITS, leaf, edit);
      if (next === child) return node;
      const out = editable(node, edit);
      out.arr[pos] = next;
      return out;
    }
  }
  return putHere(node, shift, leaf, edit);
}

/** Put `leaf` into `node` (at `shift`), whose slot for it is empty or holds a leaf or collision node. */
function putHere<K, V>(node: Branch<K, V>, shift: number, leaf: Leaf<K, V>, edit: number): Branch<K, V> {
  const bit = 1 << ((leaf.mh >>> shift) & MASK);
  const pos = popcount(node.bitmap & (bit - 1));
  if ((node.bitmap & bit) === 0) {
    const out = editable(node, edit);
    out.arr.splice(pos, 0, leaf);
    out.bitmap |= bit;
    return out;
  }
  const child = node.arr[pos]!;
  let next: Child<K, V>;
  if (child instanceof Leaf) {
    next = child.mh === leaf.mh && sameKey(child, leaf.key, leaf.code) ? leaf : merge(shift + BITS, child, leaf, edit);
  } else if (child instanceof Collision && child.mh === leaf.mh) {
    const leaves = child.leaves.slice();
    const i = leaves.findIndex((l) => sameKey(l, leaf.key, leaf.code));
    if (i >= 0) leaves[i] = leaf;
    else leaves.push(leaf);
    next = new Collision(child.mh, leaves, edit);
  } else {
    next = merge(shift + BITS, child as Collision<K, V>, leaf, edit);
  }
  const out = editable(node, edit);
  out.arr[pos] = next;
  return out;
}

/**
 * The branches from the root down to where a key is or would go, as `lookupPath` found them:
 * `putAlong` then writes there without walking down again. Reused from record to record.
 */
export class Path<K, V> {
  readonly branches: Branch<K, V>[] = [];
  length = 0;
}

/** Like `lookup`, and records the path in `path` for a following `putAlong` (no write in between). */
export function lookupPath<K, V>(
  root: Root<K, V>,
  mh: number,
  key: K,
  code: string | undefined,
  path: Path<K, V>,
): Leaf<K, V> | undefined {
  const branches = path.branches;
  let depth = 0;
  let node = root;
  let shift = 0;
  for (;;) {
    branches[depth++] = node;
    const bit = 1 << ((mh >>> shift) & MASK);
    if ((node.bitmap & bit) === 0) break;
    const child = node.arr[popcount(node.bitmap & (bit - 1))]!;
    if (child instanceof Branch) {
      node = child;
      shift += BITS;
      continue;
    }
    path.length = depth;
    if (child instanceof Leaf) return child.mh === mh && sameKey(child, key, code) ? child : undefined;
    if (child.mh !== mh) return undefined;
    for (const l of child.leaves) if (sameKey(l, key, code)) return l;
    return undefined;
  }
  path.length = depth;
  return undefined;
}

/** `put` of a leaf whose key `path` was recorded for; returns the new root. */
export function putAlong<K, V>(path: Path<K, V>, leaf: Leaf<K, V>, edit: number): Root<K, V> {
  const branches = path.branches;
  let d = path.length - 1;
  let shift = d * BITS;
  let node = branches[d]!;
  let next = putHere(node, shift, leaf, edit);
  while (d > 0) {
    if (next === node) return branches[0]!; // written in place: the path above already leads here
    d--;
    shift -= BITS;
    node = branches[d]!;
    const out = editable(node, edit);
    out.arr[popcount(node.bitmap & ((1 << ((leaf.mh >>> shift) & MASK)) - 1))] = next;
    next = out;
  }
  return next;
}

/** `root` without `key`, written under `edit` (the same object when the key is absent). */
export function remove<K, V>(root: Root<K, V>, mh: number, key: K, code: string | undefined, edit: number): Root<K, V> {
  return removeIn(root, 0, mh, key, code, edit) ?? new Branch<K, V>(0, [], edit);
}

/** Returns `node` when unchanged, null when it became empty, else the changed node. */
function removeIn<K, V>(
  node: Branch<K, V>,
  shift: number,
  mh: number,
  key: K,
  code: string | undefined,
  edit: number,
): Branch<K, V> | null {
  const bit = 1 << ((mh >>> shift) & MASK);
  if ((node.bitmap & bit) === 0) return node;
  const pos = popcount(node.bitmap & (bit - 1));
  const child = node.arr[pos]!;
  let next: Child<K, V> | null;
  if (child instanceof Branch) {
    const r = removeIn(child, shift + BITS, mh, key, code, edit);
    // Keep the trie compact: a branch left with a single leaf is replaced by that leaf.
    next = r !== null && r.arr.length === 1 && !(r.arr[0] instanceof Branch) ? r.arr[0]! : r;
  } else if (child instanceof Leaf) {
    if (child.mh !== mh || !sameKey(child, key, code)) return node;
    next = null;
  } else {
    if (child.mh !== mh) return node;
    const i = child.leaves.findIndex((l) => sameKey(l, key, code));
    if (i < 0) return node;
    const leaves = child.leaves.filter((_, j) => j !== i);
    next = leaves.length === 1 ? leaves[0]! : new Collision(child.mh, leaves, edit);
  }
  if (next === child) return node;
  if (next === null) {
    if (node.arr.length === 1) return null;
    const out = editable(node, edit);
    out.arr.splice(pos, 1);
    out.bitmap &= ~bit;
    return out;
  }
  const out = editable(node, edit);
  out.arr[pos] = next;
  return out;
}

/** Calls `f` on every leaf of the version `root`. */
export function forEachLeaf<K, V>(root: Root<K, V>, f: (leaf: Leaf<K, V>) => void): void {
  const arr = root.arr;
  for (let i = 0; i < arr.length; i++) {
    const c = arr[i]!;
    if (c instanceof Leaf) f(c);
    else if (c instanceof Branch) forEachLeaf(c, f);
    else for (const l of c.leaves) f(l);
  }
}

/**
 * Every leaf of the version `root`, a piece at a time (a snapshot written while later batches
 * run), in forEachLeaf's order: a stack of branches and a loop, no generator's resume per leaf.
 */
export class LeafCursor<K, V> {
  private readonly branches: Branch<K, V>[];
  private readonly next: number[] = [0];
  /** A collision's leaves still to give, from `at`. */
  private pending: readonly Leaf<K, V>[] = [];
  private at = 0;

  constructor(root: Root<K, V>) {
    this.branches = [root];
  }

  /** Calls `f` on up to `max` more leaves; returns how many (0: every leaf was given). */
  take(max: number, f: (leaf: Leaf<K, V>) => void): number {
    const { branches, next } = this;
    let n = 0;
    while (n < max) {
      if (this.at < this.pending.length) {
        f(this.pending[this.at++]!);
        n++;
        continue;
      }
      const top = branches.length - 1;
      if (top < 0) break;
      const arr = branches[top]!.arr;
      const i = next[top]!++;
      if (i >= arr.length) {
        branches.pop();
        next.pop();
        continue;
      }
      const c = arr[i]!;
      if (c instanceof Leaf) {
        f(c);
        n++;
      } else if (c instanceof Branch) {
        branches.push(c);
        next.push(0);
      } else {
        this.pending = c.leaves;
        this.at = 0;
      }
    }
    return n;
  }
}
