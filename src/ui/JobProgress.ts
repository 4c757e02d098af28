/**
 * What the web UI and /metrics know about one context (Spark's StreamingJobProgressListener):
 * built only from listener events and read-only getters of the context.
 *
 * Memory is bounded: the last `retainedBatches` completed batches (default 1000, Spark's
 * spark.streaming.ui.retainedBatches) with their per-batch details; the queued and running
 * batches; one record per receiver. Totals and the metrics' histograms are counters, so they
 * cover every batch without keeping them.
 *
 * When things happen: batchSubmitted → queued; batchStarted → running; outputOperation* →
 * the running batch's operations; batchCompleted → completed (the oldest one beyond the bound
 * is dropped), the Kafka lag per partition and the checkpoint write time are taken then.
 */
import type { StreamingContext } from '../context/StreamingContext.js';
import type {
  BatchInfo,
  BatchMemoryInfo,
  CompletedBatchInfo,
  OutputOperationInfo,
  ReceiverInfo,
  StreamInputInfo,
  StreamingListener,
} from '../context/StreamingListener.js';
import type { OffsetRange } from '../kafka/OffsetRange.js';
import { Histogram } from './Histogram.js';

export type BatchStatus = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';

export interface BatchUIData {
  batchTime: number;
  status: BatchStatus;
  submissionTime: number;
  processingStartTime?: number;
  processingEndTime?: number;
  numRecords: number;
  /** Bytes of the batch's input, when its inputs can tell. */
  numBytes?: number;
  /** Heap and state keys once the batch completed. */
  memory?: BatchMemoryInfo;
  schedulingDelay?: number;
  processingDelay?: number;
  totalDelay?: number;
  inputs: Record<number, StreamInputInfo>;
  outputOps: OutputOperationInfo[];
  failureReason?: string;
  /** The batch's checkpoint commit (ms), when the context checkpoints. */
  checkpointWriteMs?: number;
}

export interface ReceiverUIData {
  streamId: number;
  name: string;
  active: boolean;
  startTime?: number;
  errors: number;
  lastErrorTime?: number;
  lastErrorMessage?: string;
  lastError?: string;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** The next offset to read after the last completed batch. */
  offset: number;
  /** The partition's latest offset known then, minus `offset`. */
  lag: number;
}

/** Delay buckets in seconds, for the metrics' histograms. */
const DELAY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const DEFAULT_RETAINED_BATCHES = 1000;

export class JobProgress implements StreamingListener {
  readonly retainedBatches: number;
  startTime: number | undefined;
  stopped = false;
  /** Completed (and failed) batches, oldest first, at most `retainedBatches`. */
  readonly completed: BatchUIData[] = [];
  /** Queued and running batches by time. */
  readonly active = new Map<number, BatchUIData>();
  readonly receivers = new Map<number, ReceiverUIData>();
  /** `"topic:partition"` → lag after the last completed batch that read it. */
  readonly kafkaLag = new Map<string, PartitionLag>();
  totalCompleted = 0;
  totalFailed = 0;
  totalProcessedRecords = 0;
  totalReceivedRecords = 0;
  /** Heap and state keys after the last completed batch. */
  lastMemory: BatchMemoryInfo | undefined;
  /** Records per input stream over every completed batch. */
  readonly recordsByStream = new Map<number, number>();
  readonly schedulingDelay = new Histogram(DELAY_BUCKETS);
  readonly processingTime = new Histogram(DELAY_BUCKETS);
  readonly totalDelay = new Histogram(DELAY_BUCKETS);
  readonly checkpointWrite = new Histogram([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);
  private readonly onChange = new Set<(what: 'batch' | 'receiver', data: unknown) => void>();

  constructor(
    private readonly ssc: StreamingContext,
    retainedBatches = DEFAULT_RETAINED_BATCHES,
  ) {
    if (!Number.isInteger(retainedBatches) || retainedBatches < 1) {
      throw new RangeError(`ui retainedBatches must be a positive integer, got ${retainedBatches}`);
    }
    this.retainedBatches = retainedBatches;
  }

  /** Called with each batch as it changes state and each receiver as it changes; returns the unsubscribe function. */
  subscribe(f: (what: 'batch' | 'receiver', data: unknown) => void): () => void {
    this.onChange.add(f);
    return () => this.onChange.delete(f);
  }

  private emit(what: 'batch' | 'receiver', data: unknown): void {
    for (const f of this.onChange) f(what, data);
  }

  get batchDuration(): number {
    return this.ssc.batchDuration;
  }

  onStreamingStarted(info: { time: number }): void {
    this.startTime = info.time;
  }

  onBatchSubmitted(info: BatchInfo): void {
    const b: BatchUIData = {
      batchTime: info.batchTime,
      status: 'QUEUED',
      submissionTime: info.submissionTime,
      numRecords: info.numRecords,
      inputs: info.streamIdToInputInfo ?? {},
      outputOps: [],
    };
    if (info.numBytes !== undefined) b.numBytes = info.numBytes;
    this.active.set(info.batchTime, b);
    this.totalReceivedRecords += info.numRecords;
    this.emit('batch', b);
  }

  onBatchStarted(info: BatchInfo): void {
    const b = this.active.get(info.batchTime);
    if (!b) return;
    b.status = 'PROCESSING';
    b.processingStartTime = info.processingStartTime;
    b.schedulingDelay = info.schedulingDelay;
    this.emit('batch', b);
  }

  onOutputOperationStarted(info: OutputOperationInfo): void {
    this.active.get(info.batchTime)?.outputOps.push({ ...info });
  }

  onOutputOperationCompleted(info: OutputOperationInfo): void {
    const b = this.active.get(info.batchTime);
    if (!b) return;
    const i = b.outputOps.findIndex((o) => o.id === info.id);
    if (i >= 0) b.outputOps[i] = { ...info };
    else b.outputOps.push({ ...info });
  }

  onBatchCompleted(info: CompletedBatchInfo): void {
    const b = this.active.get(info.batchTime) ?? {
      batchTime: info.batchTime,
      status: 'PROCESSING' as BatchStatus,
      submissionTime: info.submissionTime,
      numRecords: 0,
      inputs: {},
      outputOps: [],
    };
    this.active.delete(info.batchTime);
    // A direct Kafka stream's count is final only now (received records were counted at submission).
    this.totalReceivedRecords += info.numRecords - b.numRecords;
    b.numRecords = info.numRecords;
    if (info.numBytes !== undefined) b.numBytes = info.numBytes;
    if (info.memory !== undefined) this.lastMemory = b.memory = info.memory;
    b.inputs = info.streamIdToInputInfo ?? b.inputs;
    b.processingStartTime = info.processingStartTime;
    b.processingEndTime = info.processingEndTime;
    b.schedulingDelay = info.schedulingDelay;
    b.processingDelay = info.processingDelay;
    b.totalDelay = info.totalDelay;
    if (info.failureReason !== undefined) {
      b.status = 'FAILED';
      b.failureReason = info.failureReason;
      this.totalFailed++;
    } else {
      b.status = 'COMPLETED';
      const cp = this.ssc.lastCheckpointWriteMs;
      if (cp !== undefined) {
        b.checkpointWriteMs = cp;
        this.checkpointWrite.observe(cp / 1000);
      }
    }
    this.totalCompleted++;
    this.totalProcessedRecords += info.numRecords;
    this.schedulingDelay.observe(info.schedulingDelay / 1000);
    this.processingTime.observe(info.processingDelay / 1000);
    this.totalDelay.observe(info.totalDelay / 1000);
    for (const input of Object.values(b.inputs)) {
      this.recordsByStream.set(input.inputStreamId, (this.recordsByStream.get(input.inputStreamId) ?? 0) + input.numRecords);
      this.noteKafkaLag(input);
    }
    this.completed.push(b);
    this.retain(b, 1);
    while (this.completed.length > this.retainedBatches) this.retain(this.completed.shift()!, -1);
    this.emit('batch', b);
  }

  /** Sums over the retained completed batches, kept as they come and go (statistics in O(1)). */
  readonly retained = { records: 0, succeeded: 0, schedulingDelay: 0, processingTime: 0, totalDelay: 0 };

  private retain(b: BatchUIData, sign: 1 | -1): void {
    const r = this.retained;
    r.records += sign * b.numRecords;
    if (b.status !== 'COMPLETED') return;
    r.succeeded += sign;
    r.schedulingDelay += sign * b.schedulingDelay!;
    r.processingTime += sign * b.processingDelay!;
    r.totalDelay += sign * b.totalDelay!;
  }

  private noteKafkaLag(input: StreamInputInfo): void {
    const ranges = input.metadata?.offsetRanges as OffsetRange[] | undefined;
    const latest = input.metadata?.latestOffsets as Record<string, number> | undefined;
    if (!Array.isArray(ranges)) return;
    for (const r of ranges) {
      const key = `${r.topic}:${r.partition}`;
      const high = latest?.[key] ?? r.untilOffset;
      this.kafkaLag.set(key, { topic: r.topic, partition: r.partition, offset: r.untilOffset, lag: Math.max(0, high - r.untilOffset) });
    }
  }

  onReceiverStarted(info: ReceiverInfo): void {
    const r = this.receiver(info);
    r.active = true;
    r.startTime = info.time;
    this.emit('receiver', r);
  }

  onReceiverError(info: ReceiverInfo): void {
    const r = this.receiver(info);
    r.errors++;
    r.lastErrorTime = info.time;
    if (info.lastErrorMessage !== undefined) r.lastErrorMessage = info.lastErrorMessage;
    if (info.lastError !== undefined) r.lastError = describeError(info.lastError);
    this.emit('receiver', r);
  }

  onReceiverStopped(info: ReceiverInfo): void {
    const r = this.receiver(info);
    r.active = false;
    this.emit('receiver', r);
  }

  private receiver(info: ReceiverInfo): ReceiverUIData {
    let r = this.receivers.get(info.streamId);
    if (!r) {
      r = { streamId: info.streamId, name: info.name, active: info.active, errors: 0 };
      this.receivers.set(info.streamId, r);
    }
    return r;
  }

  /** Average records/s of one input (all inputs without `streamId`) over the retained completed batches (undefined with none). */
  averageRate(streamId?: number): number | undefined {
    if (this.completed.length === 0) return undefined;
    let records = 0;
    if (streamId === undefined) records = this.retained.records;
    else for (const b of this.completed) records += b.inputs[streamId]?.numRecords ?? 0;
    return records / ((this.completed.length * this.batchDuration) / 1000);
  }

  /** `[batchTime, records/s]` of one input over the retained completed batches. */
  eventRates(streamId: number): Array<[number, number]> {
    const s = this.batchDuration / 1000;
    return this.completed.map((b) => [b.batchTime, (b.inputs[streamId]?.numRecords ?? 0) / s]);
  }
}

function describeError(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return String(e);
}
