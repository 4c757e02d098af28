/**
 * The key layout of the checkpoint store, and the checks that keep every key inside it
 * (LevelDB keys are UTF-8 strings; values are encoded by ./codec.ts):
 *
 *   meta/format                      {"format":"dstreams-checkpoint","version":1} (JSON text)
 *   meta/seq                         number of commits so far
 *   meta/batch                       the engine's metadata record; each commit may replace it
 *   meta/damaged                     present only once corruption was detected; the store then never opens again
 *   state/<streamId>/<encodedKey>    keyed state (encodedKey from encodeKey(): tag + content)
 *   slices/<streamId>/<time>         per-time records; time zero-padded to 16 digits
 *   blob/<name>                      generic blobs (e.g. write-ahead-log blocks)
 *
 * Stream ids are strings the engine assigns (e.g. "s3"); they must be non-empty and must not
 * contain "/".
 */
import { encodeKey, type StateKey } from './codec.js';
import { fail, innermostMessage } from './errors.js';

export const CHECKPOINT_FORMAT = 'dstreams-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;
/** The sidecar file written at each clean close. */
export const CLOSE_MARKER_FILE = 'DSTREAMS-CHECKPOINT';

export const FORMAT_KEY = 'meta/format';
export const SEQ_KEY = 'meta/seq';
export const META_KEY = 'meta/batch';
export const DAMAGED_KEY = 'meta/damaged';
export const STATE_NS = 'state';
export const SLICES_NS = 'slices';
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
