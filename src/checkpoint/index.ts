export {
  CheckpointStore,
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CLOSE_MARKER_FILE,
  type BlobChange,
  type CheckpointCommit,
  type CheckpointStoreOptions,
  type CommitOptions,
  type DeltaChange,
  type KeyedStateReader,
  type ReadStateOptions,
  type SliceChange,
  type SliceRange,
  type StateChange,
} from './CheckpointStore.js';
export {
  encodeKey,
  decodeKey,
  encodeValue,
  decodeValue,
  encodeBinaryValue,
  decodeBinaryValue,
  type StateKey,
} from './codec.js';
export { CheckpointError, type CheckpointErrorCode } from '../util/checkpointErrors.js';
export { Checkpointer, describeStream, type CheckpointMeta, type CheckpointerOptions } from './Checkpointer.js';
export { GROUP_LINGER_MS, MAX_GROUP_BATCHES, MAX_UNWRITTEN_BATCHES, MAX_UNWRITTEN_FAST_BATCHES } from './groupCommit.js';
export { streamKey, type RestorePlan, type StreamRecord } from './plan.js';
export { firstRunGrid, type FirstRunGrid, type StartRecord } from './startRecord.js';
export { encodeBulk, encodeSnapshot, decodeBulk, type BulkChanges } from './bulk.js';
