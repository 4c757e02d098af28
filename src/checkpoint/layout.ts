/**
 * The key layout of the checkpoint store, format version 3, and the checks that keep every key
 * inside it (LevelDB keys are UTF-8 strings; values are encoded by ./codec.ts and ./bulk.ts):
 *
 *   meta/format                       {"format":"dstreams-checkpoint","version":3} (JSON text)
 *   meta/seq                          number of commits so far
 *   meta/batch                        the engine's metadata record; each commit may replace it
 *   meta/damaged                      present only once corruption was detected; the store then never opens again
 *   meta/start                        where the inputs that decide late (direct Kafka, Kinesis, a query's source)
 *                                     or whose start is a decision (a textFileStream's ignored files) started, written
 *                                     once a fresh job's inputs started: getOrCreate starts from there while
 *                                     meta/batch is absent (no batch completed before a crash)
 *   state/<streamId>/<encodedKey>     keyed state, one entry per key (encodedKey from encodeKey(): tag + content)
 *   idle/<streamId>/<time>/<encodedKey>  the keyed state's index by time of last write (mapWithState
 *                                     with a timeout on disk): an empty value per key, written in the
 *                                     same commit as the key, so the keys idle since before a time are
 *                                     one range scan
 *   snap/<streamId>/<time>/<chunk>    a snapshot of a stream's whole state as of batch <time>, in
 *                                     bulk values of up to SNAPSHOT_CHUNK entries (bulk.ts)
 *   delta/<streamId>/<time>           the delta log: ONE bulk value per stream per batch, the keys
 *                                     that batch put or removed
 *   slices/<streamId>/<time>          per-time records
 *   blob/<name>                       generic blobs (e.g. write-ahead-log blocks)
 *
 * Times are zero-padded to 16 digits, chunks to 6. A stream's state is its keyed entries and its
 * latest snapshot, with the deltas after that snapshot's time applied in time order. A snapshot
 * replaces the keyed entries, the older snapshot and the deltas it covers in one atomic write.
 *
 * Version 1 (before the delta log) had the same keys without snap/ and delta/; version 2 wrote
 * snapshots only in the J and F bulk encodings (3 adds S, bulk.ts). A store of either reads as a
 * version-3 store; its meta/format record is rewritten by its first write (a commit or a snapshot,
 * in the same atomic batch: CheckpointStore), not at open, so a store only opened and read (a
 * getOrCreate refused for a changed graph) keeps its version. A version-2 dstreams refuses a
 * version-3 store with INCOMPATIBLE_VERSION rather than misread a snapshot.
 *
 * Stream ids are strings the engine assigns ("s3" for stream 3, "n:<name>" for named state);
 * they must be non-empty and must not contain "/".
 */
import { encodeKey, type StateKey } from './codec.js';
import { fail, innermostMessage } from '../util/checkpointErrors.js';

export const CHECKPOINT_FORMAT = 'dstreams-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 3;
/** Older versions this one opens (and upgrades in place at the first write: their layout is a subset of this one's). */
export const UPGRADABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];
/** The sidecar file holding the commit count the store had when last opened or cleanly closed (written at creation too). */
export const CLOSE_MARKER_FILE = 'DSTREAMS-CHECKPOINT';

export const FORMAT_KEY = 'meta/format';
export const SEQ_KEY = 'meta/seq';
export const META_KEY = 'meta/batch';
export const DAMAGED_KEY = 'meta/damaged';
export const START_KEY = 'meta/start';
export const STATE_NS = 'state';
export const IDLE_NS = 'idle';
export const SLICES_NS = 'slices';
export const SNAP_NS = 'snap';
export const DELTA_NS = 'delta';
/** Entries per snapshot chunk (one LevelDB value each). */
export const SNAPSHOT_CHUNK = 20_000;
const CHUNK_DIGITS = 6;

export function padChunk(i: number): string {
  return String(i).padStart(CHUNK_DIGITS, '0');
}
export const BLOB_PREFIX = 'blob/';
export const TIME_DIGITS = 16;

export function padTime(t: number): string {
  return String(t).padStart(TIME_DIGITS, '0');
}

export function stateKey(dir: string, streamId: string, k: unknown): string {
  try {
    return encodeKey(k as StateKey);
  } catch (err) {
    throw fail('INVALID_ARGUMENT', dir, `cannot checkpoint a key of stream ${streamId} to ${dir}: ${innermostMessage(err)}`, err);
  }
}

export function sliceTime(dir: string, streamId: string, t: unknown): string {
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
    throw fail('INVALID_ARGUMENT', dir, `slice time of stream ${streamId} must be a non-negative integer, got ${String(t)}`);
  }
  return padTime(t);
}

/** In a `u` regex a surrogate pair is one code point, so this matches only unpaired surrogates (which UTF-8 cannot carry). */
export const LONE_SURROGATE = /\p{Surrogate}/u;

export function checkStreamId(dir: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || id === '' || id.includes('/') || LONE_SURROGATE.test(id)) {
    throw fail('INVALID_ARGUMENT', dir, `stream id must be a non-empty string without "/", got ${JSON.stringify(id)}`);
  }
}

export function blobKey(dir: string, name: unknown): string {
  if (typeof name !== 'string' || name === '' || LONE_SURROGATE.test(name)) {
    throw fail('INVALID_ARGUMENT', dir, `blob name must be a non-empty, well-formed string, got ${JSON.stringify(name)}`);
  }
  return BLOB_PREFIX + name;
}

/** The smallest string greater than every string starting with `prefix`, for prefixes ending in "/". */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** The range of keys that start with `prefix` (a prefix ending in "/"). */
export function prefixRange(prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: prefixEnd(prefix) };
}
