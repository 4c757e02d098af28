/**
 * How a stream's stored state is read back: its latest snapshot (bulk values), its keyed
 * entries, and the delta log after the snapshot applied on top (see layout.ts), in flat arrays
 * [k0, v0, k1, v1, …] so a restore of millions of keys makes no pair per key.
 */
import type { BaseChunk } from '../dstream/Checkpointable.js';
import { decodeBulk, decodeSnapshotChunk, flatOf, type BulkChanges } from './bulk.js';
import { decodeKey, decodeValue, encodeKey, type StateKey } from './codec.js';
import { corrupt } from '../util/checkpointErrors.js';
import { checkStreamId, DELTA_NS, padTime, prefixEnd, prefixRange, SNAP_NS, STATE_NS, TIME_DIGITS } from './layout.js';
import type { Db } from './open.js';
import { scan } from './scan.js';

type ReadSnapshot = ReturnType<Db['snapshot']>;

/**
 * The state of a stream in flat arrays of entries: the snapshot's values (bulk, one JSON.parse
 * each), then the keyed entries, each minus the keys the delta log changed after the snapshot,
 * then the delta log's puts. The delta log is read first and kept in memory (it is bounded by
 * the merges, see Checkpointer).
 */
export async function* stateChunks(db: Db, dir: string, streamId: string, batchSize: number): AsyncGenerator<unknown[]> {
  checkStreamId(dir, streamId);
  const snapTime = await latestSnapshot(db, dir, streamId);
  const overlay = new KeyOverlay();
  for (const { flat, deletes } of await readDeltas(db, dir, streamId, snapTime)) overlay.apply(flat, deletes);
  for await (const base of baseChunks(db, dir, streamId, snapTime, batchSize)) {
    const chunk = overlay.minus(flatOf(base));
    if (chunk.length > 0) yield chunk;
  }
  const puts = overlay.puts();
  if (puts.length > 0) yield puts;
}

/** A stream's stored state as its base (snapshot and keyed entries, each key once) and the delta log after it. */
export interface StateLog {
  /** Flat arrays [k0, v0, k1, v1, …], or a snapshot chunk's keys as text. */
  base: BaseChunk[];
  /** The delta entries after the snapshot, in time order (each: deletes, then puts). */
  deltas: BulkChanges[];
}

/** The whole stored state of a stream, unmerged: for a restore that applies the deltas as it builds. */
export async function readStateLog(db: Db, dir: string, streamId: string, batchSize: number): Promise<StateLog> {
  checkStreamId(dir, streamId);
  const snapTime = await latestSnapshot(db, dir, streamId);
  // Both read at once: LevelDB reads one while the other is decoded.
  const deltas = readDeltas(db, dir, streamId, snapTime);
  deltas.catch(() => {}); // awaited below; an error of the base's read comes first
  const base: BaseChunk[] = [];
  for await (const chunk of baseChunks(db, dir, streamId, snapTime, batchSize)) base.push(chunk);
  return { base, deltas: await deltas };
}

/** The state of a StateLog, each key once: its base minus the keys the deltas changed (in place), then their last puts. */
export function mergeStateLog(log: StateLog): unknown[][] {
  if (log.deltas.length === 0) return log.base.map(flatOf);
  const overlay = new KeyOverlay();
  for (const { flat, deletes } of log.deltas) overlay.apply(flat, deletes);
  const out = log.base.map((chunk) => overlay.minus(flatOf(chunk)));
  out.push(overlay.puts());
  return out;
}

/**
 * A stream's stored log as it is on disk, values undecoded (for the merge thread, see
 * logMerge.ts): its latest snapshot's chunks, its keyed entries, and its delta entries after the
 * snapshot, whose last (`time`) the merge is as of.
 */
export interface StoredLog {
  snapshot: string[];
  /** Keyed entries, as LevelDB gives them: [key, value], the key with its `keyedPrefix`. */
  keyed: Array<[string, string]>;
  keyedPrefix: number;
  deltas: string[];
  time: number;
}

/**
 * A stream's stored log, undefined when it has no delta entry after its snapshot (nothing to
 * merge). Read from one LevelDB snapshot taken before the first read, so it needs no place in the
 * store's queue: commits written meanwhile are not in it, and whatever they write (a later delta,
 * a full copy with its own snapshot) stays after the merge (writeSnapshotBatch).
 */
export async function readStoredLog(db: Db, dir: string, streamId: string): Promise<StoredLog | undefined> {
  checkStreamId(dir, streamId);
  const snapshot = db.snapshot();
  try {
    return await readStoredLogAt(db, dir, streamId, snapshot);
  } finally {
    await snapshot.close();
  }
}

async function readStoredLogAt(db: Db, dir: string, streamId: string, at: ReadSnapshot): Promise<StoredLog | undefined> {
  const snapTime = await latestSnapshot(db, dir, streamId, at);
  const deltaPrefix = `${DELTA_NS}/${streamId}/`;
  const deltas: string[] = [];
  let last: string | undefined;
  for await (const entries of scan(db.iterator({ ...deltasAfter(streamId, snapTime), snapshot: at }), dir, 100)) {
    for (const [k, v] of entries) {
      deltas.push(v);
      last = k;
    }
  }
  if (last === undefined) return undefined;
  const snapshot: string[] = [];
  if (snapTime !== undefined) {
    for await (const entries of scan(db.iterator({ ...prefixRange(`${SNAP_NS}/${streamId}/${snapTime}/`), snapshot: at }), dir, 4)) for (const [, v] of entries) snapshot.push(v);
  }
  const keyedPrefix = `${STATE_NS}/${streamId}/`;
  const keyed: Array<[string, string]> = [];
  for await (const entries of scan(db.iterator({ ...prefixRange(keyedPrefix), snapshot: at }), dir, 1000)) keyed.push(...entries);
  return { snapshot, keyed, keyedPrefix: keyedPrefix.length, deltas, time: Number(last.slice(deltaPrefix.length)) };
}

/** The time of a stream's latest snapshot (padded, as in its keys), or undefined. */
async function latestSnapshot(db: Db, dir: string, streamId: string, at?: ReadSnapshot): Promise<string | undefined> {
  const snapPrefix = `${SNAP_NS}/${streamId}/`;
  // The last snap/ key (times sort as their padded digits).
  let snapTime: string | undefined;
  for await (const keys of scan(db.keys({ gte: snapPrefix, lt: prefixEnd(snapPrefix), reverse: true, limit: 1, snapshot: at }), dir)) {
    snapTime = keys[0]!.slice(snapPrefix.length, snapPrefix.length + TIME_DIGITS);
  }
  return snapTime;
}

/** The range of a stream's delta entries after its snapshot at `snapTime` (all of them without one). */
function deltasAfter(streamId: string, snapTime: string | undefined): { gte: string; lt: string } {
  const deltaPrefix = `${DELTA_NS}/${streamId}/`;
  return { gte: snapTime === undefined ? deltaPrefix : deltaPrefix + padTime(Number(snapTime) + 1), lt: prefixEnd(deltaPrefix) };
}

/** The delta entries after the snapshot at `snapTime` (all of them without one), decoded, in time order. */
async function readDeltas(db: Db, dir: string, streamId: string, snapTime: string | undefined): Promise<BulkChanges[]> {
  const out: BulkChanges[] = [];
  for await (const entries of scan(db.iterator(deltasAfter(streamId, snapTime)), dir, 100)) {
    for (const [k, v] of entries) out.push(decodeBulkRecord(dir, k, v));
  }
  return out;
}

/** The snapshot's chunks (text chunks as they are), then the keyed entries as flat arrays (each key once among them). */
async function* baseChunks(db: Db, dir: string, streamId: string, snapTime: string | undefined, batchSize: number): AsyncGenerator<BaseChunk> {
  if (snapTime !== undefined) {
    const gen = `${SNAP_NS}/${streamId}/${snapTime}/`;
    for await (const entries of scan(db.iterator(prefixRange(gen)), dir, 4)) {
      for (const [k, v] of entries) yield decoded(dir, k, () => decodeSnapshotChunk(v));
    }
  }
  const keyedPrefix = `${STATE_NS}/${streamId}/`;
  for await (const entries of scan(db.iterator(prefixRange(keyedPrefix)), dir, batchSize)) {
    const flat: unknown[] = [];
    for (const [k, v] of decodeStateEntries(dir, entries, keyedPrefix.length)) flat.push(k, v);
    yield flat;
  }
}

function decodeBulkRecord(dir: string, key: string, value: string): BulkChanges {
  return decoded(dir, key, () => decodeBulk(value));
}

function decoded<T>(dir: string, key: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw corrupt(dir, `the record ${JSON.stringify(key.slice(0, 80))} cannot be decoded`, err);
  }
}

/** Decodes LevelDB's [key, value] entries in place (no new pair per entry) and returns them. */
export function decodeStateEntries<K, V>(dir: string, entries: Array<[string, string]>, skip: number): Array<[K, V]> {
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
    throw corrupt(dir, `the record ${JSON.stringify(typeof raw === 'string' ? raw.slice(0, 80) : raw)} cannot be decoded`, err);
  }
  return out as Array<[K, V]>;
}

/**
 * The keys the delta log changed, each with its last value (or removal): primitive keys by
 * themselves (a Map compares them as encodeKey does: 1 ≠ "1", NaN = NaN, -0 = 0), structured
 * keys by their encoded form.
 */
class KeyOverlay {
  private readonly prim = new Map<unknown, { key: unknown; value: unknown; put: boolean }>();
  private readonly structured = new Map<string, { key: unknown; value: unknown; put: boolean }>();

  get size(): number {
    return this.prim.size + this.structured.size;
  }

  private mapOf(k: unknown): [Map<unknown, { key: unknown; value: unknown; put: boolean }>, unknown] {
    return typeof k === 'object' && k !== null ? [this.structured as Map<unknown, never>, encodeKey(k as StateKey)] : [this.prim, k];
  }

  /** A delta entry's changes: its deletes, then its puts. */
  apply(flat: readonly unknown[], deletes: readonly unknown[]): void {
    for (const d of deletes) this.set(d, undefined, false);
    for (let i = 0; i < flat.length; i += 2) this.set(flat[i], flat[i + 1], true);
  }

  /** `flat` without the keys the overlay holds, in place (a chunk freshly decoded: a copy of a million entries is garbage). */
  minus(flat: unknown[]): unknown[] {
    if (this.size === 0) return flat;
    let j = 0;
    for (let i = 0; i < flat.length; i += 2) {
      if (this.has(flat[i])) continue;
      flat[j++] = flat[i];
      flat[j++] = flat[i + 1];
    }
    flat.length = j;
    return flat;
  }

  set(key: unknown, value: unknown, put: boolean): void {
    const [m, code] = this.mapOf(key);
    m.delete(code); // a later change goes last
    m.set(code, { key, value, put });
  }

  has(key: unknown): boolean {
    // Asked once per restored key: no [map, code] pair made for a primitive key.
    return typeof key === 'object' && key !== null ? this.structured.has(encodeKey(key as StateKey)) : this.prim.has(key);
  }

  /** The last put of each key that was not removed afterwards, flat. */
  puts(): unknown[] {
    const out: unknown[] = [];
    for (const m of [this.prim, this.structured]) for (const e of m.values()) if (e.put) out.push(e.key, e.value);
    return out;
  }
}
