/**
 * The default size limit of a batch, for every input that can have a backlog (direct Kafka and
 * Kinesis streams, a folder full of files, a receiver's write-ahead log replayed after a crash).
 * Spark takes a whole backlog as one batch unless a rate is set; a job restarted after a day of
 * downtime then reads a day of data into memory at once. Here a batch takes at most:
 *
 *   records ≤ clamp(rate shown × batch duration, minRecords, maxRecords)   (startRecords before any rate)
 *   bytes   ≤ maxBytes                                                     (startBytes before any batch)
 *
 * "Rate shown" is records per second of processing time of the last batches large enough to say
 * (a batch of at least MIN_SAMPLE records or a tenth of the cap it ran under): so a batch takes
 * about one batch interval to process and catch-up runs as full batches back to back. The bytes
 * limit bounds memory when the job is fast and records are large.
 *
 * When things happen: an input asks `records()`/`bytes()` when it cuts a batch (Kafka: when it
 * decides the ranges), and tells `observe()` when the batch completed. Rate options override it:
 * an input with maxRatePerPartition/maxFilesPerBatch-style settings uses those instead
 * (DirectRateController), and backpressure's PID estimator starts from `rate`.
 */

/** The limits of the default cap; every one can be given in place of the default. */
export interface BatchCapLimits {
  /** Records of the first batch, before any rate is known (default 100 000). */
  startRecords: number;
  /** Bytes of the batches before the first one completed (default 16 MiB). */
  startBytes: number;
  /** Records of a batch at most, whatever the rate (default 500 000). */
  maxRecords: number;
  /** Bytes of a batch at most (default 64 MiB). */
  maxBytes: number;
  /** Records of a batch at least, however slow the job (default 100). */
  minRecords: number;
}

export const DEFAULT_BATCH_CAP: Readonly<BatchCapLimits> = Object.freeze({
  startRecords: 100_000,
  startBytes: 16 * 1024 * 1024,
  maxRecords: 500_000,
  maxBytes: 64 * 1024 * 1024,
  minRecords: 100,
});

/** A batch smaller than this (and than a tenth of its cap) says little about the rate: per-batch overhead dominates. */
const MIN_SAMPLE = 1000;

/** The cap a batch was cut with, for listeners and tests. */
export interface CapInForce {
  records: number;
  bytes: number;
}

export class BatchCap {
  readonly limits: Readonly<BatchCapLimits>;
  /** Records per second of processing time the job has shown; undefined before it has. */
  private shownRate: number | undefined;
  private observedBytesPerRecord: number | undefined;
  private completedOne = false;

  constructor(
    private readonly batchDurationMs: number,
    limits: Partial<BatchCapLimits> = {},
  ) {
    if (!(batchDurationMs > 0)) throw new RangeError(`batch duration must be positive, got ${batchDurationMs}`);
    const l = { ...DEFAULT_BATCH_CAP };
    for (const [k, v] of Object.entries(limits) as Array<[keyof BatchCapLimits, number | undefined]>) {
      if (v === undefined) continue;
      if (!(typeof v === 'number' && v > 0)) throw new RangeError(`batch cap ${k} must be a positive number, got ${String(v)}`);
      l[k] = v;
    }
    // Given alone, a maximum also bounds the start (a cap of 10 000 records means the first batch too).
    l.startRecords = Math.min(l.startRecords, l.maxRecords);
    l.startBytes = Math.min(l.startBytes, l.maxBytes);
    l.minRecords = Math.min(l.minRecords, l.maxRecords);
    this.limits = Object.freeze(l);
  }

  /** Records/s of processing the job has shown (undefined before a batch large enough completed). */
  get rate(): number | undefined {
    return this.shownRate;
  }

  /** Bytes per record of the batches seen (or a sample an input took), undefined before any. */
  get bytesPerRecord(): number | undefined {
    return this.observedBytesPerRecord;
  }

  /** The records limit of the next batch, ignoring bytes. */
  get recordsLimit(): number {
    const { startRecords, minRecords, maxRecords } = this.limits;
    if (this.shownRate === undefined) return startRecords;
    const byRate = Math.floor((this.shownRate * this.batchDurationMs) / 1000);
    return Math.max(minRecords, Math.min(maxRecords, byRate));
  }

  /** The bytes limit of the next batch, ignoring records. */
  get bytesLimit(): number {
    return this.completedOne ? this.limits.maxBytes : this.limits.startBytes;
  }

  /** Both limits of the next batch. */
  get current(): CapInForce {
    return { records: this.recordsLimit, bytes: this.bytesLimit };
  }

  /**
   * For an input that counts records before reading them (Kafka offsets): the records limit,
   * and the bytes limit read through the bytes per record seen so far.
   */
  records(): number {
    const r = this.recordsLimit;
    const bpr = this.observedBytesPerRecord;
    if (bpr === undefined || bpr <= 0) return r;
    return Math.max(1, Math.min(r, Math.floor(this.bytesLimit / bpr)));
  }

  /**
   * For an input that knows sizes before reading (files): the bytes limit, and the records
   * limit read through the bytes per record seen so far.
   */
  bytes(): number {
    const b = this.bytesLimit;
    const bpr = this.observedBytesPerRecord;
    if (bpr === undefined || bpr <= 0) return b;
    return Math.max(1, Math.min(b, Math.floor(this.recordsLimit * bpr)));
  }

  /** An estimate of bytes per record from a sample read before the first batch (Kafka's first fetch). */
  sample(records: number, bytes: number): void {
    if (records > 0 && bytes >= 0) this.observedBytesPerRecord = Math.max(1, bytes / records);
  }

  /**
   * A batch completed: `records` and `bytes` it took (bytes undefined when the input cannot
   * tell), `processingMs` from its start to its end, `cap` the records limit it was cut with.
   */
  observe(records: number, bytes: number | undefined, processingMs: number, cap: number = this.recordsLimit): void {
    this.completedOne = true;
    if (bytes !== undefined && records > 0 && bytes >= 0) {
      const bpr = Math.max(1, bytes / records);
      this.observedBytesPerRecord =
        this.observedBytesPerRecord === undefined ? bpr : 0.5 * this.observedBytesPerRecord + 0.5 * bpr;
    }
    if (records < Math.min(MIN_SAMPLE, cap / 10) || !(processingMs > 0)) return;
    this.shownRate = (records * 1000) / processingMs;
  }
}

/**
 * Splits a whole batch's `total` among partitions in proportion to their lag (records behind):
 * the shares sum to at most `total`. Equal shares when no lag is known (all 0) — a stream that
 * cannot tell a shard's lag (Kinesis) passes 1 for each. A share may exceed its partition's
 * lag; the stream stops at the partition's end anyway.
 */
export function shareByLag(total: number, lag: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  const weights = [...lag].map(([k, l]): [string, number] => [k, Number.isFinite(l) && l > 0 ? l : 0]);
  let sum = 0;
  for (const [, w] of weights) sum += w;
  if (sum === 0) for (const w of weights) w[1] = 1;
  if (sum === 0) sum = weights.length;
  let given = 0;
  const rest: Array<[string, number]> = [];
  for (const [k, w] of weights) {
    const exact = (w * total) / sum;
    const share = Math.floor(exact);
    out.set(k, share);
    given += share;
    rest.push([k, exact - share]);
  }
  // What flooring left over goes to the largest remainders, one record each.
  rest.sort((a, b) => b[1] - a[1]);
  for (let i = 0; given < total && i < rest.length; i++, given++) {
    const k = rest[i]![0];
    out.set(k, out.get(k)! + 1);
  }
  return out;
}
