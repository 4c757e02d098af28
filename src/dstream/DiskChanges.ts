/**
 * The changes of a disk-backed state (mapWithState, updateStateByKey, reduceByKeyAndWindow) between the
 * batch that makes them and the moment the store surely returns them.
 *
 * When things happen: a batch that succeeded `record`s its changes (latest per key); they are
 * `unsettled` — read before the store, since the commit holding them may not be written yet
 * (group commit writes it while the next batches run). `take(time)` hands the batches up to
 * `time` over to the checkpoint; once the commit holding them is written the Checkpointer says so
 * (Checkpointable.checkpointWritten) and `settle(time)` drops them from `unsettled`.
 */
import { codeOf } from '../rdd/keyCode.js';
import { SpillWriter, type Spill } from '../rdd/SpillRDD.js';

/** Entries read per step of a scan of the store. */
const SCAN_CHUNK = 2000;

/** A key's change, or (in a cache) its committed value: what the store holds once the commits in flight land. */
export interface Change<K, V> {
  key: K;
  /** undefined: the key was removed (has no state). */
  value: V | undefined;
  /** The batch that wrote it (0: read from the store). */
  time: number;
  /** A disk-backed mapWithState with a timeout: the time of last write the key had before (its idle entry to remove). */
  prev?: number | undefined;
}

export class DiskChanges<K, V> {
  /** The latest change of each key not yet known durable, by key code. */
  readonly unsettled = new Map<unknown, Change<K, V>>();
  /** Each batch's changes, until a checkpoint takes them. */
  private readonly batches = new Map<number, Map<unknown, Change<K, V>>>();

  /** Batch `time` committed `changes` (by key code): every user function of the batch succeeded. A batch may record several times (a window's slides caught up). */
  record(time: number, changes: Map<unknown, Change<K, V>>): void {
    for (const [code, change] of changes) this.unsettled.set(code, change);
    const earlier = this.batches.get(time);
    if (earlier === undefined) this.batches.set(time, changes);
    else for (const [code, change] of changes) earlier.set(code, change);
  }

  /** The commit holding the changes of the batches up to `time` is written: the store returns them now. */
  settle(time: number): void {
    for (const [code, change] of this.unsettled) if (change.time <= time) this.unsettled.delete(code);
  }

  /**
   * The changes of the batches up to `time` not taken yet: the last one of each key; `each` sees
   * every change on the way (older ones of a key included).
   */
  take(time: number, each?: (change: Change<K, V>) => void): Iterable<Change<K, V>> {
    const merged = new Map<unknown, Change<K, V>>();
    for (const [t, batch] of this.batches) {
      if (t > time) break;
      for (const [code, change] of batch) {
        merged.set(code, change);
        each?.(change);
      }
      this.batches.delete(t);
    }
    return merged.values();
  }

  /**
   * The state as the store will hold it once the commits in flight land — what `store` scans
   * (flat key, value, key, value …) with the unsettled changes over it — into `numPartitions`
   * spill files; `spilled` turns a value (stored or changed) into the one spilled.
   */
  async spill(store: { scan(size: number): AsyncIterable<unknown[]> }, numPartitions: number, spilled: (value: V) => unknown): Promise<Spill> {
    const overlay = new Map(this.unsettled);
    const spill = new SpillWriter(numPartitions);
    try {
      for await (const flat of store.scan(SCAN_CHUNK)) {
        for (let i = 0; i < flat.length; i += 2) {
          const code = codeOf(flat[i]);
          const over = overlay.get(code);
          if (over !== undefined) overlay.delete(code);
          const value = over === undefined ? (flat[i + 1] as V) : over.value;
          if (value !== undefined) spill.put(flat[i], spilled(value));
        }
      }
      for (const over of overlay.values()) if (over.value !== undefined) spill.put(over.key, spilled(over.value));
    } catch (err) {
      spill.abandon();
      throw err;
    }
    return spill.finish();
  }

  reset(): void {
    this.unsettled.clear();
    this.batches.clear();
  }
}
