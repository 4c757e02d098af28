/**
 * Encoding a commit: what one completed batch writes (meta, keyed state, slices, blobs, dropped
 * streams) turned into the operations of one LevelDB write batch (`Ops`, applied to the batch of
 * the commit's group when the group is written). Encoding is synchronous, so the
 * caller may change what it handed over as soon as the commit is queued; `replace` and
 * `dropStreams` also delete what their ranges hold and the commit does not write again.
 */
import type { Level } from 'level';
import { encodeBulk, encodeBulkFlat, encodeSnapshot } from './bulk.js';
import { encodeBinaryValue, encodeValue, type StateKey } from './codec.js';
import { fail, innermostMessage, type CheckpointError } from '../util/checkpointErrors.js';
import {
  blobKey,
  checkStreamId,
  DELTA_NS,
  IDLE_NS,
  META_KEY,
  padChunk,
  START_KEY,
  padTime,
  prefixEnd,
  SLICES_NS,
  sliceTime,
  SNAP_NS,
  SNAPSHOT_CHUNK,
  STATE_NS,
  stateKey,
} from './layout.js';
import { scan } from './scan.js';

/** The change of one stream's keyed state in a commit. */
export interface StateChange<K = StateKey, V = unknown> {
  /** Keys written (created or updated) in the batch. */
  puts?: Iterable<readonly [K, V]>;
  /** Keys removed in the batch (applied before `puts`; not allowed with `replace`). */
  deletes?: Iterable<K>;
  /** When true, the stream's stored state is replaced by exactly `puts` (a full rewrite). */
  replace?: boolean;
  /**
   * The keys' index by time of last write (`idle/<id>/<time>/<key>`): entries removed, then
   * entries written (a disk-backed mapWithState with a timeout finds its idle keys there).
   */
  idle?: { puts?: Iterable<readonly [number, K]>; deletes?: Iterable<readonly [number, K]> };
}

/** The change of one stream's per-time records (window slices) in a commit. */
export interface SliceChange<V = unknown> {
  /** Records written, by batch time (a non-negative integer number of milliseconds). */
  puts?: Iterable<readonly [number, V]>;
  /** Times removed (applied before `puts`; not allowed with `replace`). */
  deletes?: Iterable<number>;
  /** When true, the stream's stored slices are replaced by exactly `puts`. */
  replace?: boolean;
}

/**
 * One batch's changes of a stream's state as ONE entry of its delta log (`delta/<id>/<time>`), or,
 * with `replace`, its whole state as a snapshot (`snap/<id>/<time>/…`) that replaces the stream's
 * keyed entries, older snapshot and delta log.
 */
export interface DeltaChange<K = StateKey, V = unknown> {
  /** The batch's time (a non-negative integer): the entry's key, and the order deltas apply in. */
  time: number;
  /** Keys written in the batch. */
  puts?: ReadonlyArray<readonly [K, V]>;
  /** Keys written in the batch, flat: key, value, key, value, … (instead of `puts`; not with `replace`). */
  flat?: readonly unknown[];
  /** Keys removed in the batch (applied before `puts`; not allowed with `replace`). */
  deletes?: readonly K[];
  /** When true, `puts` is the whole state (a snapshot). */
  replace?: boolean;
}

/** Blobs written or removed in a commit. */
export interface BlobChange<V = unknown> {
  puts?: Iterable<readonly [string, V]>;
  deletes?: Iterable<string>;
}

export type PerStream<T> = Readonly<Record<string, T>> | ReadonlyMap<string, T>;

/** Everything one completed batch writes; `commit` applies it atomically (all or nothing). */
export interface CheckpointCommit {
  /** The metadata record (last completed batch time, pending batches, input positions…); replaces the previous one. Left as it was when undefined. */
  meta?: unknown;
  /** Where the inputs started (`meta/start`); left as it was when undefined. */
  start?: unknown;
  /** Keyed-state changes, by stream id: one LevelDB entry per key (state too large for memory). */
  state?: PerStream<StateChange>;
  /** Delta-log entries (or snapshots), by stream id: one bulk value per stream (state kept in memory). */
  deltas?: PerStream<DeltaChange>;
  /** Per-time record changes, by stream id. */
  slices?: PerStream<SliceChange>;
  /** Blob changes. */
  blobs?: BlobChange;
  /** Streams whose stored state and slices are removed entirely (writes to them in the same commit are kept). */
  dropStreams?: Iterable<string>;
}

export interface CommitOptions {
  /** Overrides the store's `sync` option for this commit. */
  sync?: boolean;
  /**
   * Group commit: the commit may share ONE LevelDB write (and fsync) with the other coalescing
   * commits queued next to it while an earlier write is in progress. Each commit stays atomic
   * and they become durable in call order (a group is one atomic write). A coalescing commit
   * depends on the ones before it (a delta log): once one of them failed to write, the later
   * ones reject with its error and write nothing. A commit that rewrites ranges (`replace`,
   * `dropStreams`) is always written in a group of its own.
   */
  coalesce?: boolean;
  /**
   * A part of the commit encoded only when its group's write starts, after the rest of it:
   * `last` is true for the group's last commit with such a part. The parts of the others may
   * leave what they would write to it (a delta log holding several batches writes them all at
   * once, its later meta replacing theirs). It must not rewrite ranges; a part that throws
   * fails the group's write.
   */
  late?: (last: boolean) => CheckpointCommit | undefined;
  /**
   * Group commit: a group this coalescing commit starts waits up to `ms` for company before it
   * is written, or until it holds `max` commits, a commit without `linger` joins it, or
   * CheckpointStore.release() is called.
   */
  linger?: { ms: number; max: number };
}

type Db = Level<string, string>;
export type Batch = ReturnType<Db['batch']>;

/** Where encodeCommit puts a commit's operations. */
export interface CommitSink {
  put(key: string, value: string | Buffer): void;
  del(key: string): void;
}

/**
 * A commit's operations, encoded, until the group it belongs to is written: encoding into a
 * list first leaves a group's other commits untouched when one cannot be encoded.
 */
export class Ops implements CommitSink {
  private readonly keys: string[] = [];
  /** undefined: a delete. */
  private readonly values: Array<string | Buffer | undefined> = [];
  /** CommitOptions.late, until its group is written. */
  late: ((last: boolean) => CheckpointCommit | undefined) | undefined;

  put(key: string, value: string | Buffer): void {
    this.keys.push(key);
    this.values.push(value);
  }

  del(key: string): void {
    this.keys.push(key);
    this.values.push(undefined);
  }

  /** Adds the operations to a LevelDB chained batch, in order. */
  applyTo(batch: Batch): void {
    const { keys, values } = this;
    for (let i = 0; i < keys.length; i++) {
      const v = values[i];
      if (v === undefined) batch.del(keys[i]!);
      else if (typeof v === 'string') batch.put(keys[i]!, v);
      else batch.put<string, Buffer>(keys[i]!, v, { valueEncoding: 'buffer' });
    }
  }
}
/**
 * Per rewritten prefix: the keys the commit puts there (kept), or undefined when none are; `lt`
 * limits the range (the delta log up to a snapshot's time), absent for the whole prefix.
 */
export type Rewrites = Map<string, { keep: Set<string> | undefined; lt?: string }>;

/**
 * Encodes a commit into `batch` (synchronously). Returns the ranges it rewrites (replace,
 * dropStreams), each with the keys the commit itself writes there.
 */
export function encodeCommit(dir: string, c: CheckpointCommit, batch: CommitSink): Rewrites {
  /** Per rewritten prefix: the keys this commit puts there (kept), or undefined when none are. */
  const rewrites: Rewrites = new Map();

  if (c.dropStreams) {
    for (const id of c.dropStreams) {
      checkStreamId(dir, id);
      for (const ns of [STATE_NS, IDLE_NS, SLICES_NS, SNAP_NS, DELTA_NS]) rewrites.set(`${ns}/${id}/`, { keep: undefined });
    }
  }
  const keepSet = (prefix: string, replace: boolean | undefined): Set<string> | undefined => {
    if (!replace && !rewrites.has(prefix)) return undefined;
    let r = rewrites.get(prefix);
    if (r === undefined) rewrites.set(prefix, (r = { keep: undefined }));
    return (r.keep ??= new Set());
  };

  for (const [streamId, change] of entriesOf(c.state)) {
    checkStreamId(dir, streamId);
    if (change.replace && change.deletes) {
      throw fail('INVALID_ARGUMENT', dir, `state change of stream ${streamId} has both replace and deletes`);
    }
    const prefix = `${STATE_NS}/${streamId}/`;
    if (change.deletes) for (const k of change.deletes) batch.del(prefix + stateKey(dir, streamId, k));
    const keep = keepSet(prefix, change.replace);
    if (change.puts) {
      for (const entry of change.puts) {
        const key = prefix + stateKey(dir, streamId, entry[0]);
        let value: string;
        try {
          value = encodeValue(entry[1]);
        } catch (err) {
          throw unserializable(dir, `the state of key ${describeKey(entry[0])} of stream ${streamId}`, err);
        }
        batch.put(key, value);
        keep?.add(key);
      }
    }
    if (change.idle) {
      const idle = `${IDLE_NS}/${streamId}/`;
      for (const [t, k] of change.idle.deletes ?? []) batch.del(`${idle}${sliceTime(dir, streamId, t)}/${stateKey(dir, streamId, k)}`);
      for (const [t, k] of change.idle.puts ?? []) batch.put(`${idle}${sliceTime(dir, streamId, t)}/${stateKey(dir, streamId, k)}`, '');
    }
  }
  for (const [streamId, change] of entriesOf(c.deltas)) {
    checkStreamId(dir, streamId);
    const time = sliceTime(dir, streamId, change.time);
    const puts = change.puts ?? [];
    const deletes = change.deletes ?? [];
    const encoded = (encode: () => string): string => {
      try {
        return encode();
      } catch (err) {
        throw unserializable(dir, `the state changes of batch ${change.time} of stream ${streamId}`, err);
      }
    };
    if (!change.replace) {
      const flat = change.flat;
      if (flat !== undefined && change.puts !== undefined) throw fail('INVALID_ARGUMENT', dir, `delta of stream ${streamId} has both puts and flat puts`);
      const value = encoded(() => (flat === undefined ? encodeBulk(puts, deletes) : encodeBulkFlat(flat, deletes)));
      batch.put(`${DELTA_NS}/${streamId}/${time}`, value);
      continue;
    }
    if (change.flat !== undefined) throw fail('INVALID_ARGUMENT', dir, `delta of stream ${streamId} has both replace and flat puts`);
    if (deletes.length > 0) throw fail('INVALID_ARGUMENT', dir, `delta of stream ${streamId} has both replace and deletes`);
    // A full copy: the snapshot at this time, in place of everything the stream had.
    const keep = keepSet(`${SNAP_NS}/${streamId}/`, true)!;
    for (const chunk of snapshotChunks(streamId, change.time, puts, (p) => encoded(() => encodeSnapshot(p)))) {
      batch.put(chunk[0], chunk[1]);
      keep.add(chunk[0]);
    }
    keepSet(`${STATE_NS}/${streamId}/`, true);
    keepSet(`${DELTA_NS}/${streamId}/`, true);
  }
  for (const [streamId, change] of entriesOf(c.slices)) {
    checkStreamId(dir, streamId);
    if (change.replace && change.deletes) {
      throw fail('INVALID_ARGUMENT', dir, `slice change of stream ${streamId} has both replace and deletes`);
    }
    const prefix = `${SLICES_NS}/${streamId}/`;
    if (change.deletes) for (const t of change.deletes) batch.del(prefix + sliceTime(dir, streamId, t));
    const keep = keepSet(prefix, change.replace);
    if (change.puts) {
      for (const [t, v] of change.puts) {
        const key = prefix + sliceTime(dir, streamId, t);
        let value: string;
        try {
          value = encodeValue(v);
        } catch (err) {
          throw unserializable(dir, `the slice at time ${t} of stream ${streamId}`, err);
        }
        batch.put(key, value);
        keep?.add(key);
      }
    }
  }
  if (c.blobs) {
    if (c.blobs.deletes) for (const name of c.blobs.deletes) batch.del(blobKey(dir, name));
    if (c.blobs.puts) {
      for (const [name, v] of c.blobs.puts) {
        const key = blobKey(dir, name);
        let value: Buffer;
        try {
          value = encodeBinaryValue(v);
        } catch (err) {
          throw unserializable(dir, `blob ${JSON.stringify(name)}`, err);
        }
        batch.put(key, value);
      }
    }
  }
  if (c.meta !== undefined) {
    let value: string;
    try {
      value = encodeValue(c.meta);
    } catch (err) {
      throw unserializable(dir, 'the metadata record', err);
    }
    batch.put(META_KEY, value);
  }
  if (c.start !== undefined) {
    try {
      batch.put(START_KEY, encodeValue(c.start));
    } catch (err) {
      throw unserializable(dir, 'the starting positions', err);
    }
  }
  return rewrites;
}

/** The keys and bulk values of a snapshot of `entries` as of `time` (SNAPSHOT_CHUNK entries per value). */
export function* snapshotChunks(
  streamId: string,
  time: number,
  entries: ReadonlyArray<readonly [unknown, unknown]>,
  encode: (puts: ReadonlyArray<readonly [unknown, unknown]>) => string = encodeSnapshot,
): Generator<[string, string]> {
  const prefix = `${SNAP_NS}/${streamId}/${padTime(time)}/`;
  // An empty state still has its (empty) snapshot: it replaces what the stream had.
  for (let i = 0, n = 0; i < entries.length || n === 0; i += SNAPSHOT_CHUNK, n++) {
    yield [prefix + padChunk(n), encode(entries.slice(i, i + SNAPSHOT_CHUNK))];
  }
}

/** Deletes what is stored in the rewritten ranges and not written again by the commit. */
export async function deleteRewrittenRanges(db: Db, dir: string, rewrites: Rewrites, batch: Batch): Promise<void> {
  for (const [prefix, { keep, lt }] of rewrites) {
    for await (const keys of scan(db.keys({ gte: prefix, lt: lt ?? prefixEnd(prefix) }), dir, 1000, 'commit')) {
      for (const k of keys) if (keep === undefined || !keep.has(k)) batch.del(k);
    }
  }
}

function* entriesOf<T>(m: PerStream<T> | undefined): Iterable<[string, T]> {
  if (m === undefined) return;
  if (m instanceof Map) {
    yield* (m as ReadonlyMap<string, T>).entries();
    return;
  }
  for (const id of Object.keys(m)) yield [id, (m as Readonly<Record<string, T>>)[id]!];
}

function unserializable(dir: string, what: string, err: unknown): CheckpointError {
  return fail('UNSERIALIZABLE', dir, `cannot checkpoint ${what} to ${dir}: ${innermostMessage(err)}; nothing was written`, err);
}

function describeKey(k: unknown): string {
  try {
    return JSON.stringify(k) ?? String(k);
  } catch {
    return String(k);
  }
}
