/** Receiver-based inputs (Spark's receiver model) and the file stream. */
export { Receiver, type ReceiverHost } from './Receiver.js';
export {
  ReceiverSupervisor,
  type ReceiverEnvironment,
  type ReceiverEvent,
} from './ReceiverSupervisor.js';
export {
  ReceiverInputDStream,
  receivedDataDir,
  type CompletedBatchFacts,
  type ReceiverBatchHooks,
  type ReceiverPosition,
} from './ReceiverInputDStream.js';
export { BlockGenerator, type Block } from './BlockGenerator.js';
export { FileWriteAheadLog, decodeRecords, encodeRecord, type LoggedBlock, type WriteAheadLogOptions } from './WriteAheadLog.js';
export { LineSplitter, type LineSplitterOptions } from './LineSplitter.js';
export { SocketReceiver, DEFAULT_MAX_LINE_LENGTH, type SocketReceiverStats, type SocketStreamOptions } from './SocketReceiver.js';
export { FileInputDStream, isIgnoredName, type FileStreamOptions, type FileStreamPosition } from './FileInputDStream.js';
export { splitLines } from './fileLines.js';
export {
  checkReceiverContextOptions,
  resolveReceiverOptions,
  DEFAULT_BLOCK_INTERVAL,
  DEFAULT_RESTART_DELAY,
  type ReceiverContextOptions,
  type ReceiverStreamOptions,
  type ResolvedReceiverOptions,
} from './options.js';
