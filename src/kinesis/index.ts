/** The Kinesis transport: clients, shards and their lineage, reading, the KCL-style lease table. */
export { KinesisStreamClient, MAX_RECORDS_PER_CALL, positionText, positionOf, checkpointText, type KinesisRecord, type StartPosition, type KinesisReadOptions } from './client.js';
export { checkConnection, type KinesisConnection } from './connection.js';
export { ShardCursor } from './cursor.js';
export { KinesisConfigError, KinesisStreamError } from './errors.js';
export { KinesisRDD, type SequenceNumberRange } from './KinesisRDD.js';
export { InitialPositionInStream } from './InitialPositionInStream.js';
export { LeaseCoordinator, type LeaseCoordinatorOptions, type LeaseListener } from './LeaseCoordinator.js';
export { LeaseTable, SHARD_END, type Lease } from './leaseTable.js';
export { compareSeq, compareShardIds, isClosed, parentsDone, parentsOf, type ShardInfo } from './shards.js';
export { KinesisProducer } from './producer.js';
