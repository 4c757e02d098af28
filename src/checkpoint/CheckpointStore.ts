/**
 * The checkpoint store: a LevelDB database (npm `level`, i.e. classic-level) holding, for a
 * streaming context, the metadata of the last completed batch and the state of every
 * stateful stream, written after each batch in ONE atomic LevelDB write batch.
 *
 * Layout (LevelDB keys are UTF-8 strings; values are encoded by ./codec.ts):
 *
 *   meta/format                      {"format":"dstreams-checkpoint","version":1} (JSON text)
 *   meta/seq                         number of commits so far
 *   meta/batch                       the engine's metadata record; each commit may replace it
 *   meta/damaged                     present only once corruption was detected; the store then never opens again
 *   state/<streamId>/<encodedKey>    keyed state (encodedKey from encodeKey(): tag + content)
 *   slices/<streamId>/<time>         per-time records; time zero-padded to 16 digits
 *   blob/<name>                      generic blobs (e.g. write-ahead-log blocks)
 *
 * Beside the LevelDB files the directory holds `DSTREAMS-CHECKPOINT`, written at each clean
 * close with the commit count reached; opening a store that has fewer commits than that
 * reports corruption (a truncated or deleted .log would otherwise silently roll it back).
 *
 * Stream ids are strings the engine assigns (e.g. "s3"); they must be non-empty and must not
 * contain "/".
 */

import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Level } from 'level';
import {
  decodeBinaryValue,
  decodeKey,
  decodeValue,
  encodeBinaryValue,
  encodeKey,
  encodeValue,
  type StateKey,
} from './codec.js';
import { CheckpointError, innermostMessage, levelCodes, type CheckpointErrorCode } from './errors.js';

export const CHECKPOINT_FORMAT = 'dstreams-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;
/** The sidecar file written at each clean close. */
export const CLOSE_MARKER_FILE = 'DSTREAMS-CHECKPOINT';

const FORMAT_KEY = 'meta/format';
const SEQ_KEY = 'meta/seq';
const META_KEY = 'meta/batch';
const DAMAGED_KEY = 'meta/damaged';
const STATE_NS = 'state';
const SLICES_NS = 'slices';
const BLOB_PREFIX = 'blob/';
const TIME_DIGITS = 16;
/** LevelDB table files end with this magic number (little endian), see table/format.h. */
const TABLE_MAGIC = 0xdb4775248b80fb57n;
const TABLE_FOOTER_LENGTH = 48;

export interface CheckpointStoreOptions {
  /**
   * fsync the LevelDB log on every commit (default true): a commit that resolved survives a
   * power loss. With false a commit survives a crash of the process but not of the machine.
   */
  sync?: boolean;
  /** Snappy compression of table blocks (default true). */
  compression?: boolean;
  /** LevelDB block cache in bytes (default 8 MiB). */
  cacheSize?: number;
  /** LevelDB memtable / log size in bytes before it is flushed to a table (default 4 MiB). */
  writeBufferSize?: number;
}

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

type PerStream<T> = Readonly<Record<string, T>> | ReadonlyMap<string, T>;

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

export interface ReadStateOptions {
  /** Entries fetched from LevelDB per round trip (default 1000). */
  batchSize?: number;
}

export interface SliceRange {
  /** Smallest time included (default: all). */
  from?: number;
  /** Largest time included (default: all). */
  to?: number;
}

type Db = Level<string, string>;
interface Compactable {
  compactRange(start: Buffer, end: Buffer, options: { keyEncoding: 'buffer' }): Promise<void>;
}
type Batch = ReturnType<Db['batch']>;
type Rewrites = Map<string, Set<string> | undefined>;

const fail = (code: CheckpointErrorCode, dir: string, message: string, cause?: unknown): CheckpointError =>
  new CheckpointError(code, dir, message, cause === undefined ? undefined : { cause });

function isLevelDbFile(name: string): boolean {
  return (
    name === 'CURRENT' ||
    name.startsWith('MANIFEST-') ||
    /^\d+\.(ldb|sst|log)$/.test(name)
  );
}

/** Files LevelDB may leave in a directory before a database was ever created in it. */
/** Files a store may find before its LevelDB files exist; `receivedData` is the receivers' write-ahead log. */
function isHarmlessLeftover(name: string): boolean {
  return name === 'LOCK' || name === 'LOG' || name === 'LOG.old' || name === CLOSE_MARKER_FILE || name === 'receivedData';
}

function padTime(t: number): string {
  return String(t).padStart(TIME_DIGITS, '0');
}

export class CheckpointStore {
  /** The directory as given to open(). */
  readonly dir: string;
  /** True when open() created a new, empty store (nothing to restore). */
  readonly created: boolean;
  private readonly db: Db;
  private readonly sync: boolean;
  private seq: number;
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  private constructor(dir: string, db: Db, sync: boolean, seq: number, created: boolean) {
    this.dir = dir;
    this.db = db;
    this.sync = sync;
    this.seq = seq;
    this.created = created;
  }

  /** The number of commits made to this store since it was created. */
  get commitCount(): number {
    return this.seq;
  }

  /** True when `dir` holds a LevelDB store (possibly damaged); false when it is missing or holds none. */
  static async exists(dir: string): Promise<boolean> {
    try {
      const names = await fsp.readdir(dir);
      return names.some(isLevelDbFile);
    } catch {
      return false;
    }
  }

  /**
   * Opens the checkpoint store in `dir`, creating the directory and a new store when it is
   * missing or empty. Fails with a CheckpointError (see errors.ts for the codes) when the
   * directory is unwritable, not a directory, not a dstreams store, written by an
   * incompatible format version, in use by another open store, or damaged — a damaged
   * store is never reset.
   */
  static async open(dir: string, opts: CheckpointStoreOptions = {}): Promise<CheckpointStore> {
    if (typeof dir !== 'string' || dir === '') {
      throw fail('INVALID_ARGUMENT', String(dir), 'checkpoint directory must be a non-empty string');
    }
    const names = await prepareDirectory(dir);
    const hasDb = names.some(isLevelDbFile);
    if (!hasDb && names.includes(CLOSE_MARKER_FILE)) {
      throw corrupt(dir, `its LevelDB files are missing (only ${CLOSE_MARKER_FILE} is left)`);
    }
    if (!hasDb) {
      const foreign = names.filter((n) => !isHarmlessLeftover(n) && !n.startsWith('.dstreams-write-probe-'));
      if (foreign.length > 0) {
        throw fail(
          'NOT_A_STORE',
          dir,
          `checkpoint directory ${dir} is not empty and is not a dstreams checkpoint store ` +
            `(found ${listNames(foreign)}); use an empty or new directory`,
        );
      }
    } else if (!names.includes('CURRENT')) {
      throw corrupt(dir, 'its LevelDB CURRENT file is missing');
    }

    const db: Db = new Level<string, string>(dir, {
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
      createIfMissing: !hasDb,
      compression: opts.compression ?? true,
      ...(opts.cacheSize !== undefined ? { cacheSize: opts.cacheSize } : {}),
      ...(opts.writeBufferSize !== undefined ? { writeBufferSize: opts.writeBufferSize } : {}),
    });
    try {
      await db.open();
    } catch (err) {
      throw mapOpenError(dir, err);
    }

    try {
      return await CheckpointStore.validate(dir, db, opts);
    } catch (err) {
      await db.close().catch(() => {});
      if (err instanceof CheckpointError) throw err;
      throw mapReadError(dir, err);
    }
  }

  private static async validate(
    dir: string,
    db: Db,
    opts: CheckpointStoreOptions,
  ): Promise<CheckpointStore> {
    // LevelDB opens table files lazily: check them now rather than fail on some later read.
    await checkTableFiles(dir, db);

    const format = await db.get(FORMAT_KEY);

    // LevelDB (without paranoid checks, which classic-level does not expose) drops log records
    // whose checksum fails while recovering and only says so in its LOG file. The dropped log is
    // deleted by then, so record the damage in the store for later opens to see too.
    const dropped = await logRecoveryDrops(dir);
    if (dropped !== undefined) {
      const reason = `LevelDB dropped damaged records of its write-ahead log while recovering (${dropped})`;
      if (format !== undefined) await db.put(DAMAGED_KEY, encodeValue(reason), { sync: true }).catch(() => {});
      throw corrupt(dir, reason);
    }

    const damaged = await db.get(DAMAGED_KEY);
    if (damaged !== undefined) {
      throw corrupt(dir, `corruption was detected earlier: ${String(decodeValue(damaged))}`);
    }

    const closedSeq = await readCloseMarker(dir);
    let created = false;
    if (format === undefined) {
      const anyKey = await db.keys({ limit: 1 }).all();
      if (anyKey.length > 0) {
        throw fail(
          'NOT_A_STORE',
          dir,
          `checkpoint directory ${dir} holds a LevelDB database that is not a dstreams checkpoint store ` +
            `(it has no ${FORMAT_KEY} record); use an empty or new directory`,
        );
      }
      if (closedSeq !== undefined) {
        throw corrupt(
          dir,
          `its LevelDB database is empty but held ${closedSeq} commits when it was last closed ` +
            `(a LevelDB .log or table file was truncated, deleted or replaced)`,
        );
      }
      // A new store (or one whose creation stopped before its first write: nothing to lose).
      const marker = JSON.stringify({ format: CHECKPOINT_FORMAT, version: CHECKPOINT_FORMAT_VERSION });
      await db.batch(
        [
          { type: 'put', key: FORMAT_KEY, value: marker },
          { type: 'put', key: SEQ_KEY, value: encodeValue(0) },
        ],
        { sync: true },
      );
      created = true;
    } else {
      let parsed: { format?: unknown; version?: unknown };
      try {
        parsed = JSON.parse(format) as { format?: unknown; version?: unknown };
      } catch (err) {
        throw corrupt(dir, `its ${FORMAT_KEY} record is unreadable`, err);
      }
      if (parsed.format !== CHECKPOINT_FORMAT) {
        throw fail(
          'NOT_A_STORE',
          dir,
          `checkpoint directory ${dir} holds a LevelDB database that is not a dstreams checkpoint store ` +
            `(format ${JSON.stringify(parsed.format)}); use an empty or new directory`,
        );
      }
      if (parsed.version !== CHECKPOINT_FORMAT_VERSION) {
        throw fail(
          'INCOMPATIBLE_VERSION',
          dir,
          `checkpoint directory ${dir} holds a checkpoint store of an incompatible format version: ` +
            `found version ${String(parsed.version)}, expected version ${CHECKPOINT_FORMAT_VERSION}; ` +
            `use a matching dstreams version or delete the directory to start fresh`,
        );
      }
    }

    const seqBuf = await db.get(SEQ_KEY);
    const seq = seqBuf === undefined ? 0 : Number(decodeValue(seqBuf));
    if (!Number.isSafeInteger(seq) || seq < 0) throw corrupt(dir, `its ${SEQ_KEY} record is invalid`);

    if (closedSeq !== undefined && seq < closedSeq) {
      throw corrupt(
        dir,
        `it holds ${seq} commits but had ${closedSeq} when it was last closed ` +
          `(a LevelDB .log or table file was truncated, deleted or replaced)`,
      );
    }
    return new CheckpointStore(dir, db, opts.sync ?? true, seq, created);
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
    // A chained batch: each operation goes straight to LevelDB's in-memory WriteBatch (about
    // half the cost of an array batch), and nothing reaches the database before write().
    const batch = this.db.batch();
    let rewrites: Rewrites;
    try {
      rewrites = this.encodeInto(c, batch);
    } catch (err) {
      void batch.close().catch(() => {});
      throw err instanceof CheckpointError ? err : mapReadError(this.dir, err, 'commit');
    }
    const run = async (): Promise<void> => {
      try {
        await this.deleteRewrittenRanges(rewrites, batch);
        batch.put(SEQ_KEY, encodeValue(this.seq + 1));
        await batch.write({ sync: options.sync ?? this.sync } as object);
      } catch (err) {
        await batch.close().catch(() => {});
        throw mapReadError(this.dir, err, 'commit');
      }
      this.seq++;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }

  /**
   * Encodes a commit into `batch` (synchronously). Returns the ranges it rewrites (replace,
   * dropStreams), each with the keys the commit itself writes there.
   */
  private encodeInto(c: CheckpointCommit, batch: Batch): Rewrites {
    const dir = this.dir;
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
  private async deleteRewrittenRanges(rewrites: Rewrites, batch: Batch): Promise<void> {
    for (const [prefix, keep] of rewrites) {
      const it = this.db.keys({ gte: prefix, lt: prefixEnd(prefix) });
      try {
        for (;;) {
          const keys = await it.nextv(1000);
          if (keys.length === 0) break;
          for (const k of keys) if (keep === undefined || !keep.has(k)) batch.del(k);
        }
      } finally {
        await it.close();
      }
    }
  }

  /** The metadata record of the last commit that had one, or undefined. */
  async readMeta<T = unknown>(): Promise<T | undefined> {
    return (await this.getValue(META_KEY)) as T | undefined;
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
    const it = this.db.keys({ gte: start, lt: prefixEnd(BLOB_PREFIX) });
    try {
      for (;;) {
        const keys = await it.nextv(1000);
        if (keys.length === 0) break;
        for (const k of keys) {
          if (!k.startsWith(start)) return out;
          out.push(k.slice(BLOB_PREFIX.length));
        }
      }
    } catch (err) {
      throw mapReadError(this.dir, err);
    } finally {
      await it.close();
    }
    return out;
  }

  /**
   * The stored state of a stream, streamed in batches (key order is the store's, not
   * insertion order). Reads a consistent snapshot taken when iteration starts.
   */
  async *readState<K = StateKey, V = unknown>(streamId: string, options: ReadStateOptions = {}): AsyncGenerator<[K, V]> {
    this.assertOpen();
    checkStreamId(this.dir, streamId);
    const prefix = `${STATE_NS}/${streamId}/`;
    const size = options.batchSize ?? 1000;
    const it = this.db.iterator({ gte: prefix, lt: prefixEnd(prefix) });
    try {
      for (;;) {
        let entries: Array<[string, string]>;
        try {
          entries = await it.nextv(size);
        } catch (err) {
          throw mapReadError(this.dir, err);
        }
        if (entries.length === 0) return;
        const out = this.decodeStateEntries<K, V>(entries, prefix.length);
        for (const e of out) yield e;
      }
    } finally {
      await it.close();
    }
  }

  /** The whole stored state of a stream as an array of [key, value] entries. */
  async loadState<K = StateKey, V = unknown>(streamId: string): Promise<Array<[K, V]>> {
    this.assertOpen();
    checkStreamId(this.dir, streamId);
    const prefix = `${STATE_NS}/${streamId}/`;
    const it = this.db.iterator({ gte: prefix, lt: prefixEnd(prefix) });
    const out: Array<[K, V]> = [];
    try {
      for (;;) {
        let entries: Array<[string, string]>;
        try {
          entries = await it.nextv(10_000);
        } catch (err) {
          throw mapReadError(this.dir, err);
        }
        if (entries.length === 0) return out;
        const decoded = this.decodeStateEntries<K, V>(entries, prefix.length);
        for (let i = 0; i < decoded.length; i++) out.push(decoded[i]!);
      }
    } finally {
      await it.close();
    }
  }

  /** Decodes LevelDB's [key, value] entries in place (no new pair per entry) and returns them. */
  private decodeStateEntries<K, V>(entries: Array<[string, string]>, skip: number): Array<[K, V]> {
    const out = entries as unknown as Array<[unknown, unknown]>;
    let i = 0;
    try {
      for (; i < entries.length; i++) {
        const e = entries[i]!;
        out[i]![0] = decodeKey(e[0], skip);
        out[i]![1] = decodeValue(e[1]);
      }
    } catch (err) {
      const raw = entries[i]![0];
      throw corrupt(this.dir, `the record ${JSON.stringify(typeof raw === 'string' ? raw.slice(0, 80) : raw)} cannot be decoded`, err);
    }
    return out as Array<[K, V]>;
  }

  /** The stored per-time records of a stream, in time order, optionally limited to [from, to]. */
  async readSlices<V = unknown>(streamId: string, range: SliceRange = {}): Promise<Array<[number, V]>> {
    this.assertOpen();
    checkStreamId(this.dir, streamId);
    const prefix = `${SLICES_NS}/${streamId}/`;
    const gte = range.from !== undefined && range.from > 0 ? prefix + padTime(Math.ceil(range.from)) : prefix;
    const lte = range.to !== undefined ? (range.to < 0 ? undefined : prefix + padTime(Math.floor(range.to))) : undefined;
    if (range.to !== undefined && lte === undefined) return [];
    const it = this.db.iterator(lte !== undefined ? { gte, lte } : { gte, lt: prefixEnd(prefix) });
    const out: Array<[number, V]> = [];
    try {
      for (;;) {
        let entries: Array<[string, string]>;
        try {
          entries = await it.nextv(1000);
        } catch (err) {
          throw mapReadError(this.dir, err);
        }
        if (entries.length === 0) return out;
        for (const [k, v] of entries) {
          try {
            out.push([Number(k.slice(prefix.length)), decodeValue(v) as V]);
          } catch (err) {
            throw corrupt(this.dir, `the record ${JSON.stringify(k)} cannot be decoded`, err);
          }
        }
      }
    } finally {
      await it.close();
    }
  }

  /** The ids of the streams that have stored state or slices, sorted. */
  async streamIds(): Promise<string[]> {
    this.assertOpen();
    const ids = new Set<string>();
    for (const ns of [STATE_NS, SLICES_NS]) {
      const it = this.db.keys({ gt: ns + '/', lt: ns + '0' });
      try {
        for (;;) {
          const k = await it.next();
          if (k === undefined) break;
          const rest = k.slice(ns.length + 1);
          const slash = rest.indexOf('/');
          if (slash < 0) continue;
          const id = rest.slice(0, slash);
          ids.add(id);
          it.seek(`${ns}/${id}0`);
        }
      } catch (err) {
        throw mapReadError(this.dir, err);
      } finally {
        await it.close();
      }
    }
    return [...ids].sort();
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
  async sizeOnDisk(): Promise<number> {
    let total = 0;
    for (const name of await fsp.readdir(this.dir)) {
      try {
        const st = await fsp.stat(path.join(this.dir, name));
        if (st.isFile()) total += st.size;
      } catch {
        // a file LevelDB deleted meanwhile
      }
    }
    return total;
  }

  /**
   * Waits for pending commits, makes everything durable, records the commit count beside the
   * store (see CLOSE_MARKER_FILE) and closes it. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.queue;
      try {
        // A synced write also fsyncs every unsynced write before it in the LevelDB log.
        await this.db.put(SEQ_KEY, encodeValue(this.seq), { sync: true });
        await writeCloseMarker(this.dir, this.seq);
      } finally {
        await this.db.close();
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

function stateKey(dir: string, streamId: string, k: unknown): string {
  try {
    return encodeKey(k as StateKey);
  } catch (err) {
    throw fail('INVALID_ARGUMENT', dir, `cannot checkpoint a key of stream ${streamId} to ${dir}: ${innermostMessage(err)}`, err);
  }
}

function sliceTime(dir: string, streamId: string, t: unknown): string {
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
    throw fail('INVALID_ARGUMENT', dir, `slice time of stream ${streamId} must be a non-negative integer, got ${String(t)}`);
  }
  return padTime(t);
}

/** In a `u` regex a surrogate pair is one code point, so this matches only unpaired surrogates (which UTF-8 cannot carry). */
const LONE_SURROGATE = /\p{Surrogate}/u;

function checkStreamId(dir: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || id === '' || id.includes('/') || LONE_SURROGATE.test(id)) {
    throw fail('INVALID_ARGUMENT', dir, `stream id must be a non-empty string without "/", got ${JSON.stringify(id)}`);
  }
}

function blobKey(dir: string, name: unknown): string {
  if (typeof name !== 'string' || name === '' || LONE_SURROGATE.test(name)) {
    throw fail('INVALID_ARGUMENT', dir, `blob name must be a non-empty, well-formed string, got ${JSON.stringify(name)}`);
  }
  return BLOB_PREFIX + name;
}

/** The smallest string greater than every string starting with `prefix`, for prefixes ending in "/". */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

function describeKey(k: unknown): string {
  try {
    return JSON.stringify(k) ?? String(k);
  } catch {
    return String(k);
  }
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 5).map((n) => JSON.stringify(n));
  return shown.join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
}

function corrupt(dir: string, detail: string, cause?: unknown): CheckpointError {
  return fail(
    'CORRUPT',
    dir,
    `checkpoint directory ${dir} holds a damaged checkpoint store that cannot be read: ${detail}. ` +
      `It was left as it is: restore it from a backup, or delete it to start fresh`,
    cause,
  );
}

/** Creates `dir` when missing and checks that it is a writable directory; returns its entries. */
async function prepareDirectory(dir: string): Promise<string[]> {
  const unwritable = (err: unknown): CheckpointError => {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOTDIR' || code === 'EEXIST'
        ? 'a component of the path is a file, not a directory'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EROFS'
            ? 'read-only file system'
            : innermostMessage(err);
    return fail('DIR_UNWRITABLE', dir, `checkpoint directory ${dir} is not writable: ${why} (${code ?? 'error'})`, err);
  };
  let st;
  try {
    st = await fsp.stat(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw unwritable(err);
    try {
      await fsp.mkdir(dir, { recursive: true });
    } catch (mkErr) {
      throw unwritable(mkErr);
    }
    st = await fsp.stat(dir);
  }
  if (!st.isDirectory()) {
    throw fail('NOT_A_DIRECTORY', dir, `checkpoint directory ${dir} exists but is not a directory`);
  }
  // access() catches permissions and read-only mounts; the probe also catches what access()
  // lets through for root (e.g. an immutable directory).
  try {
    await fsp.access(dir, fsConstants.W_OK | fsConstants.X_OK);
    const probe = path.join(dir, `.dstreams-write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
    const fh = await fsp.open(probe, 'wx');
    await fh.close();
    await fsp.unlink(probe);
  } catch (err) {
    throw unwritable(err);
  }
  try {
    return await fsp.readdir(dir);
  } catch (err) {
    throw unwritable(err);
  }
}

function mapOpenError(dir: string, err: unknown): CheckpointError {
  const codes = levelCodes(err);
  const msg = innermostMessage(err);
  if (codes.includes('LEVEL_LOCKED')) {
    return fail(
      'LOCKED',
      dir,
      `checkpoint directory ${dir} is already in use by another StreamingContext ` +
        `(its LevelDB lock is held by this or another process): ${msg}`,
      err,
    );
  }
  if (codes.includes('LEVEL_CORRUPTION')) return corrupt(dir, msg, err);
  if (codes.includes('LEVEL_IO_ERROR')) {
    if (/No such file or directory/i.test(msg)) return corrupt(dir, `a file of the store is missing: ${msg}`, err);
    if (/Permission denied|Read-only/i.test(msg)) {
      return fail('DIR_UNWRITABLE', dir, `checkpoint directory ${dir} is not writable: ${msg}`, err);
    }
    return fail('IO_ERROR', dir, `checkpoint directory ${dir} cannot be opened: ${msg}`, err);
  }
  return fail('IO_ERROR', dir, `checkpoint directory ${dir} cannot be opened: ${msg}`, err);
}

function mapReadError(dir: string, err: unknown, what = 'read'): CheckpointError {
  if (err instanceof CheckpointError) return err;
  const codes = levelCodes(err);
  const msg = innermostMessage(err);
  if (codes.includes('LEVEL_DATABASE_NOT_OPEN') && !codes.some((c) => c !== 'LEVEL_DATABASE_NOT_OPEN')) {
    return fail('CLOSED', dir, `checkpoint store ${dir} is closed`, err);
  }
  if (codes.includes('LEVEL_CORRUPTION')) return corrupt(dir, msg, err);
  if (codes.includes('LEVEL_IO_ERROR') && /No such file or directory/i.test(msg)) {
    return corrupt(dir, `a file of the store is missing: ${msg}`, err);
  }
  return fail('IO_ERROR', dir, `checkpoint directory ${dir}: ${what} failed: ${msg}`, err);
}

/** A description of the log records LevelDB dropped while opening, from its LOG file, or undefined. */
async function logRecoveryDrops(dir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, 'LOG'), 'utf8');
  } catch {
    return undefined;
  }
  const hits = text
    .split('\n')
    .filter((line) => /dropping \d+ bytes|Ignoring error/.test(line))
    .map((line) => line.replace(/^\S+ \S+\s+/, '').trim());
  if (hits.length === 0) return undefined;
  return hits[0]! + (hits.length > 1 ? ` and ${hits.length - 1} more` : '');
}

/**
 * Checks that every live LevelDB table file (as listed by LevelDB itself) has the size its
 * MANIFEST records and ends with the table magic number. LevelDB opens tables lazily, so
 * without this a truncated table would only show when a read reaches it.
 */
async function checkTableFiles(dir: string, db: Db): Promise<void> {
  const listing = (db as unknown as { getProperty(p: string): string }).getProperty('leveldb.sstables');
  for (const m of listing.matchAll(/^\s*(\d+):(\d+)\[/gm)) {
    const num = m[1]!.padStart(6, '0');
    const expected = Number(m[2]);
    let fh: Awaited<ReturnType<typeof fsp.open>> | undefined;
    let name = `${num}.ldb`;
    try {
      fh = await fsp.open(path.join(dir, name), 'r');
    } catch {
      name = `${num}.sst`;
      try {
        fh = await fsp.open(path.join(dir, name), 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          // Either deleted by a compaction that started after open, or missing: ask LevelDB.
          if (!(db as unknown as { getProperty(p: string): string }).getProperty('leveldb.sstables').includes(` ${Number(num)}:`)) continue;
          throw corrupt(dir, `table file ${num}.ldb is missing`);
        }
        throw mapReadError(dir, err);
      }
    }
    try {
      const { size } = await fh.stat();
      if (size !== expected) {
        throw corrupt(dir, `table file ${name} has ${size} bytes where LevelDB recorded ${expected} (truncated or overwritten)`);
      }
      if (size < TABLE_FOOTER_LENGTH) throw corrupt(dir, `table file ${name} is truncated (${size} bytes)`);
      const buf = Buffer.alloc(8);
      await fh.read(buf, 0, 8, size - 8);
      if (buf.readBigUInt64LE(0) !== TABLE_MAGIC) throw corrupt(dir, `table file ${name} is overwritten (its footer is not a table footer)`);
    } finally {
      await fh.close();
    }
  }
}

async function readCloseMarker(dir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, CLOSE_MARKER_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const m = JSON.parse(text) as { closedCommits?: unknown };
    return typeof m.closedCommits === 'number' ? m.closedCommits : undefined;
  } catch {
    return undefined; // a marker torn by a crash while it was written: no check possible
  }
}

async function writeCloseMarker(dir: string, seq: number): Promise<void> {
  const file = path.join(dir, CLOSE_MARKER_FILE);
  const tmp = `${file}.tmp`;
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(
      JSON.stringify({ format: CHECKPOINT_FORMAT, version: CHECKPOINT_FORMAT_VERSION, closedCommits: seq }) + '\n',
    );
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
}
