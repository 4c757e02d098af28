// The rules by which finished shards are forgotten and new shards found (the KCL's), on lineages
// written out by hand — including a shard trimmed past the retention period, which kinesalite
// (24 hours at least) cannot show in a test. reshard-forgets-finished-shards.test.ts runs them
// against a real (local) Kinesis.
import { describe, expect, it } from 'vitest';
import { finishedLeases, garbageLeases } from '../../src/kinesis/LeaseCoordinator.js';
import { SHARD_END, type Lease } from '../../src/kinesis/leaseTable.js';
import { forgottenAncestors, newLeases, type ShardInfo } from '../../src/kinesis/shards.js';

const FULL = 2n ** 128n - 1n;
/** Shard `n` over hash keys [lo, hi] (fractions of the range), started at sequence number n·100. */
function shard(n: number, lo: number, hi: number, parents: string[] = [], closed = false): ShardInfo {
  const at = (f: number): bigint => (f >= 1 ? FULL : (FULL * BigInt(Math.round(f * 1000))) / 1000n);
  return {
    shardId: id(n),
    parentShardId: parents[0],
    adjacentParentShardId: parents[1],
    startingSequenceNumber: String(n * 100),
    endingSequenceNumber: closed ? String(n * 100 + 99) : undefined,
    startingHashKey: String(lo === 0 ? 0n : at(lo) + 1n),
    endingHashKey: String(at(hi)),
  };
}
const id = (n: number): string => `shardId-${String(n).padStart(12, '0')}`;
const lease = (n: number, checkpoint: string, parents: number[] = []): Lease => ({
  leaseKey: id(n),
  leaseOwner: undefined,
  leaseCounter: 1,
  checkpoint,
  ownerSwitchesSinceCheckpoint: 0,
  parentShardIds: parents.map(id),
});

// 0 split into 1 and 2; 1 split into 3 and 4; 4 and 2 merged into 5. Open: 3, 5.
const lineage = [
  shard(0, 0, 1, [], true),
  shard(1, 0, 0.5, [id(0)], true),
  shard(2, 0.5, 1, [id(0)], true),
  shard(3, 0, 0.25, [id(1)]),
  shard(4, 0.25, 0.5, [id(1)], true),
  shard(5, 0.25, 1, [id(4), id(2)]),
];

describe('which SHARD_END leases go (finishedLeases)', () => {
  it('a finished shard goes once every child has a lease whose reading has begun, ancestors first, in one pass', () => {
    const leases = [lease(0, SHARD_END), lease(1, SHARD_END, [0]), lease(2, SHARD_END, [0]), lease(3, '301', [1]), lease(4, SHARD_END, [1]), lease(5, '512', [4, 2])];
    expect(finishedLeases(lineage, leases)).toEqual([id(0), id(1), id(2), id(4)]);
  });

  it('not while a child is at TRIM_HORIZON / LATEST / AT_TIMESTAMP or has no lease; nor before its parents', () => {
    for (const cp of ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP:1700000000000']) {
      const leases = [lease(0, SHARD_END), lease(1, SHARD_END, [0]), lease(2, SHARD_END, [0]), lease(3, '301', [1]), lease(4, SHARD_END, [1]), lease(5, cp, [4, 2])];
      // 2 and 4 wait for 5; 1 goes (3 began, 4 ended); 0 went before it.
      expect(finishedLeases(lineage, leases), cp).toEqual([id(0), id(1)]);
    }
    const noChild = [lease(0, SHARD_END), lease(1, SHARD_END, [0]), lease(2, '250', [0])];
    expect(finishedLeases(lineage, noChild)).toEqual([id(0)]); // 1's children 3 and 4 have no lease
    // 1's parent 0 is not finished (an impossible table, but the rule holds): 1 stays.
    const parentLeft = [lease(0, '42'), lease(1, SHARD_END, [0]), lease(3, '301', [1]), lease(4, '401', [1])];
    expect(finishedLeases(lineage, parentLeft)).toEqual([]);
  });

  it('not when the listing does not show all of its children (their hash keys do not cover it)', () => {
    const partial = lineage.filter((s) => s.shardId !== id(4));
    const leases = [lease(1, SHARD_END), lease(3, '301', [1])];
    expect(finishedLeases(partial, leases)).toEqual([]);
    expect(finishedLeases(lineage, [...leases, lease(4, '401', [1])])).toEqual([id(1)]);
  });

  it('never a lease not at SHARD_END', () => {
    expect(finishedLeases(lineage, [lease(1, '199', [0]), lease(3, '301', [1]), lease(4, '401', [1])])).toEqual([]);
  });
});

describe('which leases of trimmed shards go (garbageLeases)', () => {
  it('a lease whose shard and parents are no longer listed; not one whose parent still is; none on an empty listing', () => {
    const trimmed = lineage.filter((s) => s.shardId !== id(0) && s.shardId !== id(1));
    const leases = [lease(0, SHARD_END), lease(1, SHARD_END, [0]), lease(3, '301', [1]), lease(9, '900', [3])];
    expect(garbageLeases(trimmed, leases)).toEqual([id(0), id(1)]);
    // 9 is not listed but its parent 3 is: a listing made while 3 was being resharded, not a trimmed shard.
    expect(garbageLeases(trimmed, leases)).not.toContain(id(9));
    expect(garbageLeases([], leases)).toEqual([]);
  });
});

describe('which leases a shard sync creates (newLeases)', () => {
  const initialLatest = (s: ShardInfo): string => (s.endingSequenceNumber !== undefined ? SHARD_END : 'AT_TIMESTAMP:1');

  it('from TRIM_HORIZON on an empty table: every ancestor of the open shards, parents before children', () => {
    const made = newLeases(lineage, new Set(), true, () => 'TRIM_HORIZON');
    expect(made.map((l) => l.shardId).sort()).toEqual(lineage.map((s) => s.shardId).sort());
    const at = new Map(made.map((l, i) => [l.shardId, i]));
    for (const s of lineage) for (const p of [s.parentShardId, s.adjacentParentShardId]) if (p) expect(at.get(p)!).toBeLessThan(at.get(s.shardId)!);
    expect(made.every((l) => l.checkpoint === 'TRIM_HORIZON')).toBe(true);
  });

  it('from LATEST on an empty table: the open shards alone, at the initial position', () => {
    expect(newLeases(lineage, new Set(), false, initialLatest)).toEqual([
      { shardId: id(3), checkpoint: 'AT_TIMESTAMP:1', parentShardIds: [id(1)] },
      { shardId: id(5), checkpoint: 'AT_TIMESTAMP:1', parentShardIds: [id(4), id(2)] },
    ]);
  });

  it('a finished shard whose lease was deleted is never leased again, whatever the initial position', () => {
    // 0, 1, 2, 4 finished and forgotten; 3 and 5 have leases; 5 is then split into 6 and 7.
    const later = [...lineage.slice(0, 5), { ...shard(5, 0.25, 1, [id(4), id(2)], true) }, shard(6, 0.25, 0.5, [id(5)]), shard(7, 0.5, 1, [id(5)])];
    for (const fromTrimHorizon of [true, false]) {
      expect(newLeases(later, new Set([id(3), id(5)]), fromTrimHorizon, fromTrimHorizon ? () => 'TRIM_HORIZON' : initialLatest)).toEqual([
        { shardId: id(6), checkpoint: 'TRIM_HORIZON', parentShardIds: [id(5)] },
        { shardId: id(7), checkpoint: 'TRIM_HORIZON', parentShardIds: [id(5)] },
      ]);
    }
    // With 5 forgotten too (6 and 7 have leases): nothing to create.
    expect(newLeases(later, new Set([id(3), id(6), id(7)]), true, () => 'TRIM_HORIZON')).toEqual([]);
  });

  it('from LATEST, a merge whose one parent descends from a lease: read from TRIM_HORIZON; the other parent, which does not, at the initial position', () => {
    // 2 descends from 0's lease: it is read, from TRIM_HORIZON, before 5.
    expect(newLeases(lineage, new Set([id(0), id(1), id(3), id(4)]), false, initialLatest)).toEqual([
      { shardId: id(2), checkpoint: 'TRIM_HORIZON', parentShardIds: [id(0)] },
      { shardId: id(5), checkpoint: 'TRIM_HORIZON', parentShardIds: [id(4), id(2)] },
    ]);
    // Without a lease for 0, 2 is not read (closed: SHARD_END, LATEST's "nothing before the start").
    expect(newLeases(lineage, new Set([id(1), id(3), id(4)]), false, initialLatest)).toEqual([
      { shardId: id(2), checkpoint: SHARD_END, parentShardIds: [id(0)] },
      { shardId: id(5), checkpoint: 'TRIM_HORIZON', parentShardIds: [id(4), id(2)] },
    ]);
  });
});

describe('which listed shards are known finished though forgotten (forgottenAncestors)', () => {
  it('the untracked ancestors of a tracked shard, through forgotten generations; not the shards below', () => {
    expect([...forgottenAncestors(lineage, (s) => s === id(3) || s === id(5))].sort()).toEqual([id(0), id(1), id(2), id(4)]);
    expect([...forgottenAncestors(lineage, (s) => s === id(1))]).toEqual([id(0)]);
    expect([...forgottenAncestors(lineage, () => false)]).toEqual([]);
  });
});
