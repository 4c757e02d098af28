import type { DStream } from '../dstream/DStream.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { isCheckpointable, type Checkpointable, type StreamCheckpoint } from '../dstream/Checkpointable.js';
import { CheckpointStore, type CheckpointCommit, type CommitOptions, type DeltaChange, type SliceChange, type StateChange } from './CheckpointStore.js';
import { CheckpointError, corrupt } from '../util/checkpointErrors.js';
import { SnapshotMerges } from './SnapshotMerges.js';
import { UnwrittenCommits } from './UnwrittenCommits.js';
import { CompactionPacing } from './compactionPacing.js';
import { GROUP_LINGER_MS, MAX_GROUP_BATCHES, MAX_UNWRITTEN_BATCHES, MAX_UNWRITTEN_FAST_BATCHES } from './groupCommit.js';
import { jsonEntry, pairsOf, reusedPairs } from './bulk.js';
import { mergeStateLog } from './stateRead.js';
import type { StateKey } from './codec.js';
import { describeStream, planRestore, recordOf, streamKey, type RestorePlan, type StreamRecord } from './plan.js';
import { asStartRecord, restoreStart, startRecord, type StartRecord } from './startRecord.js';

/** The keys a disk-backed stream's meta says the store holds (0 when it says nothing). */
function diskKeys(meta: unknown): number {
  const n = (meta as { keys?: unknown } | null | undefined)?.keys;
  return typeof n === 'number' ? n : 0;
}

/** The record each completed batch writes under `meta/batch`. */
export interface CheckpointMeta {
  format: 'dstreams-batch-meta';
  appName: string;
  batchDuration: number;
  zeroTime: number;
  /** The last batch whose outputs all completed and whose state is in this checkpoint. */
  lastCompletedTime: number;
  /** Batches generated but not completed when it was written: recovery runs them again. */
  pendingTimes: number[];
  /** One line per stream, in creation order: how recovery checks it got the same graph. */
  graph: string[];
  /**
   * Each checkpointable stream's small per-batch value, by stream key (an input's position, a
   * window's shape): opaque to the store and to this class, so inputs may add fields freely.
   */
  streams: Record<string, unknown>;
  /** Format 2: what each checkpointable stream is (input or state, name, shape), by stream key. */
  states?: Record<string, StreamRecord>;
  writtenAt: number;
}

export { describeStream };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks the shape of a batch record (what recovery reads of it) and throws CORRUPT naming the
 * field: the record is JSON that LevelDB's checksums may not cover (a table read without
 * verify_checksums), and a damaged one must be refused as damage, not fail later as a TypeError.
 */
function checkBatchRecord(dir: string, meta: Record<string, unknown>): asserts meta is Record<string, unknown> & CheckpointMeta {
  const bad = (field: string, expected: string): CheckpointError =>
    corrupt(dir, `its batch record (meta/batch) has ${field in meta ? `an invalid "${field}"` : `no "${field}"`} field (expected ${expected})`);
  for (const field of ['batchDuration', 'zeroTime', 'lastCompletedTime'] as const) {
    if (!Number.isSafeInteger(meta[field])) throw bad(field, 'an integer number of milliseconds');
  }
  if ((meta.batchDuration as number) <= 0) throw bad('batchDuration', 'a positive integer number of milliseconds');
  if (!Array.isArray(meta.pendingTimes) || !meta.pendingTimes.every((t) => Number.isSafeInteger(t))) {
    throw bad('pendingTimes', 'an array of batch times');
  }
  if (!Array.isArray(meta.graph) || !meta.graph.every((l) => typeof l === 'string')) throw bad('graph', 'an array of strings');
  if (!isObject(meta.streams)) throw bad('streams', 'an object');
  // Format 1 wrote no `states`; when present, planRestore reads each record's input, name and shape.
  if (meta.states !== undefined) {
    const ok =
      isObject(meta.states) &&
      Object.values(meta.states).every(
        (r) => isObject(r) && typeof r.input === 'boolean' && typeof r.shape === 'string' && (r.name === undefined || typeof r.name === 'string'),
      );
    if (!ok) throw bad('states', 'an object of { input, name?, shape } records');
  }
}

export interface CheckpointerOptions {
  /**
   * Group commit (default true; Spark writes its checkpoints asynchronously too): a batch
   * completes once its commit is encoded and queued, and the commits queued while a write (and
   * its fsync) is in progress go to LevelDB together in the next one. A batch waits for a write
   * only when MAX_UNWRITTEN_BATCHES commits are queued (MAX_UNWRITTEN_FAST_BATCHES while batches
   * come less than GROUP_LINGER_MS apart). The price: a crash loses the commits not
   * yet written — recovery resumes from the last written one and runs the batches after it again
   * (their outputs too). false: strict, each batch's commit is durable before the batch completes.
   */
  overlapWrites?: boolean;
  /** Told the first error of a commit that failed to write (while no batch waits for it). */
  onWriteError?: (error: unknown) => void;
}

/**
 * Writes one atomic checkpoint per completed batch — the batch metadata and what every
 * checkpointable stream changed in that batch — and restores them on recovery.
 *
 * State kept in memory goes to the delta log: one bulk value per stream per batch. At a stream's
 * checkpoint interval, once its log since the last snapshot holds as many changed keys as the
 * state has keys and at least MIN_MERGE_CHANGES (or MAX_DELTA_ENTRIES entries), a new snapshot is
 * merged while the next batches run — from the state in memory or, for a large state, from the
 * stored log on the merge thread (SnapshotMerges): merging costs O(1) per change, and a restore reads, in bulk, at
 * most about twice the state (a small state: itself and 100 k changes). State kept on disk
 * (`stateOnDisk`) is written key by key in the batch's commit and never loaded.
 *
 * When things happen (group commit, the default):
 *  - batch t completed: commitBatch(t) asks every stream for its delta, encodes the commit and
 *    queues it (CheckpointStore coalesce) — the batch completes now, unless MAX_UNWRITTEN_BATCHES
 *    commits are queued: then once the oldest is written. When batches come less than
 *    GROUP_LINGER_MS apart, the bound is MAX_UNWRITTEN_FAST_BATCHES, and a stream that can
 *    defer its delta (deferDelta: mapWithState, updateStateByKey) holds its changes instead; the
 *    commit then lingers up to GROUP_LINGER_MS (or MAX_GROUP_BATCHES commits) for company, and
 *    the last such commit of its group describes the held changes of all of them, with the
 *    batch record, when the group's write starts (deferredPart), counting them toward the next
 *    merge;
 *  - a write in progress when commits are queued: they wait, and go to LevelDB together in the
 *    next write (one atomic batch, one fsync), in order;
 *  - a write done: each of its commits' streams is told (checkpointWritten(t)) — the receiver's
 *    log may drop blocks up to that commit's position, the disk store its unwritten changes;
 *  - batch t generated, with an input that decides its data before running (commitGenerated):
 *    that decision is queued like a commit and awaited — the batch reads only once it, and every
 *    commit before it, is durable;
 *  - a write failed: onWriteError at once (the context stops); the next commitBatch,
 *    commitGenerated, flush and close throw it; the commits queued behind it are never written;
 *  - close(): waits for every queued commit.
 * Strict (`overlapWrites: false`): commitBatch(t) resolves once t's commit is durable.
 */
export class Checkpointer {
  private readonly checkpointables: Array<DStream<unknown> & Checkpointable>;
  private readonly streamMeta: Record<string, unknown> = {};
  /** Streams that have written a complete copy since this context started (the first commit is full). */
  private readonly written = new Set<string>();
  private commits = 0;
  /** The last batch the store holds as completed (undefined until one did in this store). */
  private lastCompleted: CheckpointMeta | undefined;
  /** Commits queued and not yet written, and the first write that failed (every later commit, flush and close throws it). */
  private readonly unwritten: UnwrittenCommits;
  private readonly merges: SnapshotMerges;
  private readonly compaction = new CompactionPacing();
  /** Streams whose deferred changes (deferDelta) wait in a group not yet written: the last batch each deferred. */
  private readonly held = new Map<string, number>();
  /** Whether this context wrote a start record (startRecord.ts): it is kept up to date until a batch completes. */
  private startWritten = false;
  /** The batch whose results seeded this run's state, for its start record (StartRecord.seededFrom). */
  seededFrom: number | undefined;
  /** When the last commitBatch began (performance.now()). */
  private lastCommitAt: number | undefined;
  /** Stored streams the graph no longer has: removed by the next commit. */
  private toDrop: string[] = [];
  private graphLines: string[] | undefined;
  private records: Record<string, StreamRecord> | undefined;

  private constructor(
    readonly store: CheckpointStore,
    private readonly graph: DStreamGraph,
    private readonly appName: string,
    private readonly options: CheckpointerOptions,
  ) {
    this.merges = new SnapshotMerges(store, () => graph.zeroTime!);
    this.checkpointables = graph.streams.filter(isCheckpointable) as Array<DStream<unknown> & Checkpointable>;
    this.unwritten = new UnwrittenCommits({
      release: () => store.release(),
      written: (time) => {
        for (const s of this.checkpointables) s.checkpointWritten?.(time);
      },
      failed: (error) => options.onWriteError?.(error),
    });
    const keys = new Set<string>();
    for (const s of this.checkpointables) {
      const key = streamKey(s);
      if (keys.has(key)) throw new Error(`two stateful operations are named "${s.stateName}": state names must be unique in a graph`);
      keys.add(key);
    }
  }

  static async open(graph: DStreamGraph, dir: string, appName: string, options: CheckpointerOptions = {}): Promise<Checkpointer> {
    const store = await CheckpointStore.open(dir);
    try {
      return new Checkpointer(store, graph, appName, options);
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  /** What the store's last completed batch recorded, or undefined for a store with no batch yet. */
  async readMeta(): Promise<CheckpointMeta | undefined> {
    const meta = await this.store.readMeta<unknown>();
    if (meta === undefined) return undefined;
    if (!isObject(meta) || meta.format !== 'dstreams-batch-meta') {
      throw new CheckpointError(
        'INCOMPATIBLE_VERSION',
        this.store.dir,
        `checkpoint in ${this.store.dir} has no dstreams batch record this version understands`,
      );
    }
    checkBatchRecord(this.store.dir, meta);
    return meta;
  }

  /**
   * Which stored stream each stream resumes from (see plan.ts); throws naming the first
   * difference when this graph cannot resume from the checkpoint.
   */
  checkGraph(meta: CheckpointMeta): RestorePlan {
    return planRestore(this.store.dir, this.graph, this.checkpointables, meta);
  }

  /** Give every checkpointable stream back what the store holds for it (as `plan` maps them). */
  async restore(meta: CheckpointMeta, plan: RestorePlan = this.checkGraph(meta)): Promise<void> {
    for (const s of this.checkpointables) {
      const key = streamKey(s);
      const from = plan.from.get(key);
      if (from === undefined) {
        // New named state: starts empty, its first commit is full.
        if (s.stateOnDisk) s.attachStateReader!(this.store.keyedReader(key), 0);
        continue;
      }
      this.written.add(key);
      this.streamMeta[key] = meta.streams[from];
      if (s.stateOnDisk) {
        s.attachStateReader!(this.store.keyedReader(from), diskKeys(meta.streams[from]));
        // Nothing is loaded: the stream reads its keys and slices from the store as it needs them.
        await s.restoreCheckpoint({ time: meta.lastCompletedTime, state: [], slices: [], meta: meta.streams[from] });
        continue;
      }
      const [log, slices] = await Promise.all([this.store.loadStateLog(from), this.store.readSlices(from)]);
      // The delta log on disk counts toward the next merge as if logged in this run.
      if (from === key) this.merges.restored(key, meta.lastCompletedTime, log.deltas.map((d) => d.flat.length / 2 + d.deletes.length));
      // Merged only if the stream iterates `state` (one pair object refilled per entry:
      // restoreCheckpoint destructures each entry at once); mapWithState builds from `log`.
      const state: Iterable<[unknown, unknown]> = { [Symbol.iterator]: () => reusedPairs(mergeStateLog(log))[Symbol.iterator]() };
      await s.restoreCheckpoint({ time: meta.lastCompletedTime, state, log, slices, meta: meta.streams[from] });
    }
    this.toDrop = plan.dropped;
    this.lastCompleted = meta;
  }

  /** Where the inputs of a job whose first run completed no batch started (startRecord.ts), or undefined. */
  async readStart(): Promise<StartRecord | undefined> {
    return asStartRecord(await this.store.readStart());
  }

  /** A fresh job's inputs start where its first run's did (startRecord.ts): before they start. */
  restoreStart(record: StartRecord, log: (line: string) => void): Promise<void> {
    return restoreStart(record, this.checkpointables, this.graph.zeroTime!, log);
  }

  /**
   * A fresh job's inputs started: where the ones that decide late or whose start is a decision
   * did (startRecord.ts), before any batch is generated; again with the batches generated since
   * (`pendingTimes`) until one completes. A restart running a first run's batches again passes
   * the record it restored from (`restoredFrom`): the inputs it restored keep their positions.
   */
  async commitStart(pendingTimes: readonly number[] = [], restoredFrom?: StartRecord): Promise<void> {
    const grid = { zeroTime: this.graph.zeroTime!, batchDuration: this.graph.batchDuration, pendingTimes, seededFrom: this.seededFrom, restoredFrom };
    const start = startRecord(this.appName, this.checkpointables, grid);
    if (start === undefined) return;
    this.startWritten = true;
    this.unwritten.check();
    // Queued like a commit: the first batch's commit, if already queued, goes before it.
    await this.unwritten.track(undefined, this.store.enqueue({ start }, { coalesce: true }));
  }

  /** State kept on disk reads the store from the start (for a new store: empty). */
  attachFresh(): void {
    for (const s of this.checkpointables) if (s.stateOnDisk) s.attachStateReader!(this.store.keyedReader(streamKey(s)), 0);
  }

  /**
   * After batch `time`'s inputs decided its data: record the positions of the inputs that
   * decide late (`generatedPosition`) in a metadata-only commit, the last completed batch
   * unchanged (nothing when no input decides late). Before the first batch completed, the start
   * record (commitStart) is written again instead, with the batches decided since, when there is one.
   */
  async commitGenerated(time: number, pendingTimes: number[]): Promise<void> {
    const last = this.lastCompleted;
    if (last === undefined) {
      if (this.startWritten) await this.commitStart([...new Set([time, ...pendingTimes])].sort((a, b) => a - b));
      return;
    }
    let changed = false;
    for (const s of this.checkpointables) {
      if (typeof s.generatedPosition !== 'function') continue;
      this.streamMeta[streamKey(s)] = s.generatedPosition(last.lastCompletedTime);
      changed = true;
    }
    if (!changed) return;
    this.unwritten.check();
    const pending = [...new Set([time, ...pendingTimes])].sort((a, b) => a - b);
    const meta: CheckpointMeta = { ...last, pendingTimes: pending, streams: { ...this.streamMeta }, writtenAt: Date.now() };
    // Written after (or with) the commits queued before it: once it is durable, so are they.
    await this.unwritten.track(undefined, this.store.enqueue({ meta }, { coalesce: true }));
  }

  /**
   * Queue batch `time`'s checkpoint as one atomic commit. Strict (`overlapWrites: false`):
   * resolves once it is durable. Group commit (the default): resolves once it is encoded and
   * queued (the streams may change their state from then on) — at once, unless
   * MAX_UNWRITTEN_BATCHES commits are queued (MAX_UNWRITTEN_FAST_BATCHES for batches less than
   * GROUP_LINGER_MS apart): then once the oldest is written. Its LevelDB
   * write goes with the commits queued beside it (CommitOptions.coalesce); each stream is told
   * when it is written (checkpointWritten). A failed write fails the next commitBatch,
   * commitGenerated, flush or close, and is told to `onWriteError` at once.
   */
  async commitBatch(time: number, pendingTimes: number[]): Promise<void> {
    const strict = this.options.overlapWrites === false;
    // Deltas wait for company only when batches come faster than the linger (or a group is open).
    const now = performance.now();
    const defer = !strict && ((this.lastCommitAt !== undefined && now - this.lastCommitAt < GROUP_LINGER_MS) || this.held.size > 0);
    this.lastCommitAt = now;
    this.unwritten.check();
    if (!strict) await this.waitUntilUnwritten((defer ? MAX_UNWRITTEN_FAST_BATCHES : MAX_UNWRITTEN_BATCHES) - 1);
    this.merges.check();
    const state = new Map<string, StateChange>();
    const deltas = new Map<string, DeltaChange>();
    const slices = new Map<string, SliceChange>();
    // The graph cannot change once started: its lines and records are made once.
    const graphLines = (this.graphLines ??= this.graph.streams.map(describeStream));
    const states = (this.records ??= Object.fromEntries(this.checkpointables.map((s) => [streamKey(s), recordOf(s, this.graph)])));
    const logged: Array<[DStream<unknown> & Checkpointable, string, number, boolean]> = [];
    const deferred: Array<DStream<unknown> & Checkpointable> = [];
    for (const s of this.checkpointables) {
      const key = streamKey(s);
      const full = !this.written.has(key);
      if (defer && !full && s.deferDelta !== undefined) {
        if (s.deferDelta(time, jsonEntry) !== undefined) {
          deferred.push(s);
          logged.push([s, key, 0, false]); // its changes count when its group's delta is made (deferredPart)
          continue;
        }
        // Changes it deferred before must not be described apart from their group: written first.
        if (this.held.has(key)) await this.waitUntilUnwritten(0);
      }
      const delta: StreamCheckpoint | undefined = s.checkpointDelta(time, full);
      this.written.add(key);
      if (!delta) continue;
      if (delta.state) {
        const { replace, puts, deletes, flat } = delta.state;
        if (s.stateOnDisk) {
          // On disk the store is the state: a full copy is what it already holds.
          const idle = delta.state.idle as StateChange['idle'];
          const keyed = flat ? (pairsOf(flat) as [StateKey, unknown][]) : (puts as [StateKey, unknown][]);
          state.set(key, { puts: keyed, deletes: deletes as StateKey[], ...(idle ? { idle } : {}) });
        } else if (replace) {
          deltas.set(key, { time, replace, puts: puts as [StateKey, unknown][] });
          logged.push([s, key, puts.length, replace]);
        } else {
          const change: DeltaChange = flat ? { time, flat, deletes: deletes as StateKey[] } : { time, puts: puts as [StateKey, unknown][], deletes: deletes as StateKey[] };
          deltas.set(key, change);
          logged.push([s, key, (flat ? flat.length / 2 : puts.length) + deletes.length, replace]);
        }
      }
      if (delta.slices) slices.set(key, { puts: delta.slices.puts, deletes: delta.slices.deletes });
      if (delta.meta !== undefined) this.streamMeta[key] = delta.meta;
    }
    const meta: CheckpointMeta = {
      format: 'dstreams-batch-meta',
      appName: this.appName,
      batchDuration: this.graph.batchDuration,
      zeroTime: this.graph.zeroTime!,
      lastCompletedTime: time,
      pendingTimes,
      graph: graphLines,
      streams: { ...this.streamMeta },
      states,
      writtenAt: Date.now(),
    };
    const commit: CheckpointCommit = { state, deltas, slices };
    if (this.toDrop.length > 0) commit.dropStreams = this.toDrop;
    this.lastCompleted = meta;
    let options: CommitOptions = { coalesce: true };
    if (deferred.length === 0) commit.meta = meta;
    else {
      for (const s of deferred) this.held.set(streamKey(s), time);
      options = { coalesce: true, late: (last) => (last ? this.deferredPart(time, deferred, meta) : undefined), linger: { ms: GROUP_LINGER_MS, max: MAX_GROUP_BATCHES } };
    }
    const written = this.unwritten.track(time, this.store.enqueue(commit, options)); // throws when the commit cannot be encoded
    this.toDrop = [];
    written.catch(() => {}); // seen by the next commit, flush() or close()
    this.commits++;
    for (const [s, key, changes, replace] of logged) this.merges.log(s, key, time, changes, replace);
    this.merges.startDue(time);
    if (strict) await this.waitUntilUnwritten(0);
  }

  /**
   * The part of batch `time`'s commit its group's write encodes (CommitOptions.late), when it is
   * the group's last such commit: the deltas of the streams that deferred theirs — every batch
   * they held up to `time`, the earlier commits of the group leaving theirs to this one — and the
   * batch record, which replaces theirs.
   */
  private deferredPart(time: number, deferred: ReadonlyArray<DStream<unknown> & Checkpointable>, meta: CheckpointMeta): CheckpointCommit {
    const deltas = new Map<string, DeltaChange>();
    for (const s of deferred) {
      const key = streamKey(s);
      // A later batch's changes it deferred too wait for their own group: still held.
      if (this.held.get(key)! <= time) this.held.delete(key);
      const delta = s.checkpointDelta(time, false);
      const change = delta?.state;
      if (change?.flat) {
        deltas.set(key, { time, flat: change.flat, deletes: change.deletes as StateKey[] });
        this.merges.countDeferred(key, time, change.flat.length / 2 + change.deletes.length);
      } else if (change) throw new Error(`${key}: a deferred checkpoint of batch ${time} came back as a full copy`);
      if (delta?.meta !== undefined) meta.streams[key] = this.streamMeta[key] = delta.meta;
    }
    return { meta, deltas };
  }

  /** Waits until at most `n` commits are unwritten; throws a failed write's error. */
  private waitUntilUnwritten(n: number): Promise<void> {
    return this.unwritten.waitUntil(n);
  }

  /** The snapshot being merged, if any: resolves once it is written (or given up). */
  whenMerged(): Promise<void> {
    return this.merges.whenMerged();
  }

  /** Waits until every queued commit is durable; throws a failed write's error. */
  async flush(): Promise<void> {
    await this.waitUntilUnwritten(0);
  }

  /** Commits queued and not yet written (group commit). */
  get unwrittenCommits(): number {
    return this.unwritten.size;
  }

  /** Whether a compaction may start now (compactionPacing.ts). */
  compactionDue(now = performance.now()): boolean {
    return this.compaction.due(now);
  }

  /** LevelDB compaction, every checkpoint interval (when due): keeps the store's size and reads in check. */
  compact(): Promise<void> {
    return this.compaction.run(() => this.store.compact());
  }

  get commitCount(): number {
    return this.commits;
  }

  /** Waits for the last commit's write (throwing its error) and a merge under way, then closes the store. */
  async close(): Promise<void> {
    try {
      await this.flush();
      // A snapshot merge under way is finished, not dropped: it shortens the next restore.
      await this.merges.whenMerged();
      this.merges.check(); // a merge that failed, which no later commit saw
    } finally {
      await this.store.close();
    }
  }
}
