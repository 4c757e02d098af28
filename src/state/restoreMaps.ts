import type { KeyTextChunk, SavedStreamCheckpoint } from '../dstream/Checkpointable.js';
import { hashKeySigned } from '../rdd/keys.js';
import { RestoredTable } from './RestoredTable.js';
import type { StateMaps } from './StateMaps.js';
import { Leaf, mix, stampOf, structuredCode } from './stateMap.js';

/** A restored key's value that removes it (a delete of the delta log). */
const REMOVED = Symbol('removed');

/**
 * mapWithState's restore: fills `stateMaps` (new, empty) from a saved checkpoint — its snapshot,
 * then each delta entry's removals and puts, the later change of a key winning — every leaf born
 * at `edit`. A key's stored value is its state, or [state, time of its last write] when the
 * stream's meta does not say `stamps: false` (format 1 always stamped).
 *
 * Snapshot chunks whose keys are text stay text (RestoredTable.ts) when no key needs a leaf of
 * its own: no timeout, and the values are the states themselves. Returns the keys per partition,
 * that table, the leaves filed by write time (with a timeout) and whether values were stamped.
 */
export function restoreMaps<K, S>(
  saved: SavedStreamCheckpoint,
  stateMaps: StateMaps<K, S>,
  timeout: number | undefined,
  edit: number,
): { sizes: number[]; table: RestoredTable<S> | undefined; buckets: Map<number, Leaf<K, S>[]>; stamped: boolean } {
  const maps = stateMaps.maps;
  const n = maps.length;
  const stamped = (saved.meta as { stamps?: unknown } | null | undefined)?.stamps !== false;
  const textChunks = (saved.log?.base ?? []).filter((c): c is KeyTextChunk => !Array.isArray(c));
  const table = textChunks.length > 0 && !stamped && timeout === undefined ? new RestoredTable<S>(textChunks, n, saved.time) : undefined;
  const add = (k: unknown, v: unknown): void => {
    if (v !== REMOVED && stamped && (!Array.isArray(v) || v.length !== 2 || typeof v[1] !== 'number')) {
      throw new Error(`mapWithState checkpoint: malformed entry for key ${JSON.stringify(k)}`);
    }
    const code = structuredCode(k);
    const h = hashKeySigned(code ?? k);
    const mh = mix(h);
    // The delta log's change of a key the table holds changes the table (no version exists yet).
    const entry = table === undefined ? -1 : table.find(k, h, mh);
    if (entry >= 0) {
      if (v === REMOVED) table!.restoreRemove(entry);
      else table!.restorePut(entry, v as S);
      return;
    }
    const map = maps[n === 1 ? 0 : (h >>> 0) % n]!;
    if (v === REMOVED) {
      const there = map.get(k as K, code);
      if (there !== undefined) map.delete(there);
      return;
    }
    // Unstamped (no timeout when written): as if written by the restored batch.
    map.set(
      stamped
        ? new Leaf(h, k as K, code, (v as [S, number])[0], stampOf((v as [S, number])[1], timeout), edit, undefined)
        : new Leaf(h, k as K, code, v as S, stampOf(saved.time, timeout), edit, undefined),
    );
  };
  if (saved.log !== undefined) {
    // The snapshot, then each delta entry's removals and puts, the later change of a key winning.
    for (const chunk of saved.log.base) {
      if (Array.isArray(chunk)) for (let i = 0; i < chunk.length; i += 2) add(chunk[i], chunk[i + 1]);
      else if (table === undefined) {
        const { keys, starts, values } = chunk as KeyTextChunk;
        for (let i = 0; i < values.length; i++) add(keys.slice(starts[i]!, starts[i + 1]! - 1), values[i]);
      }
    }
    for (const { flat, deletes } of saved.log.deltas) {
      for (const k of deletes) add(k, REMOVED);
      for (let i = 0; i < flat.length; i += 2) add(flat[i], flat[i + 1]);
    }
  } else {
    for (const [k, v] of saved.state) add(k, v);
  }
  const sizes = maps.map((m) => m.size);
  if (table !== undefined) for (let p = 0; p < n; p++) sizes[p]! += table.visibleIn(p);
  const byTime = new Map<number, Leaf<K, S>[]>();
  if (timeout !== undefined) {
    for (const map of maps) {
      for (const leaf of map.prim.values()) fileAt(byTime, leaf);
      if (map.structured !== undefined) for (const leaf of map.structured.values()) fileAt(byTime, leaf);
    }
  }
  return { sizes, table, buckets: new Map([...byTime].sort((a, b) => a[0] - b[0])), stamped };
}

/** File `leaf` in the bucket of its write time. */
function fileAt<K, S>(byTime: Map<number, Leaf<K, S>[]>, leaf: Leaf<K, S>): void {
  let b = byTime.get(leaf.stamp);
  if (b === undefined) byTime.set(leaf.stamp, (b = []));
  b.push(leaf);
}
