/**
 * Where a stateful operation keeps its state. `'memory'` (the default): every key in memory,
 * checkpointed through the delta log (one bulk value per batch, merged into snapshots). `'disk'`:
 * keys and values in the checkpoint's LevelDB store, one entry per key, written in each batch's
 * atomic commit; a bounded cache keeps the hot keys in memory (`cacheKeys`, default 100 000).
 * See docs/state-stores.md for when to switch and what it costs.
 */
export type StateStoreOption = 'memory' | 'disk' | { type: 'memory' } | { type: 'disk'; cacheKeys?: number };

export interface ResolvedStateStore {
  type: 'memory' | 'disk';
  /** Keys the disk store keeps in memory between batches (its cache of hot keys). */
  cacheKeys: number;
}

export const DEFAULT_CACHE_KEYS = 100_000;

export function checkStateStore(store: unknown, operation: string): StateStoreOption {
  if (store === 'memory' || store === 'disk') return store;
  if (typeof store === 'object' && store !== null) {
    const o = store as { type?: unknown; cacheKeys?: unknown };
    if (o.type === 'memory' || o.type === 'disk') {
      if (o.cacheKeys !== undefined && (!Number.isInteger(o.cacheKeys) || (o.cacheKeys as number) < 0)) {
        throw new RangeError(`${operation}: cacheKeys must be a non-negative integer, got ${String(o.cacheKeys)}`);
      }
      return store as StateStoreOption;
    }
  }
  throw new TypeError(`${operation}: the state store must be 'memory', 'disk' or { type: 'disk', cacheKeys? }, got ${JSON.stringify(store) ?? String(store)}`);
}

export function resolveStateStore(store: StateStoreOption | undefined): ResolvedStateStore {
  if (store === undefined || store === 'memory') return { type: 'memory', cacheKeys: 0 };
  if (store === 'disk') return { type: 'disk', cacheKeys: DEFAULT_CACHE_KEYS };
  if (store.type === 'memory') return { type: 'memory', cacheKeys: 0 };
  return { type: 'disk', cacheKeys: store.cacheKeys ?? DEFAULT_CACHE_KEYS };
}
