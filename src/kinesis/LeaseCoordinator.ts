/**
 * The lease side of a KCL worker: which shards this worker reads. Workers of one application
 * (same lease table) share a stream's shards through leases; each renews its leases every
 * third of the lease timeout, and takes the leases nobody renews.
 *
 * What happens, on two schedules of their own (as the KCL's LeaseRenewer and LeaseTaker / ShardSyncer):
 *  - renew, every leaseTimeout / 3 from the start of the previous round: each held lease's counter
 *    is bumped, conditionally on owner and counter; a failed renewal means another worker took the
 *    lease: `onLost`, the shard's reader stops. Renewals never wait for the shard sync or the
 *    taking, not even the first round's at start (a ListShards, or a take, retried while Kinesis or
 *    DynamoDB throttles held them back past the lease timeout: healthy leases were dropped, taken
 *    again and read again).
 * Every tick (leaseTimeout / 3 after the previous one ended):
 *  - shard sync (at start and every `shardSyncIntervalMs`): each open shard without a lease gets
 *    one, as do its listed ancestors without one that are to be read (shards.ts `newLeases`, the
 *    KCL's rule, parents created before children) — a descendant of a shard with a lease from
 *    TRIM_HORIZON (its records follow its parents'); otherwise from the initial position (LATEST
 *    is recorded as AT_TIMESTAMP of `latestFrom` — the job's first start — so a worker that dies
 *    before its first checkpoint, or before the leases existed, loses nothing to its successor). The walk up from an open shard stops at the first
 *    shard with a lease: a finished shard whose lease was deleted is never leased again.
 *    Then the leases no longer needed are deleted (the KCL's cleanup rules): a SHARD_END lease
 *    once every child shard's reading has begun and its parents' leases are gone
 *    (`finishedLeases`), and the lease of a shard trimmed from the stream (`garbageLeases`; both
 *    in leaseCleanup.ts). The table, and what this worker
 *    keeps of it, then hold about one lease per open shard, however often the stream is resharded.
 *  - take: a lease is expired when it has no owner or its counter has not moved for the lease
 *    timeout as seen from here. This worker's fair share is ceil(live leases / live workers): it
 *    takes expired leases up to it and, when there are none, steals one lease from the busiest
 *    worker when that one holds two or more leases more than this one. `onTaken` starts a reader.
 * Leases checkpointed SHARD_END are done and never taken again.
 *
 * A lease is held for the lease timeout from the last renewal (or take) that succeeded, timed from
 * when its successful attempt was sent (not a first, throttled one), as the KCL's LeaseRenewer
 * holds it: a worker cut off from the lease table cannot renew, and another worker takes the
 * lease once its counter has stood still for the lease timeout. So, checked on a timer of its own
 * (a renewal may be stuck in a call to a table that does not answer) and before every store
 * (`stillHeld`), a lease not renewed for the lease timeout is dropped here — `onLost`, the shard's
 * reader stops without storing what it read — and taken again through the normal path (it is in
 * this worker's name) if nobody took it.
 *
 * Checkpoints only go forward, as the KCL's and Spark's KinesisCheckpointer: a shard's checkpoint
 * writes run one after another (SHARD_END waits for one in flight), a sequence number lower than
 * the last one checkpointed is not written, and none is written over SHARD_END (leaseTable.ts).
 */
import type { KinesisStreamClient } from './client.js';
import { SHARD_END, type Lease, type LeaseTable } from './leaseTable.js';
import { finishedLeases, garbageLeases, isSeq } from './leaseCleanup.js';
import { compareSeq, compareShardIds, isClosed, newLeases, type ShardInfo } from './shards.js';

export { finishedLeases, garbageLeases } from './leaseCleanup.js';

export interface LeaseCoordinatorOptions {
  workerId: string;
  /** A lease not renewed for this long is taken by another worker (the KCL's failover time; default 10 s). */
  leaseTimeoutMs?: number;
  initialPosition: 'TRIM_HORIZON' | 'LATEST';
  /**
   * What LATEST means, in wall-clock ms (default: when this worker starts): the job's first start,
   * so a worker started again — after a restart, or a crash before any lease existed — reads
   * what came since then rather than since its own start.
   */
  latestFrom?: number;
  /** How often new shards (after a reshard) are looked for (default 2 s). */
  shardSyncIntervalMs?: number;
}

export interface LeaseListener {
  onTaken(lease: Lease): void;
  onLost(shardId: string): void;
  onError(message: string, error: unknown): void;
}

export class LeaseCoordinator {
  readonly workerId: string;
  readonly leaseTimeoutMs: number;
  private readonly shardSyncIntervalMs: number;
  private readonly heldLeases = new Map<string, Lease>();
  /** Local time each held lease's last successful renewal (or take) was sent: it is held until then + lease timeout. */
  private readonly renewedAt = new Map<string, number>();
  private expiryTimer: NodeJS.Timeout | undefined;
  /** Counter and local time it was first seen with, per lease: expiry by local observation, as the KCL. */
  private readonly observed = new Map<string, { counter: number; at: number }>();
  private lastLeases: Lease[] = [];
  private lastSync = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** The renewals' own schedule (not behind a tick's shard sync and taking). */
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  /** Per shard, the checkpoint write in flight (they run one after another) and the last sequence number checkpointed. */
  private readonly writes = new Map<string, Promise<unknown>>();
  private readonly checkpointed = new Map<string, string>();
  private stopped = false;
  /** What LATEST means for the leases this worker creates (`latestFrom`, else when it started). */
  private startedAt = Date.now();

  constructor(
    private readonly table: LeaseTable,
    private readonly kinesis: KinesisStreamClient,
    private readonly options: LeaseCoordinatorOptions,
    private readonly listener: LeaseListener,
  ) {
    this.workerId = options.workerId;
    this.leaseTimeoutMs = options.leaseTimeoutMs ?? 10_000;
    this.shardSyncIntervalMs = options.shardSyncIntervalMs ?? 2000;
  }

  /** Checks stream and table (creating the table), creates the shards' leases, takes a first share. */
  async start(): Promise<void> {
    this.startedAt = this.options.latestFrom ?? Date.now();
    await this.kinesis.checkStream();
    await this.table.ensureTable();
    // Renewals and the expiry check run from now: a slow first round (a take retried while
    // DynamoDB throttles) must not leave the leases it took first unrenewed past the lease timeout.
    this.scheduleRenewal(Date.now());
    if (!this.stopped) {
      this.expiryTimer = setInterval(() => this.dropExpired(), Math.max(20, Math.floor(this.leaseTimeoutMs / 10)));
      this.expiryTimer.unref();
    }
    try {
      this.ticking = this.tick();
      await this.ticking;
    } catch (e) {
      // Not started: nothing runs on behind the caller, whose stop() releases what was taken.
      this.stopped = true;
      clearTimeout(this.renewTimer);
      clearInterval(this.expiryTimer);
      throw e;
    } finally {
      this.ticking = undefined;
    }
    this.schedule();
  }

  /** Forgets a lease this worker no longer holds. */
  private forget(key: string): void {
    this.heldLeases.delete(key);
    this.renewedAt.delete(key);
    this.checkpointed.delete(key);
  }

  /** Drops the held leases not renewed for the lease timeout (another worker may hold them now): `onLost` for each. */
  private dropExpired(): void {
    const now = Date.now();
    for (const key of [...this.heldLeases.keys()]) {
      const at = this.renewedAt.get(key);
      if (at !== undefined && now - at <= this.leaseTimeoutMs) continue;
      this.forget(key);
      this.listener.onLost(key);
    }
  }

  /**
   * Whether this worker still holds `shardId`'s lease — renewed within the lease timeout. A reader
   * asks before storing what it read: records of a lease another worker may hold now are not stored.
   */
  stillHeld(shardId: string): boolean {
    this.dropExpired();
    return this.heldLeases.has(shardId);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((e: unknown) => this.listener.onError(`lease coordination of worker ${this.workerId} failed`, e))
        .finally(() => {
          this.ticking = undefined;
          this.schedule();
        });
    }, Math.max(50, Math.floor(this.leaseTimeoutMs / 3)));
  }

  /** The next renewal round, a renewal interval after `lastStart` (when the previous round began). */
  private scheduleRenewal(lastStart: number): void {
    if (this.stopped) return;
    const interval = Math.max(50, Math.floor(this.leaseTimeoutMs / 3));
    this.renewTimer = setTimeout(() => {
      const startedAt = Date.now();
      this.renewing = this.renew()
        .catch((e: unknown) => this.listener.onError(`renewing the leases of worker ${this.workerId} failed`, e))
        .finally(() => {
          this.renewing = undefined;
          this.scheduleRenewal(startedAt);
        });
    }, Math.max(0, lastStart + interval - Date.now()));
  }

  /** The leases this worker holds now. */
  held(): Lease[] {
    return [...this.heldLeases.values()];
  }

  /** Whether every parent of `shardId` with a lease has been read to its end (as of the last scan). */
  parentsDone(lease: Lease): boolean {
    const byKey = new Map(this.lastLeases.map((l) => [l.leaseKey, l]));
    return lease.parentShardIds.every((p) => {
      const pl = byKey.get(p);
      return pl === undefined || pl.checkpoint === SHARD_END;
    });
  }

  /** Reads the table again (a reader waiting for its parents). */
  async refresh(): Promise<void> {
    this.lastLeases = await this.table.list();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (Date.now() - this.lastSync >= this.shardSyncIntervalMs) await this.syncShards();
    await this.take();
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    await Promise.all(
      [...this.heldLeases.values()].map(async (lease) => {
        let sentAt = Date.now();
        const renewed = await this.table.renew(lease, this.workerId, (at) => (sentAt = at));
        // Dropped meanwhile (expired, lost): a late renewal does not bring it back — the next take does, if it is still ours.
        if (this.heldLeases.get(lease.leaseKey) !== lease) return;
        if (renewed) {
          this.heldLeases.set(lease.leaseKey, renewed);
          this.renewedAt.set(lease.leaseKey, sentAt);
        } else {
          this.forget(lease.leaseKey);
          this.listener.onLost(lease.leaseKey);
        }
      }),
    );
  }

  private async syncShards(): Promise<void> {
    let shards = await this.kinesis.listShards();
    let leases = await this.table.list();
    const fromTrimHorizon = this.options.initialPosition === 'TRIM_HORIZON';
    const initial = (s: ShardInfo): string => (fromTrimHorizon ? 'TRIM_HORIZON' : isClosed(s) ? SHARD_END : `AT_TIMESTAMP:${this.startedAt}`);
    for (const n of newLeases(shards, new Set(leases.map((l) => l.leaseKey)), fromTrimHorizon, initial)) {
      await this.table.create(n.shardId, n.checkpoint, n.parentShardIds);
    }
    // Leases no longer needed. A shard missing from the listing is made sure of by a second one (the KCL's way).
    let deleted = false;
    let gone = garbageLeases(shards, leases);
    if (gone.length > 0) {
      shards = await this.kinesis.listShards();
      const again = new Set(garbageLeases(shards, leases));
      gone = gone.filter((k) => again.has(k));
      for (const k of gone) if (await this.table.delete(k)) deleted = true;
      const dropped = new Set(gone);
      leases = leases.filter((l) => !dropped.has(l.leaseKey));
    }
    for (const k of finishedLeases(shards, leases)) if (await this.table.delete(k, SHARD_END)) deleted = true;
    if (deleted) this.lastLeases = await this.table.list();
    this.lastSync = Date.now();
  }

  private async take(): Promise<void> {
    const leases = await this.table.list();
    this.lastLeases = leases;
    const now = Date.now();
    for (const l of leases) {
      const o = this.observed.get(l.leaseKey);
      if (!o || o.counter !== l.leaseCounter) this.observed.set(l.leaseKey, { counter: l.leaseCounter, at: now });
    }
    // Leases deleted (finished, trimmed) are forgotten here too.
    if (this.observed.size > leases.length) {
      const keys = new Set(leases.map((l) => l.leaseKey));
      for (const k of this.observed.keys()) if (!keys.has(k)) this.observed.delete(k);
    }
    const live = leases.filter((l) => l.checkpoint !== SHARD_END);
    // A lease in this worker's name that it does not hold is nobody's (a receiver restarted under
    // the same worker id, whose release failed; a fixed workerId after a crash): take it back, as
    // the KCL does at start-up. Another worker's lease is free once its counter stood still too long.
    const expired = (l: Lease): boolean =>
      l.leaseOwner === undefined ||
      (l.leaseOwner === this.workerId ? !this.heldLeases.has(l.leaseKey) : now - this.observed.get(l.leaseKey)!.at > this.leaseTimeoutMs);
    const counts = new Map<string, Lease[]>();
    for (const l of live) {
      if (expired(l) || l.leaseOwner === undefined) continue;
      const c = counts.get(l.leaseOwner) ?? [];
      c.push(l);
      counts.set(l.leaseOwner, c);
    }
    const workers = new Set([...counts.keys(), this.workerId]);
    const target = Math.ceil(live.length / workers.size);
    const mine = [...this.heldLeases.values()].filter((l) => l.checkpoint !== SHARD_END).length;
    if (mine >= target) return;
    // Shards whose parents are done first, then by shard id.
    const candidates = live
      .filter((l) => expired(l) && !this.heldLeases.has(l.leaseKey))
      .sort((a, b) => Number(!this.parentsDone(a)) - Number(!this.parentsDone(b)) || compareShardIds(a.leaseKey, b.leaseKey));
    let toTake = candidates.slice(0, target - mine);
    if (toTake.length === 0) {
      let busiest: Lease[] = [];
      for (const [owner, ls] of counts) if (owner !== this.workerId && ls.length > busiest.length) busiest = ls;
      if (busiest.length - mine >= 2) toTake = [busiest.sort((a, b) => compareShardIds(a.leaseKey, b.leaseKey))[busiest.length - 1]!];
    }
    for (const l of toTake) {
      if (this.stopped) return;
      // Held from when the take that succeeded was sent: a first attempt throttled for longer than
      // the lease timeout would have the lease born expired, dropped at once and read again.
      let sentAt = Date.now();
      const taken = await this.table.take(l, this.workerId, (at) => (sentAt = at));
      if (!taken) continue;
      this.heldLeases.set(l.leaseKey, taken);
      this.renewedAt.set(l.leaseKey, sentAt);
      if (isSeq(taken.checkpoint)) this.checkpointed.set(l.leaseKey, taken.checkpoint);
      else this.checkpointed.delete(l.leaseKey);
      this.observed.set(l.leaseKey, { counter: taken.leaseCounter, at: Date.now() });
      this.listener.onTaken(taken);
    }
  }

  /** Runs a shard's checkpoint writes one after another (a write retried while the table throttles is still in flight). */
  private serially<T>(shardId: string, write: () => Promise<T>): Promise<T> {
    const run = (this.writes.get(shardId) ?? Promise.resolve()).then(write);
    const tail = run.catch(() => undefined);
    this.writes.set(shardId, tail);
    void tail.then(() => {
      if (this.writes.get(shardId) === tail) this.writes.delete(shardId);
    });
    return run;
  }

  /**
   * Records a shard's checkpoint (a sequence number whose records are all stored). False: the
   * lease is no longer ours. One not past the last checkpointed is not written (true: still ours).
   */
  checkpoint(shardId: string, checkpoint: string): Promise<boolean> {
    return this.serially(shardId, async () => {
      const lease = this.heldLeases.get(shardId);
      if (!lease) return false;
      const last = this.checkpointed.get(shardId);
      if (last !== undefined && isSeq(checkpoint) && compareSeq(checkpoint, last) <= 0) return true;
      const ok = await this.table.checkpoint(lease, this.workerId, checkpoint);
      const now = this.heldLeases.get(shardId);
      if (ok && now) {
        now.checkpoint = checkpoint;
        if (isSeq(checkpoint)) this.checkpointed.set(shardId, checkpoint);
      }
      if (!ok && now) {
        this.forget(shardId);
        this.listener.onLost(shardId);
      }
      return ok;
    });
  }

  /**
   * A closed shard has been read to its end and all of it stored: SHARD_END (after any checkpoint
   * of the shard in flight, which would otherwise land on top of it), and the lease goes.
   */
  async shardEnded(shardId: string): Promise<void> {
    const ended = await this.serially(shardId, async () => {
      const lease = this.heldLeases.get(shardId);
      if (!lease) return false;
      const ok = await this.table.checkpoint(lease, this.workerId, SHARD_END);
      this.forget(shardId);
      if (ok) await this.table.release(lease, this.workerId).catch(() => undefined);
      return true;
    });
    if (ended) await this.refresh().catch(() => undefined);
  }

  /** Stops renewing; with `release` (a clean stop) gives the leases back at once. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.renewTimer);
    clearInterval(this.expiryTimer);
    await Promise.all([this.ticking, this.renewing]);
    if (release) {
      await Promise.all([...this.heldLeases.values()].map((l) => this.table.release(l, this.workerId).catch(() => false)));
    }
    this.heldLeases.clear();
    this.renewedAt.clear();
    this.checkpointed.clear();
  }
}
