import type { Checkpointable } from '../dstream/Checkpointable.js';
import type { DStream } from '../dstream/DStream.js';
import type { CheckpointStore } from './CheckpointStore.js';
import { CheckpointError } from '../util/checkpointErrors.js';
import { SNAPSHOT_CHUNK } from './layout.js';

/** A merge is due once a stream's delta log holds this many entries, whatever their size. */
const MAX_DELTA_ENTRIES = 200;

/**
 * A small state's log may hold this many changed keys before a merge is due (a large state's: as
 * many as it has keys): rewriting a 10 k-key state every checkpoint interval cost more than
 * reading 100 k logged changes at a restore ever would (bench/checkpoint.ts, single runs: 10 k
 * keys 0.80 -> 0.87 of the throughput without checkpoints; one key 0.6-0.8 -> 0.74-1.01).
 */
export const MIN_MERGE_CHANGES = 100_000;

/**
 * A merge is made from the state in memory once the log holds this many times the state's keys
 * (see log). bench/latency.ts (100 k keys, ~600 k changes a checkpoint interval at 1 M records/s)
 * and bench/checkpoint.ts at 10 k keys merge from memory, its 1 M-key state from the store.
 */
const MEMORY_MERGE_RATIO = 2;

/** A stream's delta log since its last snapshot: changed keys per logged batch, oldest first. */
type DeltaLog = Array<{ time: number; changes: number }>;

type Stream = DStream<unknown> & Checkpointable;

/**
 * When each stream's delta log is merged into a new snapshot: the Checkpointer's book of what the
 * logs on disk hold.
 *
 * When things happen: a commit's delta of a stream is logged (log) — a full copy starts its log
 * afresh; a deferred group's delta adds its size when the group's write makes it (countDeferred),
 * each key once; at the stream's checkpoint interval, once its log holds as many changes as the
 * state has keys and at least MIN_MERGE_CHANGES (or MAX_DELTA_ENTRIES entries), a merge is due
 * (log); after the commit's streams are logged, one due merge starts unless one runs (startDue,
 * the stream due the longest first): a new snapshot written while the next batches run, the state
 * as of that batch read from memory (CheckpointStore.writeSnapshot) when the log holds more than
 * MEMORY_MERGE_RATIO times its keys, else the stored log merged on the merge thread
 * (CheckpointStore.mergeLog), as of the last delta entry written by then. The log book drops the entries up to the snapshot's time; a
 * merge that failed fails the next commit (check()). A restore counts the log read back as logged
 * in this run (restored).
 */
export class SnapshotMerges {
  /** MIN_MERGE_CHANGES; tests lower it to merge small states. */
  static minMergeChanges = MIN_MERGE_CHANGES;

  private readonly logs = new Map<string, DeltaLog>();
  private merging: Promise<void> | undefined;
  /** Streams whose merge is due, by when they first were (Map order), with their latest due batch. */
  private readonly due = new Map<string, { s: Stream; time: number }>();
  private failed: { error: unknown } | undefined;

  constructor(
    private readonly store: CheckpointStore,
    private readonly zeroTime: () => number,
  ) {}

  /** The delta log read back at a restore, as of batch `time`. */
  restored(key: string, time: number, changes: number[]): void {
    if (changes.length > 0) this.logs.set(key, changes.map((n) => ({ time, changes: n })));
  }

  /** Throws the error of a merge that failed. */
  check(): void {
    if (this.failed) throw this.failed.error;
  }

  /**
   * Records a delta-log entry of a stream (`replace`: a full copy), and whether a merge of its log
   * is due; startDue then starts one.
   */
  log(s: Stream, key: string, time: number, changes: number, replace: boolean): void {
    let log = this.logs.get(key);
    if (log === undefined || replace) this.logs.set(key, (log = []));
    if (replace) {
      this.due.delete(key);
      return;
    }
    log.push({ time, changes });
    const interval = s.checkpointDuration;
    if (interval === undefined || (time - this.zeroTime()) % interval !== 0) return;
    let logged = 0;
    for (const e of log) logged += e.changes;
    const keys = s.stateKeys?.().inMemory ?? 0;
    if (logged < Math.max(keys, SnapshotMerges.minMergeChanges) && log.length < MAX_DELTA_ENTRIES) return;
    // Set on a key already waiting keeps its place: the longest waiting goes first.
    this.due.set(key, { s, time });
  }

  /**
   * Starts, unless a merge is running (one at a time), the merge of the stream that has waited
   * longest among those due at batch `time`. Waiting in turn, a stream whose interval falls with
   * another's is merged at the next one: served in graph order, it would never be.
   */
  startDue(time: number): void {
    if (this.merging) return;
    for (const [key, d] of this.due) {
      if (d.time !== time) continue;
      this.due.delete(key);
      this.start(d.s, key, time);
      return;
    }
  }

  private start(s: Stream, key: string, time: number): void {
    const log = this.logs.get(key)!;
    let logged = 0;
    for (const e of log) logged += e.changes;
    const keys = s.stateKeys?.().inMemory ?? 0;
    // From memory when the log outweighs the state by far (a small state changing fast): the
    // state is then cheaper to encode than the log to merge. Else from the stored log on the merge
    // thread: a large state's leaves are scattered over the heap, and the log is about its size.
    const entries = logged > MEMORY_MERGE_RATIO * keys ? s.stateSnapshot?.(time, SNAPSHOT_CHUNK) : undefined;
    const merge = entries !== undefined ? this.store.writeSnapshot(key, time, entries).then((w) => (w ? time : undefined)) : this.store.mergeLog(key);
    this.merging = merge
      .then(
        (merged) => {
          if (merged === undefined || this.logs.get(key) !== log) return; // a full copy replaced the log meanwhile
          const after = log.findIndex((e) => e.time > merged);
          log.splice(0, after < 0 ? log.length : after);
        },
        (error: unknown) => {
          // A store closed meanwhile: the deltas stay, nothing is lost. Anything else fails the next commit.
          if (!(error instanceof CheckpointError && error.code === 'CLOSED')) this.failed = { error };
        },
      )
      .finally(() => (this.merging = undefined));
  }

  /**
   * A group's delta holds each key once: what it adds to the delta log on disk counts toward the
   * next merge, not the batches' own changes (a small state would merge several times as often).
   * Logged under its last batch `time` (with 0 changes when that batch committed).
   */
  countDeferred(key: string, time: number, changes: number): void {
    const log = this.logs.get(key);
    for (let i = (log?.length ?? 0) - 1; i >= 0; i--) {
      if (log![i]!.time === time) {
        log![i]!.changes += changes;
        return;
      }
    }
  }

  /** The snapshot being merged, if any: resolves once it is written (or given up). */
  whenMerged(): Promise<void> {
    return this.merging ?? Promise.resolve();
  }
}
