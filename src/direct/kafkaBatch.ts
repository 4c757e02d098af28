/**
 * A batch the direct Kafka stream generated: its KafkaRDD, the partitions it reads, its ranges
 * once decided, and the read of its records, one batch ahead. Apart from the stream because what
 * is kept per batch and when its records are fetched change with the read path, not with how
 * ranges are decided or recorded.
 *
 * When things happen:
 *  - batch generated: its entry is made, with its recorded ranges (a recovered batch,
 *    restoredBatch) or waiting for the stream's decision (undecidedBatch), which sets its ranges
 *    on its RDD when it comes;
 *  - its ranges decided and the batch before it running (ReadAhead.start): its records are read,
 *    so the fetch overlaps that batch's processing — one read at a time;
 *  - batch starts running (`run`): the batch after it may read;
 *  - batch completed: forgotten (completeBatches.ts).
 */
import { KafkaRDD } from '../kafka/KafkaRDD.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import { tpKey } from '../kafka/params.js';
import type { PartitionKey } from './cutRanges.js';

/** The stream's decision for a batch: its ranges, what they leave behind, the cap they were cut with. */
export interface Decision {
  ranges: OffsetRange[];
  backlog: number;
  cap: number | undefined;
}

/** The records of a batch's ranges, one array per range, and the bytes of their keys and values. */
export type BatchRecords<K, V> = { records: [K, V][][]; bytes: number };

export interface BatchEntry<K, V> {
  rdd: KafkaRDD<K, V>;
  keys: PartitionKey[];
  ranges: OffsetRange[] | undefined;
  decided: Promise<OffsetRange[]>;
  /** Records left behind the batch's ranges when they were decided. */
  backlog?: number;
  /** The records limit of the whole batch when its ranges were decided (default cap). */
  cap?: number;
  /** Bytes of keys and values read. */
  bytes?: number;
  /** The read of the batch's records, started once its ranges are decided and the batch before it runs (ReadAhead). */
  read?: Promise<BatchRecords<K, V>>;
  /** Resolves when the batch starts running: the batch after it may read then. */
  running: Promise<void>;
  run: () => void;
}

/** A recovered batch: generated again with exactly the ranges the checkpoint recorded. */
export function restoredBatch<K, V>(ranges: OffsetRange[]): BatchEntry<K, V> {
  const keys = ranges.map((r) => ({ topic: r.topic, partition: r.partition, key: tpKey(r.topic, r.partition) }));
  return { rdd: new KafkaRDD<K, V>(ranges.length, ranges), keys, ranges, decided: Promise.resolve(ranges), ...gate() };
}

/**
 * A batch reading `keys` whose ranges come with `decision`: set then (and `onCap` told the cap
 * they were cut with), unless the batch got them first (readBatch, from `decided`).
 */
export function undecidedBatch<K, V>(keys: PartitionKey[], decision: Promise<Decision>, onCap: (cap: number) => void): BatchEntry<K, V> {
  const rdd = new KafkaRDD<K, V>(keys.length);
  const decided = decision.then((d) => {
    if (!entry.ranges) {
      entry.ranges = d.ranges;
      entry.backlog = d.backlog;
      entry.cap = d.cap;
      if (d.cap !== undefined) onCap(d.cap);
      rdd.setRanges(d.ranges);
    }
    return d.ranges;
  });
  decided.catch(() => undefined); // awaited by prepareBatch/readBatch; not an unhandled rejection meanwhile
  const entry: BatchEntry<K, V> = { rdd, keys, ranges: undefined, decided, ...gate() };
  return entry;
}

/** Reads each batch once its ranges are decided and the batch before it runs: one batch ahead, one read at a time. */
export class ReadAhead {
  /** Resolves when the last batch entered starts running and its read is done: the next batch may read then. */
  private previousRunning: Promise<void> = Promise.resolve();

  /** Starts the read of `entry`'s records (`read` of its ranges) when its turn comes. */
  start<K, V>(entry: BatchEntry<K, V>, read: (ranges: OffsetRange[]) => Promise<BatchRecords<K, V>>): void {
    const before = this.previousRunning;
    const records = Promise.all([entry.decided, before]).then(([ranges]) => read(ranges));
    records.catch(() => undefined); // awaited by readBatch; not an unhandled rejection meanwhile
    entry.read = records;
    // The next batch may read once this one runs and its own read is done: one read at a time.
    this.previousRunning = Promise.all([entry.running, records.catch(() => undefined)]).then(() => undefined);
  }
}

/** A batch's `running` promise and the function that resolves it. */
function gate(): { running: Promise<void>; run: () => void } {
  let run!: () => void;
  const running = new Promise<void>((resolve) => (run = resolve));
  return { running, run };
}
