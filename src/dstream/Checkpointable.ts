/**
 * What a stream with state or an input position writes into each completed batch's atomic
 * checkpoint commit, and how it gets it back on recovery. Stateful streams write only what
 * changed since their previous commit (keys put or removed); a full copy only in a context's
 * first commit (`full`), or when a stream can no longer describe its changes (e.g. its change
 * log overflowed). The checkpoint interval drives the store's compaction, not full copies.
 */
export interface StreamCheckpoint {
  /**
   * Keyed state: changed keys and removed keys; with `replace`, `puts` is the whole state.
   * `flat`: changed keys given flat (key, value, key, value, …) instead of in `puts` (then empty),
   * for a change (not with `replace`) of state kept in memory: no pair per changed key.
   */
  state?: {
    replace: boolean;
    puts: Array<[unknown, unknown]>;
    deletes: unknown[];
    flat?: unknown[];
    /** State on disk with a timeout: its index by time of last write, [time, key] removed then written. */
    idle?: { puts: Array<[number, unknown]>; deletes: Array<[number, unknown]> };
  };
  /** Values kept per batch time (e.g. a window's slides still inside it), put and deleted. */
  slices?: { puts: Array<[number, unknown]>; deletes: number[] };
  /** A small value replaced at every commit (an input's position, a window's running result time). */
  meta?: unknown;
}

/** What the store holds for one stream, as of the last completed batch `time`. */
export interface SavedStreamCheckpoint {
  time: number;
  /**
   * The stored keyed state, each key once. Read each entry as it comes (`for (const [k, v] of
   * state)`): the iterable may hand out one pair object refilled at every step.
   */
  state: Iterable<[unknown, unknown]>;
  /**
   * The same state unmerged, when the store has it so: `base` (flat arrays [k0, v0, k1, v1, …]
   * or snapshot chunks kept as their text, each key once among them) and the `deltas` after it,
   * in order (each: its `deletes`, then its puts in `flat`). A restore of millions of keys that
   * applies the deltas as it builds its structure reads this and never iterates `state` (which
   * would merge them first).
   */
  log?: { base: readonly BaseChunk[]; deltas: ReadonlyArray<{ flat: readonly unknown[]; deletes: readonly unknown[] }> };
  slices: Iterable<[number, unknown]>;
  meta: unknown;
}

/**
 * A snapshot chunk whose keys are all strings, as stored: the keys joined by newlines, never
 * split into a million strings unless someone asks (a restore can index them in place).
 */
export interface KeyTextChunk {
  readonly keys: string;
  /** Where key i starts in `keys`; starts[n] is keys.length + 1 (key i ends at starts[i + 1] - 1). */
  readonly starts: Int32Array;
  /** The values, in the keys' order. */
  readonly values: readonly unknown[];
}

/** A chunk of a stream's stored base state: flat [k0, v0, k1, v1, …], or keys as text. */
export type BaseChunk = readonly unknown[] | KeyTextChunk;

/** Synchronous point reads of a stream's state kept in the checkpoint store (see `stateOnDisk`). */
export interface StateReader {
  /** The committed value of `key`, or undefined when the store has none. */
  get(key: unknown): unknown;
  /**
   * Every stored [key, value] of the stream, in the store's key order, as flat chunks
   * [k0, v0, k1, v1, …] of up to `size` entries read one at a time (memory: one chunk). It sees
   * the commits written when the scan starts (LevelDB's implicit snapshot of an iterator).
   */
  scan(size: number): AsyncIterable<unknown[]>;
  /**
   * The stream's index by time of last write (see StreamCheckpoint `idle`): the entries older
   * than `before`, oldest first, as flat chunks [t0, k0, t1, k1, …] of up to `size` entries.
   */
  idleBefore(before: number, size: number): AsyncIterable<unknown[]>;
  /** The stream's per-time record at `time` (`slices/<stream>/<time>`), or undefined. */
  slice(time: number): Promise<unknown>;
  /** The times of the stream's per-time records, in order (their values are not read). */
  sliceTimes(): Promise<number[]>;
}

/** How many keys a stream's state holds in memory and in the store only. */
export interface StateKeyCounts {
  inMemory: number;
  onDisk: number;
}

export interface Checkpointable {
  /** After batch `time` completed: what to add to that batch's commit; `full` asks for a complete copy. */
  checkpointDelta(time: number, full: boolean): StreamCheckpoint | undefined;
  /**
   * Group commit: leave batch `time`'s changes to the checkpointDelta of a later batch whose
   * commit goes in the same atomic write (it then describes them all, each key once), instead of
   * being asked for them now. `check(key, value)` tells whether the store takes a changed entry
   * without a closer look (a value it refuses must fail its own batch). Returns how many changes
   * the batch made, or undefined when the stream cannot (a full copy owed, an entry `check`
   * refuses): then checkpointDelta(time) is asked now, as without this method.
   */
  deferDelta?(time: number, check: (key: unknown, value: unknown) => boolean): number | undefined;
  /** On recovery, before any batch runs. */
  restoreCheckpoint(saved: SavedStreamCheckpoint): void | Promise<void>;
  /**
   * The commit of batch `time` — and of every batch before it — is written: the store's reads
   * return it and a crash from now on restores it (or a later one). Commits are written after
   * the batch completed, possibly several batches later (group commit, see Checkpointer): what
   * a stream may only drop once its checkpoint holds it (the receiver's write-ahead log, the
   * disk store's unwritten changes) waits for this call, not for the next checkpointDelta.
   */
  checkpointWritten?(time: number): void;
  /**
   * Inputs that decide a batch's data only when it starts (a direct Kafka stream's offset
   * ranges): the `meta` recording that decision, as `checkpointDelta(lastCompletedTime)` would
   * give it, with no side effect. It is written right away, as Spark checkpoints after
   * generating a batch, so a batch in flight at a crash re-reads exactly the same data.
   */
  generatedPosition?(lastCompletedTime: number): unknown;
  /**
   * Inputs whose fresh start is itself a decision (a file stream's files ignored at start): the
   * `meta` to restore when a job restarts before its first batch completed (checkpoint/startRecord.ts);
   * undefined for none. Inputs with `generatedPosition` need not give it.
   */
  startingPosition?(): unknown;
  /**
   * Named state (`{ name }`, StateSpec `.name(n)`): checkpointed under `n:<name>` rather than the
   * stream's position in the graph, so getOrCreate can restore it into a changed graph.
   */
  readonly stateName?: string | undefined;
  /** What a named state restored into a changed graph must still match (operation, window, store). */
  stateShape?(): string;
  /**
   * True for state kept in the checkpoint store, one entry per key (the disk-backed state store):
   * the Checkpointer never loads it, it hands the stream a reader (`attachStateReader`) instead,
   * and writes the stream's `state` changes key by key in each batch's commit.
   */
  readonly stateOnDisk?: boolean;
  attachStateReader?(reader: StateReader, restoredKeys: number): void;
  /**
   * The whole state as of batch `time` (the last one checkpointed), for a snapshot merged from
   * memory while later batches run: chunks of at most `size` stored entries each (one stored
   * value each), read lazily, that later batches do not change; undefined when it cannot give one.
   */
  stateSnapshot?(time: number, size: number): Iterable<SnapshotChunk> | undefined;
  /** Keys of the latest state, in memory and only on disk (listener figures, merge policy). */
  stateKeys?(): StateKeyCounts;
}

/** A piece of a state's snapshot: keys and their stored values, in the same order (no pair per key). */
export interface SnapshotChunk {
  readonly keys: unknown[];
  readonly values: unknown[];
}

/** `pairs` as snapshot chunks of up to `size` entries. */
export function* snapshotChunksOf(pairs: Iterable<readonly [unknown, unknown]>, size: number): Generator<SnapshotChunk> {
  let keys: unknown[] = [];
  let values: unknown[] = [];
  for (const [k, v] of pairs) {
    keys.push(k);
    values.push(v);
    if (keys.length === size) {
      yield { keys, values };
      keys = [];
      values = [];
    }
  }
  if (keys.length > 0) yield { keys, values };
}

export function isCheckpointable(x: unknown): x is Checkpointable {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Checkpointable).checkpointDelta === 'function' &&
    typeof (x as Checkpointable).restoreCheckpoint === 'function'
  );
}
