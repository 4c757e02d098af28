/**
 * The checkpoint store: a LevelDB database (npm `level`, i.e. classic-level) holding, for a
 * streaming context, the metadata of the last completed batch and the state of every
 * stateful stream, written after each batch in ONE atomic LevelDB write batch.
 *
 * Its parts, one reason to change each: the key layout (layout.ts), opening a directory and
 * the damage checks (open.ts), encoding a commit (commit.ts), bulk values (bulk.ts), reading a
 * stream's state back from snapshot, keyed entries and delta log (stateRead.ts), the reads of
 * state kept on disk and of slices (keyedRead.ts), writing a snapshot (snapshotWrite.ts), the
 * store's streams and size (inventory.ts), the read loop (scan.ts), the errors (errors.ts). This
 * file is the store's API: commits and snapshot merges queued in order (group commit's groups
 * written by group.ts), and the reads.
 *
 * When things happen: commit()/enqueue() encode a commit at once and queue it; writes run one at
 * a time, in call order. Coalescing commits (group commit, CommitOptions.coalesce) queued while a
 * write is in progress join the group behind it, written as one LevelDB batch with one fsync
 * when that write ends; a commit that rewrites ranges, a snapshot merge or a commit that does not
 * coalesce closes the group (later commits go after it). A failed coalescing write fails the
 * coalescing groups behind it without writing them. A lingering group (CommitOptions.linger)
 * waits for company before its write, until it is full, released or its time is up; the late
 * parts of its commits (CommitOptions.late) are encoded when its write starts.
 *
 * Beside the LevelDB files the directory holds `DSTREAMS-CHECKPOINT`, written when the store is
 * created, at each open and at each clean close with the commit count reached; opening a store
 * that has fewer commits than that, or none at all, reports corruption (a truncated or deleted
 * .log would otherwise silently roll it back, or make it read as new).
 */
import type { SnapshotChunk } from '../dstream/Checkpointable.js';
import { pairsOf } from './bulk.js';
import { decodeBinaryValue, decodeValue, encodeValue, type StateKey } from './codec.js';
import { encodeCommit, Ops, type CheckpointCommit, type CommitOptions, type Rewrites } from './commit.js';
import { lingerGate, writeGroup, type Group } from './group.js';
import { CheckpointError, corrupt, fail, mapReadError } from '../util/checkpointErrors.js';
import { sizeOnDisk, storedStreamIds } from './inventory.js';
import { blobKey, BLOB_PREFIX, checkStreamId, META_KEY, prefixEnd, prefixRange, SEQ_KEY, SNAPSHOT_CHUNK, START_KEY, STATE_NS } from './layout.js';
import { openDatabase, releaseDirectory, storeExists, writeCloseMarker, type CheckpointStoreOptions, type Db } from './open.js';
import { scan } from './scan.js';
import { keyedStateReader, readSlices, type KeyedStateReader, type SliceRange } from './keyedRead.js';
import { LogMerger } from './LogMerger.js';
import { encodeSnapshot, writeSnapshotBatch } from './snapshotWrite.js';
import { readStateLog, readStoredLog, stateChunks, type StateLog } from './stateRead.js';

export { CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, CLOSE_MARKER_FILE } from './layout.js';
export type { BlobChange, CheckpointCommit, CommitOptions, DeltaChange, SliceChange, StateChange } from './commit.js';

export type { KeyedStateReader, SliceRange } from './keyedRead.js';
export type { CheckpointStoreOptions } from './open.js';

export interface ReadStateOptions {
  /** Entries fetched from LevelDB per round trip (default 1000). */
  batchSize?: number;
}

interface Compactable {
  compactRange(start: Buffer, end: Buffer, options: { keyEncoding: 'buffer' }): Promise<void>;
}


export class CheckpointStore {
  /** The directory as given to open(). */
  readonly dir: string;
  /** True when open() created a new, empty store (nothing to restore). */
  readonly created: boolean;
  /** The directory's real path: LevelDB's, the close marker's, and this process's claim on it (open.ts). */
  private readonly realDir: string;
  private readonly db: Db;
  private readonly sync: boolean;
  private seq: number;
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  /** The group queued behind the write in progress, not started yet: coalescing commits join it. */
  private open: { group: Group; done: Promise<void> } | undefined;
  /** mergeLog's read of the stored log, which runs beside the queue: close() waits for it. */
  private reading: Promise<void> = Promise.resolve();
  /** The merge thread (mergeLog), once a merge ran. */
  private merger: LogMerger | undefined;
  /** The error of a coalescing group that failed to write: the later ones fail with it. */
  private coalescedFailure: { error: unknown } | undefined;
  /** The first commit write that failed: no snapshot is written after it (it could hold a batch the store does not). */
  private failedWrite: { error: unknown } | undefined;
  /**
   * An older format's store: this format's marker, written with the first write (a commit or a
   * snapshot, which may use this format's encodings) in the same atomic batch, then cleared.
   */
  private upgradeMarker: string | undefined;

  private constructor(dir: string, realDir: string, db: Db, sync: boolean, seq: number, created: boolean, upgradeMarker: string | undefined) {
    this.dir = dir;
    this.realDir = realDir;
    this.db = db;
    this.upgradeMarker = upgradeMarker;
    this.sync = sync;
    this.seq = seq;
    this.created = created;
  }

  /** The number of commits made to this store since it was created. */
  get commitCount(): number {
    return this.seq;
  }

  /** True when `dir` holds a LevelDB store (possibly damaged); false when it is missing or holds none. */
  static exists(dir: string): Promise<boolean> {
    return storeExists(dir);
  }

  /**
   * Opens the checkpoint store in `dir`, creating the directory and a new store when it is
   * missing or empty. Fails with a CheckpointError (see errors.ts for the codes) when the
   * directory is unwritable, not a directory, not a dstreams store, written by an
   * incompatible format version, in use by another open store, or damaged — a damaged
   * store is never reset.
   */
  static async open(dir: string, opts: CheckpointStoreOptions = {}): Promise<CheckpointStore> {
    const { db, realDir, seq, created, upgradeMarker } = await openDatabase(dir, opts);
    return new CheckpointStore(dir, realDir, db, opts.sync ?? true, seq, created, upgradeMarker);
  }

  /**
   * Writes a commit in one atomic LevelDB batch: either all of it is stored or none of it.
   *
   * The commit is encoded synchronously, before commit() returns: the caller may mutate the
   * objects and collections it passed (e.g. the live state map whose entries() it handed over)
   * as soon as commit() has returned, even while the write is still queued behind earlier
   * commits. An unserialisable value (a function, a symbol…) or an unsupported key rejects the
   * returned promise (UNSERIALIZABLE / INVALID_ARGUMENT) and nothing of the commit is written.
   * Commits are written one at a time, in call order. The cost follows the number of changed
   * keys, except for `replace` and `dropStreams`, which read the keys of the ranges they rewrite.
   */
  commit(c: CheckpointCommit, options: CommitOptions = {}): Promise<void> {
    this.assertOpen();
    try {
      return this.enqueue(c, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Like commit(), but a commit that cannot be encoded (UNSERIALIZABLE, INVALID_ARGUMENT) or a
   * closed store throws at once rather than rejecting: when enqueue() returns, the commit is
   * encoded and queued, and the promise it returns settles once the write did.
   */
  enqueue(c: CheckpointCommit, options: CommitOptions = {}): Promise<void> {
    this.assertOpen();
    const ops = new Ops();
    let rewrites: Rewrites;
    try {
      rewrites = encodeCommit(this.dir, c, ops);
    } catch (err) {
      throw err instanceof CheckpointError ? err : mapReadError(this.dir, err, 'commit');
    }
    ops.late = options.late;
    const sync = options.sync ?? this.sync;
    const joinable = options.coalesce === true && rewrites.size === 0;
    const open = this.open;
    if (joinable && open !== undefined) {
      const { group } = open;
      group.ops.push(ops);
      group.sync ||= sync;
      if (options.linger === undefined || group.ops.length >= (group.gate?.max ?? 0)) group.gate?.open();
      return open.done;
    }
    this.release(); // the group before this one is no longer joined: nothing to wait for
    const group: Group = { ops: [ops], rewrites, sync, dependent: options.coalesce === true };
    if (joinable && options.linger !== undefined) group.gate = lingerGate(options.linger);
    const done = this.chain(() => this.writeGroup(group));
    // Only commits queued after this one may join it: anything else keeps the call order.
    this.open = joinable ? { group, done } : undefined;
    return done;
  }

  /** Writes the group queued for company (CommitOptions.linger) as soon as its turn comes. */
  release(): void {
    this.open?.group.gate?.open();
  }

  private chain(run: () => Promise<void>): Promise<void> {
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }

  private async writeGroup(group: Group): Promise<void> {
    if (group.gate !== undefined) await group.gate.opened;
    if (this.open?.group === group) this.open = undefined; // started: later commits form the next group
    if (group.dependent && this.coalescedFailure) throw this.coalescedFailure.error;
    try {
      await writeGroup(this.db, this.dir, group, this.seq, this.upgradeMarker);
      this.upgradeMarker = undefined;
    } catch (error) {
      if (group.dependent) this.coalescedFailure = { error };
      this.failedWrite ??= { error };
      throw error;
    }
    this.seq += group.ops.length;
  }

  /** The metadata record of the last commit that had one, or undefined. */
  async readMeta<T = unknown>(): Promise<T | undefined> {
    return (await this.getValue(META_KEY)) as T | undefined;
  }

  /** Where the inputs started (CheckpointCommit `start`), or undefined. */
  async readStart<T = unknown>(): Promise<T | undefined> {
    return (await this.getValue(START_KEY)) as T | undefined;
  }

  /** One stored blob, or undefined. */
  async readBlob<T = unknown>(name: string): Promise<T | undefined> {
    return (await this.getValue(blobKey(this.dir, name), true)) as T | undefined;
  }

  /** The names of the stored blobs that start with `prefix`, in byte order of their UTF-8 form. */
  async listBlobs(prefix = ''): Promise<string[]> {
    this.assertOpen();
    const start = BLOB_PREFIX + prefix;
    const out: string[] = [];
    for await (const keys of scan(this.db.keys({ gte: start, lt: prefixEnd(BLOB_PREFIX) }), this.dir)) {
      for (const k of keys) {
        if (!k.startsWith(start)) return out;
        out.push(k.slice(BLOB_PREFIX.length));
      }
    }
    return out;
  }

  /**
   * The stored state of a stream, streamed in batches (key order is the store's, not insertion
   * order): its keyed entries and latest snapshot with the delta log after it applied.
   */
  async *readState<K = StateKey, V = unknown>(streamId: string, options: ReadStateOptions = {}): AsyncGenerator<[K, V]> {
    this.assertOpen();
    for await (const flat of stateChunks(this.db, this.dir, streamId, options.batchSize ?? 1000)) {
      yield* pairsOf(flat) as Array<[K, V]>;
    }
  }

  /** The whole stored state of a stream as an array of [key, value] entries. */
  async loadState<K = StateKey, V = unknown>(streamId: string): Promise<Array<[K, V]>> {
    const out: Array<[K, V]> = [];
    for (const flat of await this.loadStateFlat(streamId)) {
      for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as K, flat[i + 1] as V]);
    }
    return out;
  }

  /** The whole stored state of a stream as flat arrays [k0, v0, k1, v1, …] (see bulk.ts reusedPairs). */
  async loadStateFlat(streamId: string): Promise<unknown[][]> {
    const out: unknown[][] = [];
    this.assertOpen();
    for await (const flat of stateChunks(this.db, this.dir, streamId, 10_000)) out.push(flat);
    return out;
  }

  /**
   * The whole stored state of a stream unmerged: its snapshot and keyed entries (flat arrays,
   * each key once) and the delta log after them, for a restore that applies the deltas itself
   * (mergeStateLog merges them).
   */
  async loadStateLog(streamId: string): Promise<StateLog> {
    this.assertOpen();
    return readStateLog(this.db, this.dir, streamId, 10_000);
  }

  /**
   * Merges a stream's stored log — its latest snapshot, keyed entries and delta entries — into a
   * new snapshot as of its last delta entry, on the merge thread (logMerge.ts, LogMerger.ts). The
   * log is read from a LevelDB snapshot of what is written when the merge starts, beside the
   * queue (commits wait for no read: at 1 M keys it takes ~0.3 s, and batches stopped once four
   * commits were unwritten); the new snapshot replaces what it merged in one atomic write queued
   * like a commit, keeping the delta entries written meanwhile.
   * Resolves the snapshot's time, or undefined when it wrote nothing: no delta entry to merge,
   * or a newer snapshot (a full copy) written meanwhile.
   */
  async mergeLog(streamId: string): Promise<number | undefined> {
    this.assertOpen();
    checkStreamId(this.dir, streamId);
    const read = readStoredLog(this.db, this.dir, streamId);
    this.reading = read.then(
      () => {},
      () => {},
    );
    const log = await read;
    if (log === undefined) return undefined;
    this.assertOpen();
    const chunks = await (this.merger ??= new LogMerger(this.dir)).merge(log, SNAPSHOT_CHUNK);
    this.assertOpen();
    return (await this.writeSnapshotChunks(streamId, log.time, chunks)) ? log.time : undefined;
  }

  /**
   * Writes `entries` — a stream's whole state as of batch `time`, in chunks, read from memory — as
   * its snapshot, like mergeLog's, each chunk encoded in its own turn of the event loop so batches
   * run in between (`entries` must not change meanwhile: a committed state version). Resolves
   * false, writing nothing, when the stream has a snapshot as of `time` or later.
   */
  async writeSnapshot(streamId: string, time: number, entries: Iterable<SnapshotChunk>): Promise<boolean> {
    this.assertOpen();
    checkStreamId(this.dir, streamId);
    return this.writeSnapshotChunks(streamId, time, await encodeSnapshot(this.dir, streamId, entries, () => this.assertOpen()));
  }

  /** Writes encoded `chunks` as the stream's snapshot as of `time` (snapshotWrite.ts), queued like a commit. */
  private async writeSnapshotChunks(streamId: string, time: number, chunks: readonly string[]): Promise<boolean> {
    let written = false;
    this.release();
    this.open = undefined; // commits after the snapshot are written after it
    await this.chain(async () => {
      // A snapshot from memory holds its batch, whose commit (queued before it) may have failed.
      if (this.failedWrite) throw this.failedWrite.error;
      written = await writeSnapshotBatch(this.db, this.dir, streamId, time, chunks, this.seq, this.upgradeMarker);
      if (written) {
        this.seq++;
        this.upgradeMarker = undefined;
      }
    });
    return written;
  }

  /**
   * The reads of a stream's state kept on disk (`state/<id>/`, its idle index and slices): looked
   * up key by key as a batch runs, scanned asynchronously before it runs (keyedRead.ts).
   */
  keyedReader(streamId: string): KeyedStateReader {
    this.assertOpen();
    checkStreamId(this.dir, streamId);
    return keyedStateReader(this.db, this.dir, streamId, () => this.assertOpen());
  }

  /** The number of keyed entries of a stream (`state/<id>/`), counted by reading their keys. */
  async countKeyed(streamId: string): Promise<number> {
    this.assertOpen();
    checkStreamId(this.dir, streamId);
    let n = 0;
    for await (const keys of scan(this.db.keys(prefixRange(`${STATE_NS}/${streamId}/`)), this.dir, 10_000)) n += keys.length;
    return n;
  }

  /** The stored per-time records of a stream, in time order, optionally limited to [from, to]. */
  async readSlices<V = unknown>(streamId: string, range: SliceRange = {}): Promise<Array<[number, V]>> {
    this.assertOpen();
    checkStreamId(this.dir, streamId);
    return readSlices<V>(this.db, this.dir, streamId, range);
  }

  /** The ids of the streams that have stored state or slices, sorted. */
  streamIds(): Promise<string[]> {
    this.assertOpen();
    return storedStreamIds(this.db, this.dir);
  }

  /** Compacts the whole LevelDB store (drops overwritten and deleted entries from disk). */
  async compact(): Promise<void> {
    this.assertOpen();
    try {
      await (this.db as unknown as Compactable).compactRange(Buffer.from([0x00]), Buffer.from([0xff]), {
        keyEncoding: 'buffer',
      });
    } catch (err) {
      throw mapReadError(this.dir, err, 'compact');
    }
  }

  /** The sum of the sizes of the files in the checkpoint directory, in bytes. */
  sizeOnDisk(): Promise<number> {
    return sizeOnDisk(this.dir);
  }

  /**
   * Waits for pending commits, makes everything durable, records the commit count beside the
   * store (see CLOSE_MARKER_FILE) and closes it. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.release();
      await this.queue;
      await this.reading;
      await this.merger?.close();
      try {
        // A synced write also fsyncs every unsynced write before it in the LevelDB log.
        await this.db.put(SEQ_KEY, encodeValue(this.seq), { sync: true });
        await writeCloseMarker(this.realDir, this.seq);
      } finally {
        try {
          await this.db.close();
        } finally {
          releaseDirectory(this.realDir); // the directory may be opened again in this process
        }
      }
    })();
    return this.closing;
  }

  private async getValue(key: string, binary = false): Promise<unknown> {
    this.assertOpen();
    let raw: string | Buffer | undefined;
    try {
      raw = binary ? await this.db.get<string, Buffer>(key, { valueEncoding: 'buffer' }) : await this.db.get(key);
    } catch (err) {
      throw mapReadError(this.dir, err);
    }
    if (raw === undefined) return undefined;
    try {
      return typeof raw === 'string' ? decodeValue(raw) : decodeBinaryValue(raw);
    } catch (err) {
      throw corrupt(this.dir, `the record ${JSON.stringify(key)} cannot be decoded`, err);
    }
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw fail('CLOSED', this.dir, `checkpoint store ${this.dir} is closed`);
  }
}

