import { LeafMap, LeafView, TOMBSTONE, StateVersion, type Leaf } from './stateMap.js';

/**
 * mapWithState's latest state (one LeafMap per partition, stateMap.ts) and the bookkeeping that
 * keeps its committed versions readable for exactly as long as they may be read.
 *
 * When things happen:
 * - `commit(edit, time, made, releaseEarlier)`: a batch's leaves are in the Maps; its version is
 *   made, pinned (the stream remembers it), and the leaves queued until no live version is older
 *   than them. With `releaseEarlier` (the batch may have written leaves in place) the versions
 *   pinned before it are let go: only an escape or a hold keeps them readable.
 * - `hold(version)`: a reader that knows when it is done (a snapshot written while later batches
 *   run) keeps the version live until it calls the function returned — or, if it never does,
 *   until the collector frees that function.
 * - `release(version)`: the stream forgot the version. Unless it escaped or is held, it is no
 *   longer live (and refuses reads); an escaped version stays live until the collector frees it.
 * - `trim()` (each commit): for every queued batch at or before the oldest live version, its
 *   leaves' links are cut and its tombstones leave the Map (unless `keepTombstone` says a
 *   restored table still needs one to hide its key).
 * - `rollback(edit, made, undo)`: a failed batch's leaves are replaced by what was there before it;
 *   the leaves it wrote in place get their old fields back.
 */
export class StateMaps<K, V> {
  readonly maps: LeafMap<K, V>[];
  private readonly pinned = new Set<StateVersion>();
  /** Edits of escaped versions the collector has not freed yet (a version may escape once). */
  private readonly escapedEdits = new Set<number>();
  private readonly registry = new FinalizationRegistry<number>((edit) => void this.escapedEdits.delete(edit));
  /** Holds not ended (hold), by edit. */
  private readonly heldEdits = new Map<number, number>();
  private readonly holdRegistry = new FinalizationRegistry<StateVersion>((version) => this.endHold(version));
  /** Batches whose leaves still have links to cut or tombstones to drop, oldest first. */
  private readonly queue: { edit: number; made: readonly (readonly (Leaf<K, V> | undefined)[])[] }[] = [];
  private latestEdit = 0;

  constructor(
    readonly numPartitions: number,
    /** Whether a tombstone must stay in the Map (a restored table holds its key). */
    private readonly keepTombstone: (leaf: Leaf<K, V>) => boolean = () => false,
  ) {
    this.maps = Array.from({ length: numPartitions }, () => new LeafMap<K, V>());
  }

  /** The partition of a leaf (hashKey % partitions). */
  partOf(leaf: Leaf<K, V>): number {
    return this.numPartitions === 1 ? 0 : (leaf.h >>> 0) % this.numPartitions;
  }

  /**
   * The batch of `edit` (at `time`) committed, having made the leaves in `made` (several lists;
   * undefined entries are skipped): returns its version's views, one per partition.
   */
  commit(edit: number, time: number, made: readonly (readonly (Leaf<K, V> | undefined)[])[], releaseEarlier = false): LeafView<K, V>[] {
    const version = new StateVersion(edit, time);
    if (releaseEarlier) {
      // The batch may have written leaves the versions before it saw: only their readers keep them.
      for (const v of this.pinned) {
        this.pinned.delete(v);
        this.releaseIfUnused(v);
      }
    }
    this.pinned.add(version);
    this.latestEdit = edit;
    if (made.some((m) => m.length > 0)) this.queue.push({ edit, made });
    this.trim();
    return this.maps.map((m) => new LeafView(m, version));
  }

  /** A version made without a batch (a restore): pinned like a committed one. */
  restored(edit: number, time: number): LeafView<K, V>[] {
    return this.commit(edit, time, []);
  }

  /** The newest version something may read besides the latest (escaped or held), or 0: a batch writes in place only leaves born after it. */
  readerEdit(): number {
    let edit = 0;
    for (const e of this.escapedEdits) if (e > edit) edit = e;
    for (const e of this.heldEdits.keys()) if (e > edit) edit = e;
    return edit;
  }

  /** Something outside the stream may hold `version` and read it later. */
  escape(version: StateVersion): void {
    if (version.released) throw new Error(`mapWithState: the state of batch ${version.time} is no longer remembered`);
    if (version.escaped) return;
    version.escaped = true;
    this.escapedEdits.add(version.edit);
    this.registry.register(version, version.edit);
  }

  /** Keep `version` live until the function returned is called (or, failing that, freed). */
  hold(version: StateVersion): () => void {
    if (version.released) throw new Error(`mapWithState: the state of batch ${version.time} is no longer remembered`);
    version.holds++;
    this.heldEdits.set(version.edit, (this.heldEdits.get(version.edit) ?? 0) + 1);
    const token = {};
    let ended = false;
    this.holdRegistry.register(token, version, token);
    return () => {
      if (ended) return;
      ended = true;
      this.holdRegistry.unregister(token);
      this.endHold(version);
    };
  }

  private endHold(version: StateVersion): void {
    version.holds--;
    const n = this.heldEdits.get(version.edit)! - 1;
    if (n === 0) this.heldEdits.delete(version.edit);
    else this.heldEdits.set(version.edit, n);
    this.releaseIfUnused(version);
  }

  /** The stream no longer remembers `version`. */
  release(version: StateVersion): void {
    if (this.pinned.delete(version)) this.releaseIfUnused(version);
  }

  private releaseIfUnused(version: StateVersion): void {
    if (!version.escaped && version.holds === 0 && !this.pinned.has(version)) version.released = true;
  }

  /**
   * Undo the failed batch `edit`: the leaves it wrote in place get their fields back (`undo`, the
   * first `n` items: leaf, value, stamp, born, at, for each), then each key it wrote gets back its
   * leaf from before the batch.
   */
  rollback(edit: number, made: readonly (readonly (Leaf<K, V> | undefined)[])[], undo: readonly unknown[] = [], n = 0): void {
    for (let i = 0; i < n; i += 5) {
      const leaf = undo[i] as Leaf<K, V>;
      leaf.value = undo[i + 1] as V;
      leaf.stamp = undo[i + 2] as number;
      leaf.born = undo[i + 3] as number;
      leaf.at = undo[i + 4] as number;
      leaf.mark = 0;
    }
    for (const list of made) {
      for (const leaf of list) {
        // Written in place (restored above): the key's leaf from before the batch.
        if (leaf === undefined || leaf.born !== edit) continue;
        const map = this.maps[this.partOf(leaf)]!;
        const prev = leaf.prev;
        if (prev !== undefined) map.set(prev);
        else map.delete(leaf);
      }
    }
  }

  /** Cut the links and drop the tombstones no live version needs. */
  private trim(): void {
    let oldest = this.latestEdit;
    for (const v of this.pinned) if (v.edit < oldest) oldest = v.edit;
    for (const e of this.escapedEdits) if (e < oldest) oldest = e;
    for (const e of this.heldEdits.keys()) if (e < oldest) oldest = e;
    let done = 0;
    for (; done < this.queue.length && this.queue[done]!.edit <= oldest; done++) {
      for (const list of this.queue[done]!.made) {
        for (const leaf of list) {
          if (leaf === undefined) continue;
          leaf.prev = undefined;
          if ((leaf.value as unknown) === TOMBSTONE) {
            const map = this.maps[this.partOf(leaf)]!;
            if (map.get(leaf.key, leaf.code) === leaf && !this.keepTombstone(leaf)) map.delete(leaf);
          }
        }
      }
    }
    if (done > 0) this.queue.splice(0, done);
  }
}
