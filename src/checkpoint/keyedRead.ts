/**
 * The reads of a stream whose state is kept on disk, one entry per key (`stateOnDisk`): point
 * reads with LevelDB's synchronous get as a batch runs, and the asynchronous range reads a batch
 * awaits before it runs (every key, the idle index by time of last write, the window's slices,
 * readSlices).
 * Each sees the commits written when it starts.
 */
import { decodeKey, decodeValue } from './codec.js';
import { corrupt, mapReadError } from '../util/checkpointErrors.js';
import { IDLE_NS, padTime, prefixEnd, prefixRange, SLICES_NS, STATE_NS, stateKey, TIME_DIGITS } from './layout.js';
import type { Db } from './open.js';
import { scan } from './scan.js';
import { decodeStateEntries } from './stateRead.js';

/** Reads of one stream's state kept on disk. */
export interface KeyedStateReader {
  /** The stored value of `key`, or undefined: what the commits written so far hold (synchronous). */
  get(key: unknown): unknown;
  /** Every keyed entry, decoded, in flat chunks [k0, v0, …] of up to `size` entries, in key order. */
  scan(size: number): AsyncIterable<unknown[]>;
  /** The index by time of last write, entries older than `before`, oldest first: flat chunks [t0, k0, t1, k1, …]. */
  idleBefore(before: number, size: number): AsyncIterable<unknown[]>;
  /** The stream's slice at `time`, or undefined. */
  slice(time: number): Promise<unknown>;
  /** The times of the stream's slices, in order. */
  sliceTimes(): Promise<number[]>;
}

export function keyedStateReader(
  db: Db,
  dir: string,
  streamId: string,
  assertOpen: () => void,
): KeyedStateReader {
  const prefix = `${STATE_NS}/${streamId}/`;
  return {
    get(key: unknown): unknown {
      assertOpen();
      const k = prefix + stateKey(dir, streamId, key);
      let raw: string | undefined;
      try {
        raw = db.getSync(k);
      } catch (err) {
        throw mapReadError(dir, err);
      }
      if (raw === undefined) return undefined;
      try {
        return decodeValue(raw);
      } catch (err) {
        throw corrupt(dir, `the record ${JSON.stringify(k.slice(0, 80))} cannot be decoded`, err);
      }
    },

    async *scan(size: number): AsyncGenerator<unknown[]> {
      assertOpen();
      for await (const entries of scan(db.iterator(prefixRange(prefix)), dir, size)) {
        const flat: unknown[] = [];
        for (const [k, v] of decodeStateEntries(dir, entries, prefix.length)) flat.push(k, v);
        yield flat;
      }
    },

    async *idleBefore(before: number, size: number): AsyncGenerator<unknown[]> {
      assertOpen();
      const idle = `${IDLE_NS}/${streamId}/`;
      if (!(before > 0)) return;
      const skip = idle.length + TIME_DIGITS + 1;
      for await (const keys of scan(db.keys({ gte: idle, lt: idle + padTime(Math.ceil(before)) }), dir, size)) {
        const flat: unknown[] = [];
        for (const k of keys) {
          try {
            flat.push(Number(k.slice(idle.length, idle.length + TIME_DIGITS)), decodeKey(k, skip));
          } catch (err) {
            throw corrupt(dir, `the record ${JSON.stringify(k.slice(0, 80))} cannot be decoded`, err);
          }
        }
        yield flat;
      }
    },

    async slice(time: number): Promise<unknown> {
      assertOpen();
      return (await readSlices(db, dir, streamId, { from: time, to: time }))[0]?.[1];
    },

    async sliceTimes(): Promise<number[]> {
      assertOpen();
      const slices = `${SLICES_NS}/${streamId}/`;
      const out: number[] = [];
      for await (const keys of scan(db.keys(prefixRange(slices)), dir)) for (const k of keys) out.push(Number(k.slice(slices.length)));
      return out;
    },
  };
}

export interface SliceRange {
  /** Smallest time included (default: all). */
  from?: number;
  /** Largest time included (default: all). */
  to?: number;
}

/** The stored per-time records of a stream, in time order, optionally limited to [from, to]. */
export async function readSlices<V = unknown>(db: Db, dir: string, streamId: string, range: SliceRange = {}): Promise<Array<[number, V]>> {
  const prefix = `${SLICES_NS}/${streamId}/`;
  const gte = range.from !== undefined && range.from > 0 ? prefix + padTime(Math.ceil(range.from)) : prefix;
  const lte = range.to !== undefined ? (range.to < 0 ? undefined : prefix + padTime(Math.floor(range.to))) : undefined;
  if (range.to !== undefined && lte === undefined) return [];
  const keys = lte !== undefined ? { gte, lte } : { gte, lt: prefixEnd(prefix) };
  const out: Array<[number, V]> = [];
  for await (const entries of scan(db.iterator(keys), dir)) {
    for (const [k, v] of entries) {
      try {
        out.push([Number(k.slice(prefix.length)), decodeValue(v) as V]);
      } catch (err) {
        throw corrupt(dir, `the record ${JSON.stringify(k)} cannot be decoded`, err);
      }
    }
  }
  return out;
}
