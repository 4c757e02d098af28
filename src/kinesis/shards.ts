/**
 * Shards and their lineage. Resharding closes shards: a split closes one parent and opens two
 * children, a merge closes two parents (parent and adjacent parent) and opens one child. A
 * child's records come after all of its parents' (for the keys they share), so a child is read
 * only once every parent it has that is still listed has been read to its end. Parents no
 * longer listed (trimmed past the retention period) do not hold their children back.
 */

export interface ShardInfo {
  shardId: string;
  parentShardId?: string | undefined;
  adjacentParentShardId?: string | undefined;
  startingSequenceNumber: string;
  /** Set once the shard is closed (by a reshard): no record after it. */
  endingSequenceNumber?: string | undefined;
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
