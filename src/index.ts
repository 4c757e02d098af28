/** dstreams: Spark Streaming's discretized streams for Node.js. The public API (see API.md). */
export { Milliseconds, Seconds, Minutes, type Duration } from './util/duration.js';
export { ManualClock, SystemClock, type Clock } from './context/Clock.js';
export { StreamingContext, type StreamingContextOptions } from './context/StreamingContext.js';
export type {
  BatchInfo,
  CompletedBatchInfo,
  OutputOperationInfo,
  ReceiverInfo,
  StreamingEvent,
  StreamingListener,
  StreamingStartedInfo,
} from './context/StreamingListener.js';
export { DStream, InputDStream, UnaryDStream, type ForeachFunction } from './dstream/index.js';
export { RDD, type OffsetRange } from './rdd/RDD.js';
import './window/index.js';
export { CountByWindowDStream, ReducedWindowedDStream, WindowedDStream, type ReduceByKeyAndWindowOptions } from './window/index.js';
import './state/index.js';
export { MapWithStateDStream, State, StateSpec } from './state/index.js';
export {
  Receiver,
  ReceiverInputDStream,
  SocketReceiver,
  FileInputDStream,
  type FileStreamOptions,
  type PIDOptions,
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
  type SinkOffsetRange,
  type WriterOptions,
  type RetryOptions as SinkRetryOptions,
  type RetryEvent as SinkRetryEvent,
} from './sinks/index.js';
export {
  KafkaUtils,
  KafkaRDD,
  KafkaReceiver,
  KafkaSink,
  writeToKafka,
  DirectKafkaInputDStream,
  KafkaConfigError,
  KafkaStreamError,
  type KafkaRecord,
  type KafkaReceiverEvent,
  type KafkaSinkOptions,
  type KafkaParams,
  type DirectKafkaPosition,
} from './kafka/index.js';
export {
  OffsetTracker,
  resumeFromSink,
  storedFromOffsets,
  directStreamFromSink,
  type ResumeOptions,
  type Resumed,
  type StartFromSink,
} from './pipelines/index.js';
