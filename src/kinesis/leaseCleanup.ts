/**
 * Which leases the shard sync deletes (LeaseCoordinator.ts): those of shards read to their end
 * whose children have begun, and those of shards trimmed from the stream — the KCL's rules.
 */
import { SHARD_END, type Lease } from './leaseTable.js';
import { childrenCover, childrenOf, compareSeq, compareShardIds, type ShardInfo } from './shards.js';

/** Whether a checkpoint is a sequence number (not SHARD_END, TRIM_HORIZON, LATEST, AT_TIMESTAMP). */
export const isSeq = (checkpoint: string): boolean => /^\d+$/.test(checkpoint);

/** Whether a lease's checkpoint says its shard's reading has begun: a sequence number, or SHARD_END. */
function readingBegun(checkpoint: string): boolean {
  return checkpoint === SHARD_END || isSeq(checkpoint);
}

/**
 * The leases of shards trimmed from the stream (the KCL's ShardSyncer.cleanupGarbageLeases):
 * neither the shard nor any of its parents is listed any more. None while nothing is listed.
 */
export function garbageLeases(listed: readonly ShardInfo[], leases: readonly Lease[]): string[] {
  if (listed.length === 0) return [];
  const ids = new Set(listed.map((s) => s.shardId));
  return leases.filter((l) => !ids.has(l.leaseKey) && !l.parentShardIds.some((p) => ids.has(p))).map((l) => l.leaseKey);
}

/**
 * The SHARD_END leases that can go, ancestors first (the KCL's rule: LeaseCleanupManager's
 * cleanupLeaseForCompletedShard, ShardSyncer.cleanupLeaseForClosedShard): the shard is listed
 * and read to its end; the listing shows all of its children (their hash key ranges cover its
 * own); every child has a lease whose reading has begun (checkpoint past TRIM_HORIZON / LATEST /
 * AT_TIMESTAMP); and none of its parents still has a lease (ancestors go first). Once it is
 * deleted, the shard sync's walk up from the open shards stops at its children's leases before
 * it, and a child whose parent has no lease does not wait for it.
 */
export function finishedLeases(listed: readonly ShardInfo[], leases: readonly Lease[]): string[] {
  const byId = new Map(listed.map((s) => [s.shardId, s]));
  const children = childrenOf(listed);
  const byKey = new Map(leases.map((l) => [l.leaseKey, l]));
  const present = new Set(byKey.keys());
  const out: string[] = [];
  const candidates = leases
    .filter((l) => l.checkpoint === SHARD_END && byId.has(l.leaseKey))
    .sort((a, b) => compareSeq(byId.get(a.leaseKey)!.startingSequenceNumber, byId.get(b.leaseKey)!.startingSequenceNumber) || compareShardIds(a.leaseKey, b.leaseKey));
  for (const l of candidates) {
    const kids = children.get(l.leaseKey) ?? [];
    if (!childrenCover(byId.get(l.leaseKey)!, kids)) continue;
    if (!kids.every((c) => present.has(c.shardId) && readingBegun(byKey.get(c.shardId)!.checkpoint))) continue;
    if (l.parentShardIds.some((p) => present.has(p))) continue;
    present.delete(l.leaseKey);
    out.push(l.leaseKey);
  }
  return out;
}
