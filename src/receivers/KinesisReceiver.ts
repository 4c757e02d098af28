/**
 * The receiver of `KinesisUtils.createStream` (Spark's KinesisReceiver over the KCL): a worker of
 * the application `kinesisAppName` that reads the shards whose leases it holds and hands their
 * records to `store()`.
 *
 * When things happen:
 *  - onStart: the stream and the lease table are checked (the table is created when missing), the
 *    shards get leases, and the worker takes its share (see LeaseCoordinator). Each lease taken
 *    starts a shard reader; a lease lost (another worker took it) stops it.
 *  - a shard reader waits until the shard's parents are read to their end (SHARD_END), starts
 *    after the lease's checkpoint (or at its initial position: LATEST is the job's first start,
 *    `firstStartedAt`, which its checkpoint keeps across crashes), and loops: GetRecords (the
 *    per-shard read interval and back-off on ProvisionedThroughputExceededException are the
 *    transport's), `await store(records)` — which waits for the rate limit (maxRate,
 *    backpressure) and, with the write-ahead log, until the block is on disk — then the shard's
 *    stored position moves to the last record. Caught up, it waits `idleReadInterval`.
 *  - every `checkpointInterval` from onStart: each shard's stored position is written to its lease:
 *    only records already stored are ever checkpointed, and a checkpoint never goes back (nor
 *    over SHARD_END: a shard's writes run one after another, LeaseCoordinator).
 *  - a closed shard read to its end: its last records stored, its lease is checkpointed SHARD_END
 *    and released, its reader forgotten; its children's readers (here or in another worker) start
 *    from then. A shard sync deletes the SHARD_END lease once its children's reading has begun
 *    (LeaseCoordinator), so the lease table stays about one lease per open shard.
 *  - a lease not renewed for the lease timeout (the lease table unreachable: another worker may
 *    have taken it) is dropped, as the KCL's: its reader stops and stores nothing more; the lease is
 *    taken again, through the normal path, if it is still in this worker's name.
 *  - onStop (stop or restart): readers stop (the stores under way finish, up to 3 s), stored
 *    positions are checkpointed, leases released so other workers take them at once — the lease
 *    table gets 5 s for that, then every call still in flight is aborted (a stop takes seconds
 *    however unreachable DynamoDB is; what was not checkpointed is read again: at least once).
 *    One checkpoint round runs at a time; a round due while one is in flight is skipped.
 *
 * Guarantees: with the write-ahead log nothing is lost — a checkpointed record is in the log,
 * and recovery (getOrCreate) replays what no batch completed; records stored but not yet
 * checkpointed are read again by the next holder of the lease (at least once, as the KCL).
 * Without the log, records in memory when the process dies are lost if they were checkpointed.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { KinesisStreamClient, positionOf, type KinesisRecord } from '../kinesis/client.js';
import type { KinesisConnection } from '../kinesis/connection.js';
import { ShardCursor } from '../kinesis/cursor.js';
import type { InitialPositionInStream } from '../kinesis/InitialPositionInStream.js';
import { KinesisConfigError, KinesisStreamError } from '../kinesis/errors.js';
import { LeaseCoordinator } from '../kinesis/LeaseCoordinator.js';
import { LeaseTable, type Lease } from '../kinesis/leaseTable.js';
import { sleep } from '../util/sleep.js';
import { Receiver } from './Receiver.js';

/** The stream itself does not exist (describing it or listing its shards says so): a restart would meet that again. */
function streamGone(e: unknown): boolean {
  return e instanceof KinesisStreamError && e.missing === 'stream';
}

export interface KinesisReceiverOptions<T = unknown> {
  /** A lease not renewed for this long is taken over by another worker (default 10 s, the KCL's failover time). */
  leaseTimeout?: number;
  /** How often the shard list is read for new shards after a reshard (default 2 s). */
  shardSyncInterval?: number;
  /** Wait after a read that found nothing new (default 500 ms). */
  idleReadInterval?: number;
  /** Records per GetRecords call (default and Kinesis's maximum: 10 000). */
  maxRecordsPerRead?: number;
  /** Least time between two reads of one shard (default 200 ms: Kinesis's 5 reads/s a shard). */
  minReadInterval?: number;
  /** Give up a Kinesis or DynamoDB call after retrying this long (default 2 min); the receiver then restarts. */
  retryTimeout?: number;
  /**
   * This worker's name in the lease table (default host:pid:random). Unique per receiver, as the
   * KCL's: a worker takes back the leases in its name it does not hold (its own, before a restart).
   */
  workerId?: string;
  /** Turns a whole record (data, partition key, sequence number, shard) into an element; overrides the decoder. */
  messageHandler?: (record: KinesisRecord) => T;
}

interface ShardReader {
  lease: Lease;
  stopped: boolean;
  /** The last sequence number stored (undefined: none yet). */
  stored: string | undefined;
  checkpointed: string | undefined;
  done: Promise<void>;
}

/** What a receiver did, for tests and figures. */
export interface KinesisReceiverEvent {
  type: 'taken' | 'lost' | 'stored' | 'checkpointed' | 'shardEnded';
  shardId: string;
  sequenceNumber?: string;
  records?: number;
}

export class KinesisReceiver<T> extends Receiver<T> {
  private generation = 0;
  private kinesis: KinesisStreamClient | undefined;
  private table: LeaseTable | undefined;
  private coordinator: LeaseCoordinator | undefined;
  private readonly readers = new Map<string, ShardReader>();
  private checkpointTimer: NodeJS.Timeout | undefined;
  /** The checkpoint round in flight, if any: a round is skipped while another is (a slow lease table does not queue them up). */
  private checkpointing: Promise<void> | undefined;
  readonly workerId: string;
  /** Called for every lease change, store and checkpoint (tests). */
  onEvent: ((e: KinesisReceiverEvent) => void) | undefined;
  readonly counts = { received: 0, stored: 0, checkpoints: 0 };

  constructor(
    readonly connection: KinesisConnection,
    readonly kinesisAppName: string,
    readonly streamName: string,
    readonly initialPosition: InitialPositionInStream,
    readonly checkpointIntervalMs: number,
    private readonly decode: (record: KinesisRecord) => T,
    readonly options: KinesisReceiverOptions<T> = {},
  ) {
    super();
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  /** At LATEST, "from now on" is from the job's first start, across restarts and crashes (Receiver.firstStartedAt). */
  override get keepsStartTime(): boolean {
    return this.initialPosition === 'LATEST';
  }

  onStart(): void {
    const gen = ++this.generation;
    const o = this.options;
    const giveUp = (): boolean => gen !== this.generation || this.isStopped();
    const kinesis = new KinesisStreamClient(
      this.streamName,
      this.connection,
      { retryTimeoutMs: o.retryTimeout ?? 120_000, minReadIntervalMs: o.minReadInterval ?? 200 },
      giveUp,
    );
    const table = new LeaseTable(this.kinesisAppName, this.streamName, kinesis.connection, o.retryTimeout ?? 120_000);
    const coordinator = new LeaseCoordinator(
      table,
      kinesis,
      {
        workerId: this.workerId,
        initialPosition: this.initialPosition,
        latestFrom: this.firstStartedAt,
        ...(o.leaseTimeout !== undefined ? { leaseTimeoutMs: o.leaseTimeout } : {}),
        ...(o.shardSyncInterval !== undefined ? { shardSyncIntervalMs: o.shardSyncInterval } : {}),
      },
      {
        onTaken: (lease) => {
          if (gen === this.generation) this.startReader(gen, lease);
        },
        onLost: (shardId) => {
          const r = this.readers.get(shardId);
          if (r) r.stopped = true;
          // Not ours to checkpoint any more: forgotten, as a finished shard is (a new lease starts a new reader).
          if (r) this.readers.delete(shardId);
          this.onEvent?.({ type: 'lost', shardId });
        },
        onError: (message, error) => {
          if (gen !== this.generation || this.isStopped()) return;
          // A configuration a restart would meet again (another stream's lease table), or a stream
          // that is not there (deleted while the job runs): the job fails, as the direct stream's does.
          if (error instanceof KinesisConfigError || streamGone(error)) this.fail(message, error);
          else this.restart(message, error);
        },
      },
    );
    this.kinesis = kinesis;
    this.table = table;
    this.coordinator = coordinator;
    // From now, not once the first lease-taking round ends: readers start as their leases are taken,
    // and a slow round (a take retried while DynamoDB throttles) must not hold back their checkpoints.
    this.checkpointTimer = setInterval(() => {
      if (!this.checkpointing) void this.checkpointAll(gen);
    }, Math.max(10, this.checkpointIntervalMs));
    coordinator.start().catch((e: unknown) => {
      if (gen !== this.generation || this.isStopped()) return;
      if (e instanceof KinesisConfigError || streamGone(e)) this.fail('The Kinesis receiver cannot start', e);
      else this.restart((e as Error).message ?? String(e), e);
    });
  }

  /** The shards this receiver reads now (tests, figures). */
  get shards(): string[] {
    return [...this.readers.entries()].filter(([, r]) => !r.stopped).map(([id]) => id).sort();
  }

  private startReader(gen: number, lease: Lease): void {
    const prev = this.readers.get(lease.leaseKey);
    if (prev && !prev.stopped) return;
    const reader: ShardReader = { lease, stopped: false, stored: undefined, checkpointed: undefined, done: Promise.resolve() };
    this.readers.set(lease.leaseKey, reader);
    this.onEvent?.({ type: 'taken', shardId: lease.leaseKey });
    reader.done = this.read(gen, reader).catch((e: unknown) => {
      if (reader.stopped || gen !== this.generation || this.isStopped()) return;
      this.restart(`Reading shard ${lease.leaseKey} of Kinesis stream "${this.streamName}" failed: ${(e as Error).message ?? String(e)}`, e);
    });
  }

  private running(gen: number, r: ShardReader): boolean {
    return !r.stopped && gen === this.generation && !this.isStopped();
  }

  private async read(gen: number, r: ShardReader): Promise<void> {
    const coordinator = this.coordinator!;
    const kinesis = this.kinesis!;
    const shardId = r.lease.leaseKey;
    // A child waits until its parents have been read to their end.
    while (this.running(gen, r) && !coordinator.parentsDone(r.lease)) {
      await sleep(Math.min(500, coordinator.leaseTimeoutMs / 3));
      await coordinator.refresh();
    }
    const cursor = new ShardCursor(kinesis, shardId, positionOf(r.lease.checkpoint));
    const max = this.options.maxRecordsPerRead ?? 10_000;
    const idle = this.options.idleReadInterval ?? 500;
    const handler = this.options.messageHandler ?? this.decode;
    while (this.running(gen, r)) {
      const records = await cursor.read(max);
      // Not stored: the next holder reads them from the checkpoint. A lease not renewed for the
      // lease timeout (the lease table unreachable) may be another worker's now: stillHeld drops it
      // (onLost stops this reader), as the KCL shuts down the consumer of a lease it no longer holds.
      if (!this.running(gen, r) || !coordinator.stillHeld(shardId)) return;
      if (records.length > 0) {
        this.counts.received += records.length;
        let items: T[];
        try {
          items = records.map(handler);
        } catch (e) {
          // The job's own code: a restart would meet the same record again, and stall every shard.
          return this.fail(`The message handler of the Kinesis receiver of stream "${this.streamName}" failed on shard ${shardId}`, e);
        }
        await this.store(items);
        const last = records[records.length - 1]!.sequenceNumber;
        r.stored = last;
        this.counts.stored += records.length;
        this.onEvent?.({ type: 'stored', shardId, sequenceNumber: last, records: records.length });
      }
      if (cursor.ended) {
        if (!this.running(gen, r)) return;
        await coordinator.shardEnded(shardId);
        r.stopped = true;
        r.checkpointed = r.stored;
        // Nothing more to checkpoint: the reader goes (what is kept per shard stays bounded however often the stream is resharded).
        if (this.readers.get(shardId) === r) this.readers.delete(shardId);
        kinesis.forgetShard(shardId);
        this.onEvent?.({ type: 'shardEnded', shardId });
        return;
      }
      if (records.length === 0 || (records.length < max && cursor.millisBehindLatest === 0)) await sleep(idle);
    }
  }

  /** Writes each shard's stored position to its lease (one round at a time: while one is in flight, it is the round). */
  private checkpointAll(gen: number): Promise<void> {
    if (this.checkpointing) return this.checkpointing;
    const run = (async (): Promise<void> => {
      const coordinator = this.coordinator;
      if (!coordinator || gen !== this.generation) return;
      await Promise.all(
        [...this.readers.entries()].map(async ([shardId, r]) => {
          const seq = r.stored;
          if (seq === undefined || seq === r.checkpointed) return;
          try {
            if (await coordinator.checkpoint(shardId, seq)) {
              r.checkpointed = seq;
              this.counts.checkpoints++;
              this.onEvent?.({ type: 'checkpointed', shardId, sequenceNumber: seq });
            }
          } catch (e) {
            if (!this.isStopped()) this.reportError(`Checkpointing shard ${shardId} of Kinesis stream "${this.streamName}" failed`, e);
          }
        }),
      );
    })()
      .catch(() => undefined)
      .finally(() => {
        if (this.checkpointing === run) this.checkpointing = undefined;
      });
    this.checkpointing = run;
    return run;
  }

  async onStop(): Promise<void> {
    const gen = this.generation;
    clearInterval(this.checkpointTimer);
    const coordinator = this.coordinator;
    for (const r of this.readers.values()) r.stopped = true;
    // The stores under way finish (a block is cut within a block interval), then their positions are checkpointed.
    await Promise.race([
      Promise.all([...this.readers.values()].map((r) => r.done)),
      new Promise((res) => setTimeout(res, 3000).unref()),
    ]);
    if (coordinator) {
      // DynamoDB unreachable: a stop would wait out every call's retry timeout (minutes). The
      // lease table gets 5 s, then every call still in flight is aborted; what could not be
      // checkpointed is read again by the next holder of the lease (at least once).
      this.table?.stopSoon(5_000);
      // The round in flight (perhaps stuck since before the stop), then one with the last stored positions.
      await this.checkpointing;
      await this.checkpointAll(gen).catch(() => undefined);
      await coordinator.stop(true).catch(() => undefined);
    }
    this.generation++;
    this.readers.clear();
    this.kinesis?.close();
    this.table?.close();
    this.kinesis = undefined;
    this.table = undefined;
    this.coordinator = undefined;
  }
}
