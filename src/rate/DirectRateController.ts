import { BatchCap, shareByLag, type BatchCapLimits } from './BatchCap.js';
import { PIDRateEstimator } from './PIDRateEstimator.js';
import type { ResolvedKafkaParams } from '../kafka/params.js';

/** The rate settings a direct stream (Kafka, Kinesis) takes; a Kinesis shard is a partition here. */
export type DirectRateParams = Pick<
  ResolvedKafkaParams,
  'maxRatePerPartition' | 'minRatePerPartition' | 'backpressure' | 'initialRate' | 'pidMinRate'
> & {
  /** The default cap's limits given in place of its defaults (maxRecordsPerBatch, maxBytesPerBatch). */
  batchCap?: Partial<BatchCapLimits>;
};

/**
 * How many records a direct stream's batch may take per partition: Spark's
 * DirectKafkaInputDStream.maxMessagesPerPartition, with a default. Spark takes everything up to
 * the latest offsets when no rate is set; here, without maxRatePerPartition, a batch takes at
 * most the default cap (rate/BatchCap.ts: about what the job processes in one batch interval,
 * bounded in records and bytes), shared among partitions in proportion to their lag.
 * maxRatePerPartition overrides it as in Spark (rate × batch seconds per partition, however
 * large). With backpressure the PID estimate (records/s, whole stream) is shared the same way,
 * each share capped by maxRatePerPartition; it starts from `backpressure.initialRate`, else from
 * the default cap, and the default cap still bounds it unless maxRatePerPartition is set.
 */
export class DirectRateController {
  private readonly estimator: PIDRateEstimator | undefined;
  /** The latest backpressure estimate (records/s, whole stream); Infinity: none. */
  private rate: number;
  /** The default cap; undefined when maxRatePerPartition overrides it. */
  readonly cap: BatchCap | undefined;
  private readonly params: DirectRateParams;

  constructor(params: DirectRateParams, private readonly batchDurationMs: number) {
    this.params = params;
    this.cap = Number.isFinite(params.maxRatePerPartition) ? undefined : new BatchCap(batchDurationMs, params.batchCap);
    this.estimator = params.backpressure
      ? new PIDRateEstimator(batchDurationMs, { minRate: params.pidMinRate })
      : undefined;
    let start = Infinity;
    if (params.backpressure) {
      start = Number.isFinite(params.initialRate)
        ? params.initialRate
        : this.cap
          ? (this.cap.recordsLimit * 1000) / batchDurationMs
          : Infinity;
    }
    this.rate = start;
  }

  /** The current backpressure estimate in records/s (Infinity: none). */
  get estimatedRate(): number {
    return this.rate;
  }

  /**
   * The most records each partition may contribute to the next batch, or undefined when
   * unlimited (maxRatePerPartition set to an unlimited value is the only way: the default cap
   * always limits). `lag` is latest offset minus next offset, per partition key.
   */
  maxMessagesPerPartition(lag: ReadonlyMap<string, number>): Map<string, number> | undefined {
    const maxPer = this.params.maxRatePerPartition;
    const secs = this.batchDurationMs / 1000;
    const floor = Math.ceil(this.params.minRatePerPartition);
    if (Number.isFinite(this.rate) && this.rate > 0) {
      let totalLag = 0;
      for (const l of lag.values()) totalLag += Math.max(0, l);
      const out = new Map<string, number>();
      for (const [k, l] of lag) {
        const share = totalLag > 0 ? (Math.max(0, l) / totalLag) * this.rate : this.rate / Math.max(1, lag.size);
        out.set(k, Math.max(Math.floor(secs * Math.min(share, maxPer)), floor));
      }
      if (!this.cap) return out;
      // The default cap bounds what backpressure allows, but not below minRatePerPartition
      // (Spark: max(secs × rate, minRatePerPartition) per partition); a partition never takes
      // more than it has (cutRanges stops at its latest offset).
      const capped = shareByLag(this.cap.records(), lag);
      for (const [k, n] of out) out.set(k, Math.max(Math.min(n, capped.get(k) ?? n), floor));
      return out;
    }
    if (Number.isFinite(maxPer)) {
      return new Map([...lag.keys()].map((k) => [k, Math.max(Math.floor(secs * maxPer), floor)]));
    }
    return shareByLag(this.cap!.records(), lag);
  }

  /**
   * Feeds a completed batch to the estimator and the default cap: `records` and `bytes` (when
   * known) it took, the records limit it was cut with (`cappedAt`).
   */
  onBatchCompleted(
    endTime: number,
    records: number,
    processingDelay: number,
    schedulingDelay: number,
    bytes?: number,
    cappedAt?: number,
  ): void {
    this.cap?.observe(records, bytes, processingDelay, cappedAt);
    if (!this.estimator) return;
    const r = this.estimator.compute(endTime, records, processingDelay, schedulingDelay);
    if (r !== undefined && Number.isFinite(r) && r > 0) this.rate = r;
  }
}
