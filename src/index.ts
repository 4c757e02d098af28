/** dstreams: Spark Streaming's discretized streams for Node.js. The public API (see API.md). */
export { Milliseconds, Seconds, Minutes, type Duration } from './util/duration.js';
export { ManualClock, SystemClock, type Clock } from './context/Clock.js';
export { StreamingContext } from './context/StreamingContext.js';
export type { GetOrCreateOptions, StreamingContextOptions, WebUiOptions } from './context/options.js';
export { defineJob, type JobDefinition, type JobRef } from './context/job.js';
export type {
  Backlog,
  BatchInfo,
  BatchMemoryInfo,
  CompletedBatchInfo,
  OutputOperationInfo,
  ReceiverInfo,
  StreamingEvent,
  StreamingListener,
  PartitionsAssignedInfo,
  StreamingStartedInfo,
  StreamInputInfo,
} from './context/StreamingListener.js';
export { DStream, InputDStream, UnaryDStream, type ForeachFunction } from './dstream/index.js';
export { RDD } from './rdd/RDD.js';
export type { PIDOptions } from './rate/PIDRateEstimator.js';
import './window/index.js';
export {
  CountByWindowDStream,
  ReducedWindowedDStream,
  WindowedDStream,
  type ReduceByKeyAndWindowOptions,
  type WindowOptions,
} from './window/index.js';
import './state/index.js';
export {
  MapWithStateDStream,
  State,
  StateSpec,
  StatefulDStream,
  type StateChangeListener,
  type StateStoreOption,
  type UpdateStateByKeyOptions,
} from './state/index.js';
export {
  Receiver,
  ReceiverInputDStream,
  SocketReceiver,
  FileInputDStream,
  type FileStreamOptions,
  type ReceiverContextOptions,
  type ReceiverStreamOptions,
  type SocketStreamOptions,
} from './receivers/index.js';
export {
  PostgresSink,
  PostgresSinkError,
  type PostgresSinkOptions,
  type PostgresConnectionOptions,
  type OutputMode,
  type WriteMethod,
  type OffsetCheck,
  type BatchInfo as SinkBatchInfo,
  type WriteBatchOptions,
  type WriteBatchResult,
  type AlongsideWrite,
  PostgresTables,
  type RowOf,
  type TableRows,
  type WriteTablesResult,
  type SinkRow,
  type TableDamage,
  type SinkOffsetRange,
  type WriterOptions,
  type RetryOptions as SinkRetryOptions,
  type RetryEvent as SinkRetryEvent,
} from './sinks/postgres/index.js';
export { KafkaUtils, RecordDecodeError, type Decoder, type KafkaRecord } from './inputs/KafkaUtils.js';
export { KafkaRDD } from './kafka/KafkaRDD.js';
export { KafkaConfigError, type KafkaParams } from './kafka/params.js';
export { KafkaStreamError } from './kafka/retry.js';
export { type OffsetRange } from './kafka/OffsetRange.js';
export { KafkaReceiver, type KafkaReceiverEvent, type KafkaReceiverOptions } from './receivers/KafkaReceiver.js';
export { DirectKafkaInputDStream, type DirectStreamOptions } from './direct/DirectKafkaInputDStream.js';
export { type RateStreamOptions } from './dstream/RateInputDStream.js';
export { PositionAfterLogEndError } from './direct/cutRanges.js';
export { type DirectKafkaPosition } from './direct/kafkaCheckpoint.js';
export { KafkaSink, KafkaSinkError, writeToKafka, type KafkaBytes, type KafkaSinkOptions } from './sinks/kafka/KafkaSink.js';
export { writeFenced, isFenced } from './scaleout/index.js';
export {
  OffsetTracker,
  resumeFromSink,
  storedFromOffsets,
  directStreamFromSink,
  foreachBatchTo,
  type ForeachBatchToOptions,
  type ResumeOptions,
  type Resumed,
  type StartFromSink,
} from './exactlyonce/index.js';
// The web UI, REST JSON and /metrics (the `ui` option) and `dstreams run`'s progress lines: registered on import.
import './ui/index.js';
export { WebUi, JobProgress, describeGraph, formatProgressLine, kafkaLag, type GraphNode } from './ui/index.js';
// The checkpoint store's failures, each with a stable `code` (CORRUPT, LOCKED, INCOMPATIBLE_VERSION, GRAPH_MISMATCH, …).
export { CheckpointError, type CheckpointErrorCode } from './util/checkpointErrors.js';
// Waiting for Kafka / PostgreSQL as a program starts, one line per attempt (the CLI, the jobs, the examples).
export { ServiceUnreachableError, waitForService, type WaitForServiceOptions } from './util/waitForService.js';
export { waitForKafka, type WaitForKafkaOptions } from './kafka/reachable.js';
export { waitForPostgres, type WaitForPostgresOptions } from './sinks/postgres/reachable.js';
// Structured Streaming (API.md "Structured Streaming"): SparkSession, MemoryStream, DataFrame,
// functions, types, … (the contract's entry points named here, the rest through sql/index.ts)
export { SparkSession, MemoryStream } from './sql/index.js';
export * from './sql/index.js';
export {
  KinesisUtils,
  InitialPositionInStream,
  StorageLevel,
  type KinesisStreamOptions,
  type DirectKinesisParams,
} from './inputs/KinesisUtils.js';
export { DirectKinesisInputDStream } from './direct/DirectKinesisInputDStream.js';
export { type DirectKinesisPosition } from './direct/kinesisCheckpoint.js';
export { KinesisRDD, type SequenceNumberRange } from './kinesis/KinesisRDD.js';
export { KinesisReceiver, type KinesisReceiverEvent, type KinesisReceiverOptions } from './receivers/KinesisReceiver.js';
export { KinesisConfigError, KinesisStreamError, type KinesisRecord } from './kinesis/index.js';
