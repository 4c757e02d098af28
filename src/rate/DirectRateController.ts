import { PIDRateEstimator } from './PIDRateEstimator.js';
import type { ResolvedKafkaParams } from '../kafka/params.js';

/**
 * How many records a direct stream's batch may take per partition: Spark's
 * DirectKafkaInputDStream.maxMessagesPerPartition. Without a limit (no maxRatePerPartition, no
 * backpressure estimate) a batch takes everything up to the latest offsets. With backpressure the
 * estimated rate (records/s for the whole stream) is shared among partitions in proportion to
 * their lag, each share capped by maxRatePerPartition; the limit per batch is rate × batch
 * seconds, and at least minRatePerPartition records.
 */
export class DirectRateController {
  private readonly estimator: PIDRateEstimator | undefined;
  /** The latest backpressure estimate (records/s, whole stream); Infinity: none. */
  private rate: number;

  constructor(
    private readonly params: Pick<
      ResolvedKafkaParams,
      'maxRatePerPartition' | 'minRatePerPartition' | 'backpressure' | 'initialRate' | 'pidMinRate'
    >,
    private readonly batchDurationMs: number,
  ) {
    this.estimator = params.backpressure
      ? new PIDRateEstimator(batchDurationMs, { minRate: params.pidMinRate })
      : undefined;
    this.rate = params.backpressure ? params.initialRate : Infinity;
  }

  /** The current backpressure estimate in records/s (Infinity: none). */
  get estimatedRate(): number {
    return this.rate;
  }

  /**
   * The most records each partition may contribute to the next batch, or undefined when
   * unlimited. `lag` is latest offset minus next offset, per partition key.
   */
  maxMessagesPerPartition(lag: ReadonlyMap<string, number>): Map<string, number> | undefined {
    const maxPer = this.params.maxRatePerPartition;
    let perPartitionRate: Map<string, number>;
    if (Number.isFinite(this.rate) && this.rate > 0) {
      let totalLag = 0;
      for (const l of lag.values()) totalLag += Math.max(0, l);
      perPartitionRate = new Map();
      for (const [k, l] of lag) {
        const share = totalLag > 0 ? (Math.max(0, l) / totalLag) * this.rate : this.rate / Math.max(1, lag.size);
        perPartitionRate.set(k, Math.min(share, maxPer));
      }
    } else if (Number.isFinite(maxPer)) {
      perPartitionRate = new Map([...lag.keys()].map((k) => [k, maxPer]));
    } else {
      return undefined;
    }
    const secs = this.batchDurationMs / 1000;
    const out = new Map<string, number>();
    for (const [k, r] of perPartitionRate) out.set(k, Math.max(Math.floor(secs * r), Math.ceil(this.params.minRatePerPartition)));
    return out;
  }

  /** Feeds a completed batch to the estimator. */
  onBatchCompleted(endTime: number, records: number, processingDelay: number, schedulingDelay: number): void {
    if (!this.estimator) return;
    const r = this.estimator.compute(endTime, records, processingDelay, schedulingDelay);
    if (r !== undefined && Number.isFinite(r) && r > 0) this.rate = r;
  }
}
