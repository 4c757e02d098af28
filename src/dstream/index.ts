/** The DStream class with every operation attached: import this, not DStream.ts, to use streams. */
import './operators/map.js';
import './operators/flatMap.js';
import './operators/filter.js';
import './operators/mapPartitions.js';
import './operators/glom.js';
import './operators/repartition.js';
import './operators/union.js';
import './operators/count.js';
import './operators/countByValue.js';
import './operators/reduce.js';
import './operators/transform.js';
import './operators/foreachRDD.js';
import './operators/pprint.js';
import './operators/saveAsTextFiles.js';
import './PairDStreamFunctions.js';

export { DStream } from './DStream.js';
export { DStreamGraph, type Job } from './DStreamGraph.js';
export { isCheckpointable, type Checkpointable, type SavedStreamCheckpoint, type StreamCheckpoint } from './Checkpointable.js';
export { InputDStream } from './InputDStream.js';
export { QueueInputDStream } from './QueueInputDStream.js';
export { UnaryDStream } from './UnaryDStream.js';
export { ForEachDStream, type ForeachFunction } from './operators/foreachRDD.js';
export { TransformedDStream } from './operators/transform.js';
export { UnionDStream } from './operators/union.js';
export { pprintBatch } from './operators/pprint.js';
