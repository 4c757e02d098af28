import type { Backlog, StreamInputInfo } from '../dstream/DStreamGraph.js';
import type { ReceiverInfo } from '../receivers/ReceiverSupervisor.js';

export type { StreamInputInfo };

/** Facts about one batch, as Spark's BatchInfo. Delays are in ms, never negative. */
export interface BatchInfo {
  batchTime: number;
  numRecords: number;
  /** What each input contributed, by input stream id (known once the batch's inputs were read: from batchStarted on for most inputs, at batchCompleted for all). */
  streamIdToInputInfo?: Record<number, StreamInputInfo>;
  submissionTime: number;
  processingStartTime?: number;
  processingEndTime?: number;
  schedulingDelay?: number;
  processingDelay?: number;
  totalDelay?: number;
  /** Set when an output operation of the batch failed. */
  failureReason?: string;
  /** Bytes of the batch's input records, when its inputs can tell (Kafka keys + values, file sizes). */
  numBytes?: number;
  /**
   * Input left waiting behind this batch when it was cut, summed over the inputs that can tell
   * (Kafka: offsets past its ranges; files found but not read yet; logged blocks not replayed
   * yet). Catching up, it shrinks batch after batch while every batch is full.
   */
  backlog?: Backlog;
}

export interface CompletedBatchInfo extends BatchInfo {
  schedulingDelay: number;
  processingDelay: number;
  totalDelay: number;
  /** Memory once the batch completed: the JS heap in use, and the state's keys in memory and only on disk. */
  memory?: BatchMemoryInfo;
}

export interface BatchMemoryInfo {
  /** The JS heap in use (process.memoryUsage().heapUsed, read without its RSS), in bytes. */
  heapUsed: number;
  /** Keys of every stateful stream's latest state: held in memory, and held only in the checkpoint store (disk state store). */
  stateKeys: { inMemory: number; onDisk: number };
}

export interface OutputOperationInfo {
  batchTime: number;
  /** Spark's outputOpId: the operation's 0-based index among its batch's output operations. */
  id: number;
  name: string;
  /** Spark's description: the operation and its output stream, e.g. `foreachRDD (stream 3)` (outputOperationDescription). */
  description: string;
  startTime?: number;
  endTime?: number;
  duration?: number;
  failureReason?: string;
}

/** What receiver events carry; defined beside the receivers' supervisor, which makes them. */
export type { ReceiverInfo };
export type { Backlog };

export interface StreamingStartedInfo {
  time: number;
}

/** A scaled-out copy's partitions after a rebalance (context option `applicationId`). */
export interface PartitionsAssignedInfo {
  /** The consumer group's generation this assignment belongs to. */
  generation: number;
  /** Every topic-partition this copy owns now: input and internal topics, sorted. */
  partitions: Array<{ topic: string; partition: number }>;
}

/** Optional callbacks on streaming events; the same events flow through `ssc.events$`. */
export interface StreamingListener {
  onStreamingStarted?(info: StreamingStartedInfo): void;
  onBatchSubmitted?(info: BatchInfo): void;
  onBatchStarted?(info: BatchInfo): void;
  onBatchCompleted?(info: CompletedBatchInfo): void;
  onOutputOperationStarted?(info: OutputOperationInfo): void;
  onOutputOperationCompleted?(info: OutputOperationInfo): void;
  onReceiverStarted?(info: ReceiverInfo): void;
  onReceiverError?(info: ReceiverInfo): void;
  onReceiverStopped?(info: ReceiverInfo): void;
  /** Scale-out: after each rebalance, once the partitions gained are restored and readable. */
  onPartitionsAssigned?(info: PartitionsAssignedInfo): void;
}

/** One event as `events$` emits it: the listener method's name without `on`, and its info. */
export type StreamingEvent =
  | { type: 'streamingStarted'; info: StreamingStartedInfo }
  | { type: 'batchSubmitted'; info: BatchInfo }
  | { type: 'batchStarted'; info: BatchInfo }
  | { type: 'batchCompleted'; info: CompletedBatchInfo }
  | { type: 'outputOperationStarted'; info: OutputOperationInfo }
  | { type: 'outputOperationCompleted'; info: OutputOperationInfo }
  | { type: 'receiverStarted'; info: ReceiverInfo }
  | { type: 'receiverError'; info: ReceiverInfo }
  | { type: 'receiverStopped'; info: ReceiverInfo }
  | { type: 'partitionsAssigned'; info: PartitionsAssignedInfo };
