/**
 * A snapshot merge from the store alone: a stream's latest snapshot, keyed entries and delta log,
 * as stored, become one new snapshot as of the log's last delta entry — what a restore of the
 * stream would read, each key once. It runs on the merge thread (logMergeThread.ts, for a large
 * state: see SnapshotMerges): merging a million keys from the state in memory took the main
 * thread ~0.7 s, walking a million leaves scattered over its heap (bench/checkpoint.ts).
 *
 * Only the store is read, never the stream: the merged snapshot is a compaction of the stored
 * log, the same state whichever batch the stream has reached meanwhile. Not stateRead's
 * mergeStateLog, whose overlay keeps the order of the changes (a delete and an object per change,
 * for a restore's key order): a snapshot's order does not matter, and one Map.set per change
 * costs less (the merge thread over three 1 M-key merges: 3.4-4.3 s of CPU -> 2.5-3.0 s).
 */
import type { KeyTextChunk } from '../dstream/Checkpointable.js';
import { decodeBulk, decodeSnapshotChunk, encodeSnapshotChunk } from './bulk.js';
import { encodeKey, type StateKey } from './codec.js';
import { corrupt } from '../util/checkpointErrors.js';
import { decodeStateEntries, type StoredLog } from './stateRead.js';

/** A key's last change in the delta log was its removal. */
const REMOVED = Symbol('removed');

/**
 * The encoded chunks of the snapshot merged from `log`, `size` entries each (the last fewer; one
 * chunk for an empty state). Each key's last change in the delta log wins (a delta entry's
 * removals apply before its puts), as at a restore; keys compare as encodeKey does (1 ≠ "1").
 */
export function mergeStoredLog(dir: string, log: StoredLog, size: number): string[] {
  const decode = <T>(what: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw corrupt(dir, `${what} cannot be decoded`, err);
    }
  };
  // The delta log's last change of each key: one Map.set per change, no object per change.
  const primitive = new Map<unknown, unknown>();
  const structured = new Map<string, [unknown, unknown]>();
  const change = (k: unknown, v: unknown): void => {
    if (typeof k === 'object' && k !== null) structured.set(encodeKey(k as StateKey), [k, v]);
    else primitive.set(k, v);
  };
  log.deltas.forEach((value, i) => {
    const { flat, deletes } = decode(`delta entry ${i} after the snapshot`, () => decodeBulk(value));
    for (const k of deletes) change(k, REMOVED);
    for (let j = 0; j < flat.length; j += 2) change(flat[j], flat[j + 1]);
  });
  const changed = (k: unknown): boolean => (typeof k === 'object' && k !== null ? structured.has(encodeKey(k as StateKey)) : primitive.has(k));

  const out: string[] = [];
  let keys: unknown[] = [];
  let values: unknown[] = [];
  const add = (k: unknown, v: unknown): void => {
    keys.push(k);
    values.push(v);
    if (keys.length === size) {
      out.push(encodeSnapshotChunk(keys, values));
      keys = [];
      values = [];
    }
  };
  // The base (snapshot, keyed entries) but the keys the delta log changed, then the changes.
  log.snapshot.forEach((value, i) => {
    const chunk = decode(`chunk ${i} of the snapshot`, () => decodeSnapshotChunk(value));
    if (Array.isArray(chunk)) {
      for (let j = 0; j < chunk.length; j += 2) if (!changed(chunk[j])) add(chunk[j], chunk[j + 1]);
    } else {
      const { keys: text, starts, values: vs } = chunk as KeyTextChunk;
      for (let j = 0; j < vs.length; j++) {
        const k = text.slice(starts[j]!, starts[j + 1]! - 1);
        if (!primitive.has(k)) add(k, vs[j]);
      }
    }
  });
  for (const [k, v] of decodeStateEntries(dir, log.keyed, log.keyedPrefix)) if (!changed(k)) add(k, v);
  for (const [k, v] of primitive) if (v !== REMOVED) add(k, v);
  for (const [k, v] of structured.values()) if (v !== REMOVED) add(k, v);
  if (keys.length > 0 || out.length === 0) out.push(encodeSnapshotChunk(keys, values));
  return out;
}
