/**
 * The store behind mapWithState: per partition, one Map from each key to the leaf of its latest
 * write, every leaf linked to the leaf it replaced (`prev`). The latest state is read and written
 * at a Map's cost; a committed version (a batch's state, `LeafView`) is read by following each
 * key's links back to the leaf born at or before its batch.
 *
 * It replaced a persistent hash trie (a path of 4 nodes walked, and copied, per write): at 100 k
 * keys and a batch writing 100 k records the record loop took ~0.7-0.9 us a record there and
 * ~0.3 here; at 1 M keys ~3.5 against ~1.0 (.scratch microbench, Dec 3).
 *
 * When things happen:
 * - a batch (edit E) writes a key: its first write makes a leaf born E whose `prev` is the leaf
 *   the committed versions see (the key's latest leaf from before E, or undefined); later writes
 *   of the batch change that leaf in place. When no live version sees the key's latest leaf, the
 *   first write changes that leaf in place instead (born E from then on), its old fields kept in
 *   an undo list. A removal is a TOMBSTONE leaf, so that versions before it still find the key.
 *   Every leaf a batch makes points to the same pre-batch leaf, so a failed batch is undone by
 *   restoring the leaves it wrote in place, then putting each key's `prev` back (`rollback`).
 * - a version is read (stateSnapshots, a checkpoint's full copy): `forEachLeaf`, `LeafCursor`.
 *   New keys appended to a Map while a cursor iterates it are born after its version (skipped);
 *   a key rewritten keeps its place in the Map.
 * - a version is live while the stream remembers it, while a reader holds it (a snapshot written
 *   while later batches run), or, once something outside the stream may keep it (a
 *   stateSnapshots RDD), until the garbage collector frees it (a FinalizationRegistry). A stream
 *   that remembers one batch (nothing downstream reads older ones) lets a version go when the next
 *   batch commits, unless held or escaped: that batch may have written its leaves in place. A
 *   version released refuses to be read (a clear error, never a wrong state).
 * - each commit, the links of leaves born at or before the oldest live version are cut, and the
 *   tombstones no live version needs leave the Map (`trim`): chains stay as long as the live
 *   versions need, usually one link.
 */
import { encodeStructuredKey, hashKeySigned } from '../rdd/keys.js';

/** The value of a leaf that marks its key removed (and hides a restored table's entry of it). */
export const TOMBSTONE: unique symbol = Symbol('tombstone');

/**
 * One key's value as written by one batch (`born`), and the time of its last write (kept only
 * when a timeout reads it, 0 otherwise). Once its batch committed it changes only where no live
 * version sees it: a later batch may write it in place (and become its `born`) when none does.
 */
export class Leaf<K, V> {
  /**
   * Minus the edit of the batch that wrote this leaf in place (see InternalMapWithStateDStream):
   * tells it from a leaf that batch made.
   */
  mark = 0;
  /**
   * The leaf's index in its batch's (`born`'s) change log, -1 when not logged there: a later batch
   * that replaces or removes the leaf marks the entry it superseded there (ChangeLog.marksOf).
   */
  at = -1;

  constructor(
    /** hashKey of the key as a signed 32-bit integer (hashKeySigned; `h >>> 0` picks the partition). */
    readonly h: number,
    readonly key: K,
    /** The encoded form of a structured key; undefined for a primitive key. */
    readonly code: string | undefined,
    public value: V,
    public stamp: number,
    /** The edit that made (or last wrote in place) the leaf: versions of edits before it do not see it. */
    public born: number,
    /** The leaf of the same key that versions before `born` see (undefined: none, or no live version needs it). */
    public prev: Leaf<K, V> | undefined,
  ) {}
}

/**
 * A leaf's stamp: the time of its key's last write, read only for timeouts. Without a timeout, 0:
 * a time of the epoch does not fit a small integer, so each leaf would carry a heap number too.
 */
export function stampOf(time: number, timeout: number | undefined): number {
  return timeout === undefined ? 0 : time;
}

/**
 * murmur3's finaliser: spreads hashKey's output (small integers hash to themselves) over all
 * bits, as a signed 32-bit integer. The restored table (RestoredTable.ts) places keys by it.
 */
export function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The encoded form of a structured key (its `code`, whose hash is the key's), undefined for a primitive. */
export function structuredCode(key: unknown): string | undefined {
  return typeof key === 'object' && key !== null ? encodeStructuredKey(key) : undefined;
}

/** A key's code and hash (hashKeySigned: a small integer, as every leaf keeps it). */
export function keyInfo(key: unknown): { h: number; code: string | undefined } {
  const code = structuredCode(key);
  return { h: hashKeySigned(code ?? key), code };
}

/**
 * One partition's latest leaves: primitive keys by SameValueZero (a Map's own comparison: NaN
 * equals NaN, 1 is not "1"), structured keys by their encoded contents.
 */
export class LeafMap<K, V> {
  readonly prim = new Map<unknown, Leaf<K, V>>();
  structured: Map<string, Leaf<K, V>> | undefined;

  /** The latest leaf of the key (a TOMBSTONE leaf when removed), or undefined. */
  get(key: K, code: string | undefined): Leaf<K, V> | undefined {
    return code === undefined ? this.prim.get(key) : this.structured?.get(code);
  }

  set(leaf: Leaf<K, V>): void {
    if (leaf.code === undefined) this.prim.set(leaf.key, leaf);
    else (this.structured ??= new Map()).set(leaf.code, leaf);
  }

  delete(leaf: Leaf<K, V>): void {
    if (leaf.code === undefined) this.prim.delete(leaf.key);
    else this.structured?.delete(leaf.code);
  }

  /** Keys held, tombstones included. */
  get size(): number {
    return this.prim.size + (this.structured?.size ?? 0);
  }
}

/** A committed version of the state (one batch's), shared by its partitions' views. */
export class StateVersion {
  /** Something outside the stream may hold it: it stays live until collected. */
  escaped = false;
  /** Readers holding it (StateMaps.hold). */
  holds = 0;
  /** No longer remembered, never escaped and not held: its leaves may be gone. */
  released = false;

  constructor(
    readonly edit: number,
    /** The batch time, for the error a read of a released version throws. */
    readonly time: number,
  ) {}
}

/** One partition of one version. */
export class LeafView<K, V> {
  constructor(
    readonly map: LeafMap<K, V>,
    readonly version: StateVersion,
  ) {}

  /** The map to read, after checking the version may still be read. */
  readable(): LeafMap<K, V> {
    if (this.version.released) {
      throw new Error(
        `mapWithState: the state of batch ${this.version.time} is no longer remembered; read it through stateSnapshots(), which keeps it readable`,
      );
    }
    return this.map;
  }

  /** The leaf of `key` this version sees (a TOMBSTONE leaf when it sees the key removed), or undefined. */
  get(key: K, code: string | undefined): Leaf<K, V> | undefined {
    return seenBy(this.readable().get(key, code), this.version.edit);
  }
}

/** The leaf of a chain that the version of `edit` sees. */
export function seenBy<K, V>(leaf: Leaf<K, V> | undefined, edit: number): Leaf<K, V> | undefined {
  while (leaf !== undefined && leaf.born > edit) leaf = leaf.prev;
  return leaf;
}

/** Calls `f` on every leaf the view's version sees (tombstones included: the caller skips them). */
export function forEachLeaf<K, V>(view: LeafView<K, V>, f: (leaf: Leaf<K, V>) => void): void {
  const map = view.readable();
  const edit = view.version.edit;
  for (const latest of map.prim.values()) {
    const leaf = seenBy(latest, edit);
    if (leaf !== undefined) f(leaf);
  }
  if (map.structured !== undefined) {
    for (const latest of map.structured.values()) {
      const leaf = seenBy(latest, edit);
      if (leaf !== undefined) f(leaf);
    }
  }
}

/**
 * Every leaf a version sees, a piece at a time (a snapshot written while later batches run), in
 * forEachLeaf's order: the Maps' own iterators, which stay valid while later batches write.
 */
export class LeafCursor<K, V> {
  private readonly map: LeafMap<K, V>;
  private iter: Iterator<Leaf<K, V>> | undefined;
  private onStructured = false;

  constructor(private readonly view: LeafView<K, V>) {
    this.map = view.readable();
    this.iter = this.map.prim.values();
  }

  /** Calls `f` on up to `max` more leaves; returns how many (0: every leaf was given). */
  take(max: number, f: (leaf: Leaf<K, V>) => void): number {
    const edit = this.view.version.edit;
    let n = 0;
    while (n < max && this.iter !== undefined) {
      const next = this.iter.next();
      if (next.done === true) {
        // The structured keys' Map may have been made after the cursor started.
        this.iter = this.onStructured ? undefined : this.map.structured?.values();
        this.onStructured = true;
        continue;
      }
      const leaf = seenBy(next.value, edit);
      if (leaf !== undefined) {
        f(leaf);
        n++;
      }
    }
    return n;
  }
}
