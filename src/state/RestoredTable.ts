/**
 * The keys a restore read from snapshot chunks whose keys are text (KeyTextChunk), kept as that
 * text: no string or leaf per key. A restore of a million keys hashes each key in
 * place and fills an open-addressing index (a few typed arrays), instead of making a million
 * leaves that every young-generation GC copies while the state is built.
 *
 * For mapWithState, a version of the state is its Maps (stateMap.ts) over this table: the Maps
 * hold every key written since the restore — as a leaf, or as a TOMBSTONE leaf once removed — and
 * hide the table's entry of that key. Once restored, the table never changes but for when
 * each entry became hidden.
 *
 * When things happen:
 * - restore: the table is built once; the delta log's changes of its keys change it
 *   (restorePut, restoreRemove: no version exists yet), other keys go into the Maps as leaves.
 * - a batch writes or removes a key only the table holds: the Map gets a leaf (or a tombstone)
 *   for it, and at commit the entry is hidden from that batch's edit on (`hide`), so older
 *   versions, which do not see the leaf, still see the entry. A failed batch hides nothing.
 * - iterating a version (a full checkpoint, stateSnapshots): the leaves it sees but tombstones,
 *   then the table's entries of the partition the version had not hidden (`forEachEntry`).
 * - once every entry is hidden, later versions no longer refer to the table.
 *
 * Only for state stored without write times (no timeout): a timeout files every key in a bucket
 * of its write time, which takes a leaf per key anyway. updateStateByKey, whose state is pairs,
 * uses the table only while restoring (`forEachRestored`).
 */
import type { KeyTextChunk, SavedStreamCheckpoint, SnapshotChunk } from '../dstream/Checkpointable.js';
import { fnv1a, hashKey, KeyMap, partitionOf } from '../rdd/keys.js';
import { forEachLeaf, LeafCursor, mix, TOMBSTONE, type Leaf, type LeafView } from './stateMap.js';

/** One partition of one version's view of the table: what `forEachEntry` needs beside the leaves. */
export interface TableView<S> {
  readonly table: RestoredTable<S>;
  readonly part: number;
  /** The version's edit number: entries hidden at or before it are in its leaves. */
  readonly edit: number;
}

export class RestoredTable<S> {
  /** Entries in the table (each key once). */
  readonly size: number;
  /** The chunk of each entry, and the first entry of each chunk. */
  private readonly chunkOf: Int32Array;
  private readonly firstOf: Int32Array;
  /** hashKey of each entry's key, as an int32. */
  private readonly hashes: Int32Array;
  /** Open addressing by the mixed hash: entry + 1, 0 for an empty slot. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** The value of each entry (the table's own: the delta log's puts change it while restoring). */
  private readonly values: S[];
  /** The edit from which each entry is hidden (0: not hidden; -1: never seen, see restoreRemove). */
  private readonly hiddenAt: Int32Array;
  /** Entries not hidden, per partition. */
  private readonly visibleCount: Int32Array;
  private hidden = 0;

  constructor(
    private readonly chunks: readonly KeyTextChunk[],
    private readonly numPartitions: number,
    /** The restored batch's time: the write time the entries stand for. */
    readonly time: number,
  ) {
    let n = 0;
    this.firstOf = new Int32Array(chunks.length);
    for (let c = 0; c < chunks.length; c++) {
      this.firstOf[c] = n;
      n += chunks[c]!.values.length;
    }
    this.chunkOf = new Int32Array(n);
    this.hashes = new Int32Array(n);
    this.hiddenAt = new Int32Array(n);
    this.values = new Array<S>(n);
    for (let c = 0, i = 0; c < chunks.length; c++) for (const v of chunks[c]!.values) this.values[i++] = v as S;
    let cap = 16;
    while (cap < 2 * n) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    // In passes over typed arrays (one loop each: a million keys): hash, index, partition.
    hashKeys(chunks, this.chunkOf, this.hashes);
    this.size = this.index(n);
    const counts = new Int32Array(numPartitions);
    const { hashes, hiddenAt } = this;
    for (let i = 0; i < n; i++) if (hiddenAt[i] === 0) counts[numPartitions === 1 ? 0 : (hashes[i]! >>> 0) % numPartitions]!++;
    this.visibleCount = counts;
  }

  /**
   * Fills the index with entries 0..n-1 and returns the number of keys. A key stored twice (it
   * never is: each key once among the base chunks) keeps its last entry; the earlier is hidden.
   */
  private index(n: number): number {
    const { slots, hashes, mask } = this;
    let size = 0;
    for (let i = 0; i < n; i++) {
      const h = hashes[i]!;
      let slot = mix(h) & mask;
      for (;;) {
        const e = slots[slot]!;
        if (e === 0) {
          size++;
          break;
        }
        if (hashes[e - 1] === h && this.sameKey(e - 1, i)) {
          this.hiddenAt[e - 1] = -1;
          break;
        }
        slot = (slot + 1) & mask;
      }
      slots[slot] = i + 1;
    }
    return size;
  }

  private sameKey(a: number, b: number): boolean {
    return this.keyAt(a) === this.keyAt(b);
  }

  /** The entry of `key` (hashKey `h`, mixed `mh`), or -1. Only string keys are ever in the table. */
  find(key: unknown, h: number, mh: number): number {
    if (typeof key !== 'string') return -1;
    for (let slot = mh & this.mask; ; slot = (slot + 1) & this.mask) {
      const e = this.slots[slot]!;
      if (e === 0) return -1;
      if (this.hashes[e - 1] !== (h | 0)) continue;
      const chunk = this.chunks[this.chunkOf[e - 1]!]!;
      const j = e - 1 - this.firstOf[this.chunkOf[e - 1]!]!;
      const start = chunk.starts[j]!;
      if (chunk.starts[j + 1]! - 1 - start === key.length && chunk.keys.startsWith(key, start)) return this.hiddenAt[e - 1] === -1 ? -1 : e - 1;
    }
  }

  keyAt(i: number): string {
    const c = this.chunkOf[i]!;
    const j = i - this.firstOf[c]!;
    const { keys, starts } = this.chunks[c]!;
    return keys.slice(starts[j]!, starts[j + 1]! - 1);
  }

  valueAt(i: number): S {
    return this.values[i]!;
  }

  /** While restoring, before any version exists: the delta log put `value` for entry i's key. */
  restorePut(i: number, value: S): void {
    this.values[i] = value;
  }

  /** While restoring: the delta log removed entry i's key; the table no longer has it (`find` included). */
  restoreRemove(i: number): void {
    this.hide([i], -1);
  }

  /** Entries of partition `part` not hidden yet (as the latest version sees them). */
  visibleIn(part: number): number {
    return this.visibleCount[part]!;
  }

  /** Whether every entry is hidden (later versions need not refer to the table). */
  get allHidden(): boolean {
    return this.hidden === this.size;
  }

  /** The version of `edit` holds these entries' keys as leaves: hide them from it and later versions. */
  hide(entries: readonly number[], edit: number): void {
    const np = this.numPartitions;
    for (const i of entries) {
      if (this.hiddenAt[i] !== 0) continue;
      this.hiddenAt[i] = edit;
      this.hidden++;
      this.visibleCount[np === 1 ? 0 : (this.hashes[i]! >>> 0) % np]!--;
    }
  }

  /** Calls `f` on each entry of partition `part` (hashKey % partitions, as the Maps') that the version of edit `edit` sees. */
  forEach(part: number, edit: number, f: (key: string, value: S) => void): void {
    this.forEachIn(part, edit, (key, value) => f(key, value));
  }

  /**
   * Calls `f` on each entry the version of edit `edit` sees, with its partition; only those of
   * partition `only` unless it is -1. One loop over typed arrays, a string made per entry called.
   */
  forEachIn(only: number, edit: number, f: (key: string, value: S, part: number) => void): void {
    const { hashes, hiddenAt, numPartitions: np, chunks, chunkOf, firstOf, values } = this;
    for (let i = 0; i < hashes.length; i++) {
      const at = hiddenAt[i]!;
      if (at !== 0 && at <= edit) continue;
      const part = np === 1 ? 0 : (hashes[i]! >>> 0) % np;
      if (only !== -1 && part !== only) continue;
      const c = chunkOf[i]!;
      const { keys, starts } = chunks[c]!;
      const j = i - firstOf[c]!;
      f(keys.slice(starts[j]!, starts[j + 1]! - 1), values[i]!, part);
    }
  }

  /** The entries of partition `part` that the version of edit `edit` sees, lazily. */
  *visible(part: number, edit: number): Generator<number> {
    const { hashes, hiddenAt, numPartitions } = this;
    for (let i = 0; i < hashes.length; i++) {
      const at = hiddenAt[i]!;
      if ((at === 0 || at > edit) && (numPartitions === 1 || (hashes[i]! >>> 0) % numPartitions === part)) yield i;
    }
  }
}

/** Every key of one partition of a version, with its value and write time: the leaves it sees but tombstones, then the table's entries it sees. */
export function forEachEntry<K, S>(leaves: LeafView<K, S>, view: TableView<S> | undefined, f: (key: K, value: S, stamp: number) => void): void {
  forEachLeaf(leaves, (leaf) => {
    if ((leaf.value as unknown) !== TOMBSTONE) f(leaf.key, leaf.value, leaf.stamp);
  });
  if (view !== undefined) view.table.forEach(view.part, view.edit, (key, value) => f(key as K, value, view.table.time));
}

/**
 * forEachEntry's entries as snapshot chunks of up to `size` each, lazily (a merge writes them
 * while later batches run): the stored value is the state, or [state, write time] when `stamped`.
 */
export function* entryChunks<K, S>(leaves: LeafView<K, S>, view: TableView<S> | undefined, size: number, stamped: boolean): Generator<SnapshotChunk> {
  let keys: unknown[] = [];
  let values: unknown[] = [];
  const put = (key: unknown, value: unknown, stamp: number): void => {
    keys.push(key);
    values.push(stamped ? [value, stamp] : value);
  };
  const cursor = new LeafCursor(leaves);
  const fromLeaf = (leaf: Leaf<K, S>): void => {
    if ((leaf.value as unknown) !== TOMBSTONE) put(leaf.key, leaf.value, leaf.stamp);
  };
  while (cursor.take(size - keys.length, fromLeaf) > 0) {
    if (keys.length === size) {
      yield { keys, values };
      keys = [];
      values = [];
    }
  }
  if (view !== undefined) {
    const { table } = view;
    for (const i of table.visible(view.part, view.edit)) {
      put(table.keyAt(i), table.valueAt(i), table.time);
      if (keys.length === size) {
        yield { keys, values };
        keys = [];
        values = [];
      }
    }
  }
  if (keys.length > 0) yield { keys, values };
}

/** hashKey of every key of the chunks (as int32: the same bits), and each key's chunk. */
function hashKeys(chunks: readonly KeyTextChunk[], chunkOf: Int32Array, hashes: Int32Array): void {
  for (let c = 0, i = 0; c < chunks.length; c++) {
    const { keys, starts } = chunks[c]!;
    for (let j = 0; j + 1 < starts.length; j++, i++) {
      chunkOf[i] = c;
      hashes[i] = fnv1a(keys, starts[j]!, starts[j + 1]! - 1);
    }
  }
}

/**
 * Each key of a stored state once, with its value and partition (hashKey % partitions): for
 * streams that hold their state as [key, state] pairs (updateStateByKey). The text chunks are
 * indexed as a table and the delta log's changes of their keys applied in it, so a million
 * restored keys are not each looked up in a Map of the delta log's keys; the other keys (flat
 * chunks, keys new in the delta log) go through a KeyMap.
 */
export function forEachRestored(log: NonNullable<SavedStreamCheckpoint['log']>, numPartitions: number, f: (key: unknown, value: unknown, part: number) => void): void {
  const text = log.base.filter((c): c is KeyTextChunk => !Array.isArray(c));
  const table = text.length > 0 ? new RestoredTable<unknown>(text, numPartitions, 0) : undefined;
  const others = new KeyMap<unknown, unknown>();
  const put = (k: unknown, v: unknown): void => {
    const h = hashKey(k);
    const entry = table === undefined ? -1 : table.find(k, h, mix(h));
    if (entry >= 0) table!.restorePut(entry, v);
    else others.set(k, v);
  };
  for (const chunk of log.base) if (Array.isArray(chunk)) for (let i = 0; i < chunk.length; i += 2) put(chunk[i], chunk[i + 1]);
  for (const { flat, deletes } of log.deltas) {
    for (const k of deletes) {
      const h = hashKey(k);
      const entry = table === undefined ? -1 : table.find(k, h, mix(h));
      if (entry >= 0) table!.restoreRemove(entry);
      else others.delete(k);
    }
    for (let i = 0; i < flat.length; i += 2) put(flat[i], flat[i + 1]);
  }
  table?.forEachIn(-1, 0, f);
  others.forEach((v, k) => f(k, v, partitionOf(k, numPartitions)));
}
