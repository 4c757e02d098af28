/**
 * Shards and their lineage. Resharding closes shards: a split closes one parent and opens two
 * children, a merge closes two parents (parent and adjacent parent) and opens one child. A
 * child's records come after all of its parents' (for the keys they share), so a child is read
 * only once every parent it has that is still listed has been read to its end. Parents no
 * longer listed (trimmed past the retention period) do not hold their children back.
 *
 * Finished shards are forgotten, as the KCL forgets them (its LeaseCleanupManager and
 * ShardSyncer.cleanupLeasesOfFinishedShards delete the lease of a shard checkpointed SHARD_END
 * once every child shard has a lease whose checkpoint is past TRIM_HORIZON / AT_TIMESTAMP, and
 * its parents' leases are gone): ListShards keeps listing a closed shard for the whole retention
 * period, so what is kept of the shards is bounded only if finished ones are dropped — yet a
 * dropped shard must never look new and be read again from TRIM_HORIZON. What makes that safe is
 * that a shard is only ever tracked (a lease, a position) once its listed parents are finished:
 * so every listed ancestor of a tracked shard is finished, and a listed shard that is not tracked
 * but has a tracked descendant is a finished one that was forgotten (`forgottenAncestors`). New
 * shards, in turn, are only looked for below the tracked ones (`newLeases`), never above.
 */

export interface ShardInfo {
  shardId: string;
  parentShardId?: string | undefined;
  adjacentParentShardId?: string | undefined;
  startingSequenceNumber: string;
  /** Set once the shard is closed (by a reshard): no record after it. */
  endingSequenceNumber?: string | undefined;
  /** The shard's hash key range (decimal, both included), when known. */
  startingHashKey?: string | undefined;
  endingHashKey?: string | undefined;
}

export function parentsOf(s: ShardInfo): string[] {
  return [s.parentShardId, s.adjacentParentShardId].filter((p): p is string => typeof p === 'string' && p !== '');
}

export function isClosed(s: ShardInfo): boolean {
  return s.endingSequenceNumber !== undefined;
}

/** Whether every listed parent of `s` has been read to its end. */
export function parentsDone(s: ShardInfo, listed: ReadonlySet<string>, finished: ReadonlySet<string>): boolean {
  return parentsOf(s).every((p) => !listed.has(p) || finished.has(p));
}

/** Listed shard id → the listed shards that name it as a parent. */
export function childrenOf(listed: Iterable<ShardInfo>): Map<string, ShardInfo[]> {
  const out = new Map<string, ShardInfo[]>();
  for (const s of listed) {
    for (const p of parentsOf(s)) {
      const c = out.get(p) ?? [];
      c.push(s);
      out.set(p, c);
    }
  }
  return out;
}

/**
 * Whether the listing is complete about a closed shard's children: it has some, and their hash
 * key ranges together cover the shard's (the KCL's check against a listing made while a reshard
 * was under way). Without hash keys, some children are enough.
 */
export function childrenCover(shard: ShardInfo, children: readonly ShardInfo[]): boolean {
  if (children.length === 0) return false;
  if (shard.startingHashKey === undefined || shard.endingHashKey === undefined) return true;
  let lo: bigint | undefined;
  let hi: bigint | undefined;
  for (const c of children) {
    if (c.startingHashKey === undefined || c.endingHashKey === undefined) return true;
    const a = BigInt(c.startingHashKey);
    const b = BigInt(c.endingHashKey);
    if (lo === undefined || a < lo) lo = a;
    if (hi === undefined || b > hi) hi = b;
  }
  return lo! <= BigInt(shard.startingHashKey) && hi! >= BigInt(shard.endingHashKey);
}

/**
 * The listed shards that are not tracked but are ancestors of a tracked one: finished shards that
 * were forgotten (a shard is tracked only once its listed parents are finished). They are never
 * to be read again, and they do not hold their other children back.
 */
export function forgottenAncestors(listed: Iterable<ShardInfo>, tracked: (shardId: string) => boolean): Set<string> {
  const byId = new Map<string, ShardInfo>();
  for (const s of listed) byId.set(s.shardId, s);
  const out = new Set<string>();
  const up = (s: ShardInfo): void => {
    for (const p of parentsOf(s)) {
      const ps = byId.get(p);
      if (!ps || tracked(p) || out.has(p)) continue;
      out.add(p);
      up(ps);
    }
  };
  for (const s of byId.values()) if (tracked(s.shardId)) up(s);
  return out;
}

/** A lease to create: the shard, where its reading starts, its parents. */
export interface NewLease {
  shardId: string;
  checkpoint: string;
  parentShardIds: string[];
}

/**
 * The leases a shard sync creates, parents before children (a lease table is never left, by a
 * crash between two creations, with a child's lease and not its parent's: that would make the
 * parent look forgotten). The KCL's rule (ShardSyncer.determineNewLeasesToCreate): for each open
 * shard without a lease, walk up its listed parents; a shard is a descendant when it has a lease
 * or a parent that is a descendant — or, from TRIM_HORIZON, when it has no listed parent to
 * descend from. A descendant is read from TRIM_HORIZON and its parents without a lease get one
 * (TRIM_HORIZON when descendants, else the initial position). The walk stops at a shard with a
 * lease, so a finished shard whose lease was deleted — all its children have leases — is never
 * reached again. `initial` is the checkpoint of a shard read from the initial position.
 */
export function newLeases(
  listed: readonly ShardInfo[],
  leased: ReadonlySet<string>,
  fromTrimHorizon: boolean,
  initial: (s: ShardInfo) => string,
): NewLease[] {
  const byId = new Map(listed.map((s) => [s.shardId, s]));
  const memo = new Map<string, boolean>();
  const out = new Map<string, NewLease>();
  const listedParents = (s: ShardInfo): string[] => parentsOf(s).filter((p) => byId.has(p));
  const add = (s: ShardInfo, checkpoint: string): void => {
    if (!out.has(s.shardId)) out.set(s.shardId, { shardId: s.shardId, checkpoint, parentShardIds: parentsOf(s) });
  };
  const isDescendant = (id: string): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const s = byId.get(id);
    let descendant = false;
    if (s && leased.has(id)) descendant = true;
    else if (s) {
      const parents = listedParents(s);
      const descendantParents = new Set(parents.filter((p) => isDescendant(p)));
      if (descendantParents.size > 0) {
        descendant = true;
        for (const p of parents) {
          if (!leased.has(p)) add(byId.get(p)!, descendantParents.has(p) ? 'TRIM_HORIZON' : initial(byId.get(p)!));
        }
      } else if (fromTrimHorizon) descendant = true;
    }
    memo.set(id, descendant);
    return descendant;
  };
  for (const s of [...listed].sort((a, b) => compareShardIds(a.shardId, b.shardId))) {
    if (isClosed(s) || leased.has(s.shardId)) continue;
    add(s, isDescendant(s.shardId) ? 'TRIM_HORIZON' : initial(s));
  }
  return [...out.values()];
}

/** Shard ids in a stable order: by the number in `shardId-000000000007`, then by text. */
export function compareShardIds(a: string, b: string): number {
  const na = Number(/(\d+)$/.exec(a)?.[1] ?? NaN);
  const nb = Number(/(\d+)$/.exec(b)?.[1] ?? NaN);
  return Number.isFinite(na) && Number.isFinite(nb) && na !== nb ? na - nb : a.localeCompare(b);
}

/** Compares two sequence numbers (decimal strings of up to 128 bits). */
export function compareSeq(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
