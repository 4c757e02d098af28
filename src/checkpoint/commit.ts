/**
 * Encoding a commit: what one completed batch writes (meta, keyed state, slices, blobs, dropped
 * streams) turned into the operations of one LevelDB write batch. Encoding is synchronous, so the
 * caller may change what it handed over as soon as the commit is queued; `replace` and
 * `dropStreams` also delete what their ranges hold and the commit does not write again.
 */
import type { Level } from 'level';
import { encodeBinaryValue, encodeValue, type StateKey } from './codec.js';
import { fail, innermostMessage, type CheckpointError } from './errors.js';
import { blobKey, checkStreamId, META_KEY, prefixRange, SLICES_NS, sliceTime, STATE_NS, stateKey } from './layout.js';
import { scan } from './scan.js';

/** The change of one stream's keyed state in a commit. */
export interface StateChange<K = StateKey, V = unknown> {
  /** Keys written (created or updated) in the batch. */
  puts?: Iterable<readonly [K, V]>;
  /** Keys removed in the batch (applied before `puts`; not allowed with `replace`). */
  deletes?: Iterable<K>;
  /** When true, the stream's stored state is replaced by exactly `puts` (a full rewrite). */
  replace?: boolean;
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
  /** Keyed-state changes, by stream id. */
  state?: PerStream<StateChange>;
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
}

type Db = Level<string, string>;
export type Batch = ReturnType<Db['batch']>;
/** Per rewritten prefix: the keys the commit puts there (kept), or undefined when none are. */
export type Rewrites = Map<string, Set<string> | undefined>;

/**
 * Encodes a commit into `batch` (synchronously). Returns the ranges it rewrites (replace,
 * dropStreams), each with the keys the commit itself writes there.
 */
export function encodeCommit(dir: string, c: CheckpointCommit, batch: Batch): Rewrites {
  /** Per rewritten prefix: the keys this commit puts there (kept), or undefined when none are. */
  const rewrites: Rewrites = new Map();

  if (c.dropStreams) {
    for (const id of c.dropStreams) {
      checkStreamId(dir, id);
      rewrites.set(`${STATE_NS}/${id}/`, undefined);
      rewrites.set(`${SLICES_NS}/${id}/`, undefined);
    }
  }
  const keepSet = (prefix: string, replace: boolean | undefined): Set<string> | undefined => {
    if (!replace && !rewrites.has(prefix)) return undefined;
    let set = rewrites.get(prefix);
    if (set === undefined) rewrites.set(prefix, (set = new Set()));
    return set;
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
        batch.put<string, Buffer>(key, value, { valueEncoding: 'buffer' });
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
  return rewrites;
}

/** Deletes what is stored in the rewritten ranges and not written again by the commit. */
export async function deleteRewrittenRanges(db: Db, dir: string, rewrites: Rewrites, batch: Batch): Promise<void> {
  for (const [prefix, keep] of rewrites) {
    for await (const keys of scan(db.keys(prefixRange(prefix)), dir, 1000, 'commit')) {
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
