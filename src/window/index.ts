/** The window operations, attached to DStream: importing this module makes them available. */
import './window.js';
import './countByWindow.js';
import './reduceByWindow.js';
import './countByValueAndWindow.js';
import './groupByKeyAndWindow.js';
import './reduceByKeyAndWindow.js';

export { WindowedDStream } from './window.js';
export { CountByWindowDStream } from './countByWindow.js';
export {
  ReducedWindowedDStream,
  type ReduceByKeyAndWindowOptions,
  type ReducedWindowMeta,
  type ReducedWindowedOptions,
} from './ReducedWindowedDStream.js';
export { windowSpec, type WindowSpec, type WindowOptions, type WindowPartitionOptions } from './windowArgs.js';
export { TaskBatches } from './TaskBatches.js';
