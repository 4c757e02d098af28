/**
 * What a stream with state or an input position writes into each completed batch's atomic
 * checkpoint commit, and how it gets it back on recovery. Stateful streams write only what
 * changed since their previous commit (keys put or removed); a full copy only in a context's
 * first commit (`full`), or when a stream can no longer describe its changes (e.g. its change
 * log overflowed). The checkpoint interval drives the store's compaction, not full copies.
 */
export interface StreamCheckpoint {
  /** Keyed state: changed keys and removed keys; with `replace`, `puts` is the whole state. */
  state?: { replace: boolean; puts: Array<[unknown, unknown]>; deletes: unknown[] };
  /** Values kept per batch time (e.g. a window's slides still inside it), put and deleted. */
  slices?: { puts: Array<[number, unknown]>; deletes: number[] };
  /** A small value replaced at every commit (an input's position, a window's running result time). */
  meta?: unknown;
}

/** What the store holds for one stream, as of the last completed batch `time`. */
export interface SavedStreamCheckpoint {
  time: number;
  state: Iterable<[unknown, unknown]>;
  slices: Iterable<[number, unknown]>;
  meta: unknown;
}

export interface Checkpointable {
  /** After batch `time` completed: what to add to that batch's commit; `full` asks for a complete copy. */
  checkpointDelta(time: number, full: boolean): StreamCheckpoint | undefined;
  /** On recovery, before any batch runs. */
  restoreCheckpoint(saved: SavedStreamCheckpoint): void | Promise<void>;
  /**
   * Inputs that decide a batch's data only when it starts (a direct Kafka stream's offset
   * ranges): the `meta` recording that decision, as `checkpointDelta(lastCompletedTime)` would
   * give it, with no side effect. It is written right away, as Spark checkpoints after
   * generating a batch, so a batch in flight at a crash re-reads exactly the same data.
   */
  generatedPosition?(lastCompletedTime: number): unknown;
}

export function isCheckpointable(x: unknown): x is Checkpointable {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Checkpointable).checkpointDelta === 'function' &&
    typeof (x as Checkpointable).restoreCheckpoint === 'function'
  );
}
