/**
 * What the web UI and /metrics know about one context (Spark's StreamingJobProgressListener):
 * built only from listener events and read-only getters of the context.
 *
 * Memory is bounded: the last `retainedBatches` completed batches (default 1000, Spark's
 * spark.streaming.ui.retainedBatches) with their per-batch details; the queued and running
 * batches; one record per receiver. Totals and the metrics' histograms are counters, so they
 * cover every batch without keeping them.
 *
 * When things happen: batchSubmitted → queued, with every output operation the batch will run
 * (Spark lists them all from submission; the graph tells which, the event does not);
 * batchStarted → running; outputOperation* → the running batch's operations; batchCompleted →
 * completed (the oldest one beyond the bound is dropped), the Kafka lag per partition and the
 * checkpoint write time are taken then. A batch whose output operation failed is COMPLETED with
 * failed operations, as in Spark.
 *
 * A context with a BatchDisplay (a structured query's engine, on its private ManualClock) is
 * shown as its owner says: batch times are the triggers' wall-clock starts, event times are
 * stamped on the owner's clock as the (synchronous) events come, the batch duration is the
 * trigger's interval and rates are the query's inputRowsPerSecond.
 */
import { batchDisplayOf, type BatchDisplay } from '../context/attachments.js';
import { outputOperationDescription } from '../context/JobScheduler.js';
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

/** Spark's BatchStatus: a batch that failed is COMPLETED, with its failed output operations. */
export type BatchStatus = 'QUEUED' | 'PROCESSING' | 'COMPLETED';

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
  /** In the order the batch runs them: an operation's index is Spark's outputOpId (its `id` is its DStream's). */
  outputOps: OutputOperationInfo[];
  /** Set when the batch failed (an output operation, or preparing or checkpointing the batch). */
  failureReason?: string;
  /** The batch's checkpoint commit (ms), when the context checkpoints. */
  checkpointWriteMs?: number;
  /** A query's batch: its batchId and input records/s (its progress's inputRowsPerSecond). */
  queryBatchId?: number;
  inputRate?: number;
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
  /** The direct stream that read the partition. */
  streamId: number;
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
  /** Completed batches (failed ones too), oldest first, at most `retainedBatches`. */
  readonly completed: BatchUIData[] = [];
  /** Queued and running batches by time. */
  readonly active = new Map<number, BatchUIData>();
  readonly receivers = new Map<number, ReceiverUIData>();
  /** `"topic:partition"` → lag after the last completed batch that read it. */
  readonly kafkaLag = new Map<string, PartitionLag>();
  totalCompleted = 0;
  /** Completed batches that failed (counted in totalCompleted too). */
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

  /** What the context's batches stand for, when its owner said (see BatchDisplay). */
  get display(): BatchDisplay | undefined {
    return batchDisplayOf(this.ssc);
  }

  /** The context's batch duration, or a query's trigger interval (0: not on an interval). */
  get batchDuration(): number {
    return this.display?.intervalMs ?? this.ssc.batchDuration;
  }

  /** A batch's time as shown: the context's own, or the query trigger's start. */
  private shown(batchTime: number): number {
    return this.display?.batch(batchTime)?.time ?? batchTime;
  }

  /** An event's time on the context's clock, or the display's now (its engine clock does not move within a batch). */
  private stamp(time: number): number {
    return this.display?.now() ?? time;
  }

  onStreamingStarted(info: { time: number }): void {
    this.startTime = this.stamp(info.time);
  }

  onBatchSubmitted(info: BatchInfo): void {
    const time = this.shown(info.batchTime);
    const b: BatchUIData = {
      batchTime: time,
      status: 'QUEUED',
      submissionTime: this.stamp(info.submissionTime),
      numRecords: info.numRecords,
      inputs: info.streamIdToInputInfo ?? {},
      outputOps: this.plannedOutputOps(info.batchTime).map((o) => ({ ...o, batchTime: time })),
    };
    if (info.numBytes !== undefined) b.numBytes = info.numBytes;
    const q = this.display?.batch(info.batchTime);
    if (q) {
      b.queryBatchId = q.batchId;
      b.inputRate = q.inputRowsPerSecond;
    }
    this.active.set(time, b);
    this.totalReceivedRecords += info.numRecords;
    this.emit('batch', b);
  }

  onBatchStarted(info: BatchInfo): void {
    const b = this.active.get(this.shown(info.batchTime));
    if (!b) return;
    b.status = 'PROCESSING';
    b.processingStartTime = info.processingStartTime === undefined ? undefined : this.stamp(info.processingStartTime);
    b.schedulingDelay = info.schedulingDelay;
    this.emit('batch', b);
  }

  /**
   * The output operations batch `time` runs, in order: each output stream whose slide falls on
   * `time` (the scheduler made one job per such stream when it submitted the batch). Without a
   * graph (a stand-in context) they are listed as they start. Never throws: a listener that
   * throws fails the context.
   */
  private plannedOutputOps(time: number): OutputOperationInfo[] {
    const graph = this.ssc.graph as StreamingContext['graph'] | undefined;
    return (graph?.outputs ?? [])
      .filter((o) => o.zeroTime !== undefined && o.isTimeValid(time))
      .map((o, i) => {
        const given = (o as { operationName?: unknown }).operationName;
        const name = typeof given === 'string' ? given : 'foreachRDD';
        return { batchTime: time, id: i, name, description: outputOperationDescription(name, o.id) };
      });
  }

  onOutputOperationStarted(info: OutputOperationInfo): void {
    this.noteOutputOp(info);
  }

  onOutputOperationCompleted(info: OutputOperationInfo): void {
    this.noteOutputOp(info);
  }

  private noteOutputOp(info: OutputOperationInfo): void {
    const time = this.shown(info.batchTime);
    const b = this.active.get(time);
    if (!b) return;
    // By description, which names the output's stream: a planned operation whose job was not made
    // (no RDD) would shift the indexes.
    const i = b.outputOps.findIndex((o) => o.description === info.description);
    const op = { ...info };
    if (this.display) {
      // Stamped as the events come: the start once, when it started; the end when it ended.
      op.batchTime = time;
      const started = i >= 0 ? b.outputOps[i]!.startTime : undefined;
      if (op.startTime !== undefined) op.startTime = started ?? this.stamp(op.startTime);
      if (op.endTime !== undefined) op.endTime = this.stamp(op.endTime);
    }
    if (i >= 0) b.outputOps[i] = op;
    else b.outputOps.push(op);
  }

  onBatchCompleted(info: CompletedBatchInfo): void {
    const time = this.shown(info.batchTime);
    const b = this.active.get(time) ?? {
      batchTime: time,
      status: 'PROCESSING' as BatchStatus,
      submissionTime: this.stamp(info.submissionTime),
      numRecords: 0,
      inputs: {},
      outputOps: [],
    };
    this.active.delete(time);
    // A direct Kafka stream's count is final only now (received records were counted at submission).
    this.totalReceivedRecords += info.numRecords - b.numRecords;
    b.numRecords = info.numRecords;
    if (info.numBytes !== undefined) b.numBytes = info.numBytes;
    if (info.memory !== undefined) this.lastMemory = b.memory = info.memory;
    b.inputs = info.streamIdToInputInfo ?? b.inputs;
    if (this.display) {
      b.processingStartTime ??= info.processingStartTime === undefined ? undefined : this.stamp(info.processingStartTime);
      b.processingEndTime = info.processingEndTime === undefined ? undefined : this.stamp(info.processingEndTime);
    } else {
      b.processingStartTime = info.processingStartTime;
      b.processingEndTime = info.processingEndTime;
    }
    b.schedulingDelay = info.schedulingDelay;
    b.processingDelay = info.processingDelay;
    b.totalDelay = info.totalDelay;
    b.status = 'COMPLETED';
    // Listed operations that never started: in a batch that succeeded, the graph listed one that
    // made no job; when preparing the batch failed, none ran (they failed with it).
    const reason = info.failureReason;
    if (reason === undefined) {
      b.outputOps = b.outputOps.filter((o) => o.startTime !== undefined);
      const cp = this.ssc.lastCheckpointWriteMs;
      if (cp !== undefined) {
        b.checkpointWriteMs = cp;
        this.checkpointWrite.observe(cp / 1000);
      }
    } else {
      b.outputOps = b.outputOps.map((o) => (o.startTime === undefined ? { ...o, failureReason: reason } : o));
      b.failureReason = reason;
      this.totalFailed++;
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
  readonly retained = { records: 0, schedulingDelay: 0, processingTime: 0, totalDelay: 0 };

  /** Failed batches count in the averages too: Spark's are over every retained completed batch. */
  private retain(b: BatchUIData, sign: 1 | -1): void {
    const r = this.retained;
    r.records += sign * b.numRecords;
    r.schedulingDelay += sign * b.schedulingDelay!;
    r.processingTime += sign * b.processingDelay!;
    r.totalDelay += sign * b.totalDelay!;
  }

  /**
   * A direct stream lists every partition it reads in each batch's ranges, empty ones too
   * (cutRanges): a partition of this stream that a batch no longer lists went to another copy
   * (scale-out), and its last lag here would stay frozen, so it is dropped.
   */
  private noteKafkaLag(input: StreamInputInfo): void {
    const ranges = input.metadata?.offsetRanges as OffsetRange[] | undefined;
    const latest = input.metadata?.latestOffsets as Record<string, number> | undefined;
    if (!Array.isArray(ranges)) return;
    const streamId = input.inputStreamId;
    const listed = new Set<string>();
    for (const r of ranges) {
      const key = `${r.topic}:${r.partition}`;
      const high = latest?.[key] ?? r.untilOffset;
      listed.add(key);
      this.kafkaLag.set(key, { streamId, topic: r.topic, partition: r.partition, offset: r.untilOffset, lag: Math.max(0, high - r.untilOffset) });
    }
    for (const [key, l] of this.kafkaLag) if (l.streamId === streamId && !listed.has(key)) this.kafkaLag.delete(key);
  }

  onReceiverStarted(info: ReceiverInfo): void {
    const r = this.receiver(info);
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
    this.emit('receiver', this.receiver(info));
  }

  /** The receiver's record, its state taken from the event (Spark replaces the record on every one: an error while restarting means down). */
  private receiver(info: ReceiverInfo): ReceiverUIData {
    let r = this.receivers.get(info.streamId);
    if (!r) {
      r = { streamId: info.streamId, name: info.name, active: info.active, errors: 0 };
      this.receivers.set(info.streamId, r);
    }
    r.name = info.name;
    r.active = info.active;
    return r;
  }

  /** Average records/s of one input (all inputs without `streamId`) over the retained completed batches (undefined with none). */
  averageRate(streamId?: number): number | undefined {
    if (this.completed.length === 0) return undefined;
    // A query's: the mean of its batches' input rates, as Spark's Structured Streaming page.
    if (this.display) return this.completed.reduce((sum, b) => sum + this.rateOf(b, streamId), 0) / this.completed.length;
    let records = 0;
    if (streamId === undefined) records = this.retained.records;
    else for (const b of this.completed) records += b.inputs[streamId]?.numRecords ?? 0;
    return records / ((this.completed.length * this.batchDuration) / 1000);
  }

  /** `[batchTime, records/s]` of one input over the retained completed batches. */
  eventRates(streamId: number): Array<[number, number]> {
    return this.completed.map((b) => [b.batchTime, this.rateOf(b, streamId)]);
  }

  /** Records/s of one input (all without `streamId`) in a batch: a query's share of its input rate, else over the batch duration. */
  private rateOf(b: BatchUIData, streamId?: number): number {
    const records = streamId === undefined ? b.numRecords : (b.inputs[streamId]?.numRecords ?? 0);
    if (b.inputRate === undefined) return records / (this.batchDuration / 1000);
    return b.numRecords > 0 ? (b.inputRate * records) / b.numRecords : 0;
  }
}

function describeError(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return String(e);
}
