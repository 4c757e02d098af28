import { KeyMap } from '../rdd/keys.js';
import { packedArray } from '../util/packedArray.js';

/** Changed keys in order, with their entries (undefined: removed). */
export type Changes<K, E> = { keys: K[]; entries: (E | undefined)[] };

/**
 * Changes as a checkpoint stores them (a superseding log's take): the puts flat, [key, value, key,
 * value, …] with the values the batches gave, and the removed keys, which apply before the puts.
 */
export type StoredChanges<K> = { flat: unknown[]; deletes: K[] };

/** How many arrays a log keeps for reuse: a batch fills two (its keys and values). */
const MAX_SPARE = 4;

/** How a log takes several batches in one pass (group commit); with neither, it merges them by key and holds none. */
export interface ChangeLogOptions<K, E> {
  /** The changes from the last take (`takenAt`) up to `time`, or undefined when the versions to compare are gone. */
  diff?: (time: number) => Changes<K, E> | undefined;
  /** The stream marks the entries later batches superseded and gives each batch's values (see the class). */
  superseding?: {
    /** Whether values are stored with the time of the batch that logged them, [value, time] (mapWithState with a timeout). */
    stamped?: () => boolean;
    /**
     * Where the log puts its taken batches' key and value arrays, which nothing reads any more, for
     * the next batches to fill (Appender's `reuse`): large arrays made afresh cost a page fault a
     * 4 KB page, ~14 us each on this VM.
     */
    spare?: unknown[][];
  };
}

interface LoggedBatch<K, E> {
  time: number;
  edit: number;
  keys: K[];
  entries: (E | undefined)[];
  values?: unknown[];
  /** Per entry, the edit of the batch that superseded it (0: none yet); made at the first. */
  superseded?: Int32Array;
  unique: boolean;
}

/**
 * The keys a stateful stream changed, batch by batch, since its last checkpoint: what an
 * incremental checkpoint writes. `E` is what the stream keeps of a changed key (updateStateByKey:
 * its committed pair; mapWithState: its leaf, which a later batch may change in place, hence the
 * values it logs beside); `undefined` records a removal.
 *
 * The log never costs more than the state itself: once it holds more changes than
 * max(4096, 2 × the state's size) — checkpoints are not being taken, or every key changes
 * every batch — it is dropped and the next checkpoint is a full copy instead. Batches held for a
 * checkpoint still to come (`hold`, group commit: at most a few) never drop it.
 *
 * Several batches taken at once (group commit) need each key once. In a `superseding` log
 * (mapWithState) a batch marks the entries of the batches still in the log that it replaces or
 * removes (`marksOf`: its loop knows, having just read the key's leaf), and each batch gives its
 * values with its keys: a take then reads no entry, only the log's own arrays (at 1 M keys a take
 * that read each entry's leaf cost ~220 ns a key in cache misses, ~15 % of a batch). `diff` gives
 * the changes up to a time by comparing the stream's versions instead, reading no entry
 * (updateStateByKey, whose every batch is O(state) anyway). Without either, batches are merged by
 * key, and none is held.
 */
export class ChangeLog<K, E> {
  private batches: LoggedBatch<K, E>[] = [];
  private pending = 0;
  /** A full copy is owed for every checkpoint up to and including the first one at or after this time. */
  private fullUntil: number | undefined;
  /** The batches up to this time are held for a later take: the log is not dropped meanwhile. */
  private heldUntil: number | undefined;
  /** The time of the last take (or of the version a reset started from). */
  private taken: number | undefined;
  /** Batches that failed after marking entries of the log's batches (voidMarks). */
  private readonly failedEdits = new Set<number>();

  private readonly diff: ChangeLogOptions<K, E>['diff'];
  private readonly superseding: ChangeLogOptions<K, E>['superseding'];

  constructor(options: ChangeLogOptions<K, E> = {}) {
    this.diff = options.diff;
    this.superseding = options.superseding;
  }

  /** The edit of the oldest batch in the log (Infinity: none): an entry born at or after it may be superseded. */
  get oldestEdit(): number {
    return this.batches.length > 0 ? this.batches[0]!.edit : Infinity;
  }

  /**
   * Where batch `edit`'s entries are marked superseded: at an entry's index, the edit of the batch
   * that replaced or removed it (0: none yet). A take that includes that batch skips the entry;
   * one that ends before it does not. Undefined when batch `edit` is not in the log.
   */
  marksOf(edit: number): Int32Array | undefined {
    for (let b = this.batches.length - 1; b >= 0; b--) {
      const batch = this.batches[b]!;
      if (batch.edit === edit) return (batch.superseded ??= new Int32Array(batch.keys.length));
      if (batch.edit < edit) break;
    }
    return undefined;
  }

  /** Batch `edit` failed: the marks it made are void (an edit number is never used again). */
  voidMarks(edit: number): void {
    if (this.batches.length > 0) this.failedEdits.add(edit);
  }

  /**
   * Batch `time` committed these changes (in order; a later change of a key wins). `unique`: the
   * caller knows no key appears twice (then a checkpoint of this batch alone needs no merge).
   * `edit`: the batch's edit number (see `marksOf`); `values`: each entry's value as the batch left
   * it (a superseding log: later batches may change the entries in place).
   */
  record(time: number, keys: K[], entries: (E | undefined)[], stateSize: number, unique = false, edit = 0, values?: unknown[]): void {
    if (this.fullUntil !== undefined && time <= this.fullUntil) return; // covered by the full copy owed
    if (this.superseding !== undefined && values === undefined) throw new Error("a superseding change log needs each batch's values");
    if (keys.length > 0) {
      this.batches.push({ time, edit, keys, entries, values, unique });
      this.pending += keys.length;
    }
    if (this.pending > Math.max(4096, 2 * stateSize) && this.heldUntil === undefined) this.requireFull(time);
  }

  /**
   * Keep batch `time`'s changes for a take at a later time (which then includes them), never
   * dropping the log for a full copy until then. Returns how many changes the batch recorded, or
   * undefined — nothing held — when the next checkpoint must be a full copy anyway, the log
   * cannot take several batches in one pass (neither superseding nor `diff`), or `ok` refuses
   * one of the batch's puts (given its value, when the batch gave values).
   */
  hold(time: number, ok: (key: K, entry: E, value: unknown) => boolean): number | undefined {
    if (this.fullUntil !== undefined || (this.superseding === undefined && this.diff === undefined)) return undefined;
    let n = 0;
    for (let i = this.batches.length - 1; i >= 0 && this.batches[i]!.time === time; i--) {
      const { keys, entries, values } = this.batches[i]!;
      for (let j = 0; j < keys.length; j++) {
        const e = entries[j];
        if (e !== undefined && !ok(keys[j]!, e, values?.[j])) return undefined;
      }
      n += keys.length;
    }
    this.heldUntil = time;
    return n;
  }

  /** The time of the last take, or of the version the last reset started from: what `diff` compares with. */
  get takenAt(): number | undefined {
    return this.taken;
  }

  /** The last batch held for a later take (hold), if any. */
  get heldTime(): number | undefined {
    return this.heldUntil;
  }

  /** Forget the recorded changes: the checkpoint at or after `time` must be a full copy. */
  requireFull(time: number): void {
    this.batches = [];
    this.failedEdits.clear();
    this.pending = 0;
    this.heldUntil = undefined;
    this.fullUntil = Math.max(time, this.fullUntil ?? time);
  }

  /**
   * The changes of every batch up to `time`, each key once with its last entry (undefined:
   * removed; a removal may be listed more than once, and before a later put of its key), or
   * 'full' when only a full copy can describe them. Consumes them.
   */
  take(time: number): Changes<K, E> | StoredChanges<K> | 'full' {
    const changes = this.takeUpTo(time);
    this.taken = time;
    return changes;
  }

  private takeUpTo(time: number): Changes<K, E> | StoredChanges<K> | 'full' {
    let i = 0;
    while (i < this.batches.length && this.batches[i]!.time <= time) i++;
    const taken = this.batches.splice(0, i);
    for (const b of taken) this.pending -= b.keys.length;
    if (this.heldUntil !== undefined && this.heldUntil <= time) this.heldUntil = undefined;
    if (this.fullUntil !== undefined) {
      if (time >= this.fullUntil) this.fullUntil = undefined;
      return 'full';
    }
    const superseding = this.superseding;
    if (superseding !== undefined) {
      if (taken.length === 0) return { flat: [], deletes: [] };
      const changes = storedChanges(taken, this.failedEdits, superseding.stamped?.() === true);
      const spare = superseding.spare;
      if (spare !== undefined) for (const b of taken) if (spare.length < MAX_SPARE) spare.push(b.keys, b.values!);
      if (this.failedEdits.size > 0) for (const e of this.failedEdits) if (e <= taken[taken.length - 1]!.edit) this.failedEdits.delete(e);
      return changes;
    }
    if (taken.length === 0) return { keys: [], entries: [] };
    // The common case, a checkpoint every batch: that batch's own changes, each key once.
    if (taken.length === 1 && taken[0]!.unique) return taken[0]!;
    const compared = this.diff?.(time);
    if (compared !== undefined) return compared;
    const keys: K[] = [];
    const entries: (E | undefined)[] = [];
    const merged = new KeyMap<K, E | undefined>();
    for (const b of taken) for (let j = 0; j < b.keys.length; j++) merged.set(b.keys[j]!, b.entries[j]);
    for (const e of merged.entries()) {
      keys.push(e.key);
      entries.push(e.value);
    }
    return { keys, entries };
  }

  /** Forget everything: the state was rebuilt as of `time` (a restore), which the next take starts from. */
  reset(time?: number): void {
    this.taken = time;
    this.batches = [];
    this.failedEdits.clear();
    this.pending = 0;
    this.fullUntil = undefined;
    this.heldUntil = undefined;
  }
}

/**
 * A superseding log's batches as stored: an entry a batch among them superseded is not its key's
 * last, and is skipped; each key's last put is then the only one left, and its removals apply
 * before it. Straight from the log's own arrays into the delta's flat array, sized once (a .scratch
 * microbench, 20 k entries: ~140 ns an entry pushed into three growing arrays and copied again into
 * the delta, ~50 so).
 */
function storedChanges<K, E>(taken: LoggedBatch<K, E>[], failed: ReadonlySet<number>, stamped: boolean): StoredChanges<K> {
  const last = taken[taken.length - 1]!.edit;
  const skipped = (by: number): boolean => by !== 0 && by <= last && (failed.size === 0 || !failed.has(by));
  // Counted first: the array is made at its final size (a group of 10 k-key batches supersedes
  // most of its entries, and an array of several hundred thousand slots takes milliseconds).
  let puts = 0;
  const deletes: K[] = [];
  for (const { keys, entries, superseded } of taken) {
    for (let j = 0; j < keys.length; j++) {
      if (superseded !== undefined && skipped(superseded[j]!)) continue;
      if (entries[j] === undefined) deletes.push(keys[j]!);
      else puts++;
    }
  }
  const flat = packedArray<unknown>(2 * puts);
  let o = 0;
  for (const { time, keys, entries, values, superseded } of taken) {
    for (let j = 0; j < keys.length; j++) {
      if ((superseded !== undefined && skipped(superseded[j]!)) || entries[j] === undefined) continue;
      flat[o++] = keys[j];
      flat[o++] = stamped ? [values![j], time] : values![j];
    }
  }
  return { flat, deletes };
}
