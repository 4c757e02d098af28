import { KeyMap } from '../rdd/keys.js';

/**
 * Changed keys in order, with their entries (undefined: removed) and, where later batches may
 * have changed the entries since (capturePending), what each stores in `values`.
 */
export type Changes<K, E> = { keys: K[]; entries: (E | undefined)[]; values?: unknown[] };

/**
 * The keys a stateful stream changed, batch by batch, since its last checkpoint: what an
 * incremental checkpoint writes. `E` is what the stream needs to write a key's value later
 * (the committed, never again mutated entry); `undefined` records a removal.
 *
 * The log never costs more than the state itself: once it holds more changes than
 * max(4096, 2 × the state's size) — checkpoints are not being taken, or every key changes
 * every batch — it is dropped and the next checkpoint is a full copy instead. Batches held for a
 * checkpoint still to come (`hold`, group commit: at most a few) never drop it.
 *
 * Several batches taken at once (group commit) need each key once. `replacedIn` (optional) tells,
 * for an entry, the edit of the batch that replaced or removed it (0: not since): the batches are
 * then taken in one pass, skipping the entries a later batch of them replaced (mapWithState).
 * An entry that later batches may change in place (mapWithState's leaves) is also `claim`ed: the
 * batches are then read last first, and only an entry's last appearance is kept. Such a stream
 * calls `capturePending` before a batch writes in place: the batches still in the log keep their
 * entries' stored forms (`storedOf`) as they were.
 * `diff` (optional) gives the changes up to a time by comparing the stream's versions instead,
 * reading no entry (updateStateByKey, whose every batch is O(state) anyway). Without either,
 * they are merged by key, and batches are not held.
 */
export class ChangeLog<K, E> {
  private batches: { time: number; edit: number; keys: K[]; entries: (E | undefined)[]; values?: unknown[]; unique: boolean }[] = [];
  private takes = 0;
  private pending = 0;
  /** A full copy is owed for every checkpoint up to and including the first one at or after this time. */
  private fullUntil: number | undefined;
  /** The batches up to this time are held for a later take: the log is not dropped meanwhile. */
  private heldUntil: number | undefined;
  /** The time of the last take (or of the version a reset started from). */
  private taken: number | undefined;

  constructor(
    private readonly replacedIn?: (entry: E) => number,
    /** The changes from the last take (`takenAt`) up to `time`, or undefined when the versions to compare are gone. */
    private readonly diff?: (time: number) => Changes<K, E> | undefined,
    /** Claims `entry` for take number `take`: false when this take claimed it already. */
    private readonly claim?: (entry: E, take: number) => boolean,
    /** What is stored for `entry` (its value as it is now). */
    private readonly storedOf?: (entry: E) => unknown,
  ) {}

  /**
   * Batch `time` committed these changes (in order; a later change of a key wins). `unique`: the
   * caller knows no key appears twice (then a checkpoint of this batch alone needs no merge).
   * `edit`: the batch's edit number (see `replacedIn`).
   */
  record(time: number, keys: K[], entries: (E | undefined)[], stateSize: number, unique = false, edit = 0): void {
    if (this.fullUntil !== undefined && time <= this.fullUntil) return; // covered by the full copy owed
    if (keys.length > 0) {
      this.batches.push({ time, edit, keys, entries, unique });
      this.pending += keys.length;
    }
    if (this.pending > Math.max(4096, 2 * stateSize) && this.heldUntil === undefined) this.requireFull(time);
  }

  /**
   * Keep batch `time`'s changes for a take at a later time (which then includes them), never
   * dropping the log for a full copy until then. Returns how many changes the batch recorded, or
   * undefined — nothing held — when the next checkpoint must be a full copy anyway, the log
   * cannot take several batches in one pass (neither `replacedIn` nor `diff`), or `ok` refuses
   * one of the batch's puts.
   */
  hold(time: number, ok: (key: K, entry: E) => boolean): number | undefined {
    if (this.fullUntil !== undefined || (this.replacedIn === undefined && this.diff === undefined)) return undefined;
    let n = 0;
    for (let i = this.batches.length - 1; i >= 0 && this.batches[i]!.time === time; i--) {
      const { keys, entries } = this.batches[i]!;
      for (let j = 0; j < keys.length; j++) {
        const e = entries[j];
        if (e !== undefined && !ok(keys[j]!, e)) return undefined;
      }
      n += keys.length;
    }
    this.heldUntil = time;
    return n;
  }

  /**
   * The batches still in the log keep what their entries store as it is now: a batch is about to
   * change entries in place. Usually none is (each batch is taken at its own commit); a group
   * commit holds a few.
   */
  capturePending(): void {
    const storedOf = this.storedOf;
    if (storedOf === undefined) return;
    for (const b of this.batches) {
      if (b.values !== undefined) continue;
      const values = new Array<unknown>(b.entries.length);
      for (let i = 0; i < values.length; i++) {
        const e = b.entries[i];
        values[i] = e === undefined ? undefined : storedOf(e);
      }
      b.values = values;
    }
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
    this.pending = 0;
    this.heldUntil = undefined;
    this.fullUntil = Math.max(time, this.fullUntil ?? time);
  }

  /**
   * The changes of every batch up to `time`, each key once with its last entry (undefined:
   * removed; a removal may be listed more than once, and before a later put of its key), or
   * 'full' when only a full copy can describe them. Consumes them.
   */
  take(time: number): Changes<K, E> | 'full' {
    const changes = this.takeUpTo(time);
    this.taken = time;
    return changes;
  }

  private takeUpTo(time: number): Changes<K, E> | 'full' {
    let i = 0;
    while (i < this.batches.length && this.batches[i]!.time <= time) i++;
    const taken = this.batches.splice(0, i);
    for (const b of taken) this.pending -= b.keys.length;
    if (this.heldUntil !== undefined && this.heldUntil <= time) this.heldUntil = undefined;
    if (this.fullUntil !== undefined) {
      if (time >= this.fullUntil) this.fullUntil = undefined;
      return 'full';
    }
    if (taken.length === 0) return { keys: [], entries: [] };
    // The common case, a checkpoint every batch: that batch's own changes, each key once.
    if (taken.length === 1 && taken[0]!.unique) return taken[0]!;
    const compared = this.diff?.(time);
    if (compared !== undefined) return compared;
    const replacedIn = this.replacedIn;
    const keys: K[] = [];
    const entries: (E | undefined)[] = [];
    const claim = this.claim;
    const storedOf = this.storedOf;
    if (replacedIn !== undefined && claim !== undefined && storedOf !== undefined) {
      // Last batch first: an entry is written at its last appearance (a later batch may have
      // written it in place), with the value its batch captured; reversed back at the end.
      const last = taken[taken.length - 1]!.edit;
      const take = ++this.takes;
      const values: unknown[] = [];
      for (let b = taken.length - 1; b >= 0; b--) {
        const batch = taken[b]!;
        for (let j = batch.keys.length - 1; j >= 0; j--) {
          const e = batch.entries[j];
          if (e !== undefined) {
            const r = replacedIn(e);
            if ((r !== 0 && r <= last) || !claim(e, take)) continue;
          }
          keys.push(batch.keys[j]!);
          entries.push(e);
          values.push(batch.values !== undefined ? batch.values[j] : e === undefined ? undefined : storedOf(e));
        }
      }
      return { keys: keys.reverse(), entries: entries.reverse(), values: values.reverse() };
    }
    if (replacedIn !== undefined) {
      // An entry a batch up to `time` replaced or removed is not its key's last: skipped. Each
      // key's last put is then the only one left, and its removals apply before it.
      const last = taken[taken.length - 1]!.edit;
      for (const b of taken) {
        for (let j = 0; j < b.keys.length; j++) {
          const e = b.entries[j];
          if (e !== undefined) {
            const r = replacedIn(e);
            if (r !== 0 && r <= last) continue;
          }
          keys.push(b.keys[j]!);
          entries.push(e);
        }
      }
      return { keys, entries };
    }
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
    this.pending = 0;
    this.fullUntil = undefined;
    this.heldUntil = undefined;
  }
}
