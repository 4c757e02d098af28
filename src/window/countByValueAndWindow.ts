import '../dstream/index.js';
import { DStream } from '../dstream/DStream.js';
import type { Duration } from '../util/duration.js';
import { ReducedWindowedDStream } from './ReducedWindowedDStream.js';
import { windowPartitionOptions, windowSpec, type WindowPartitionOptions } from './windowArgs.js';

declare module '../dstream/DStream.js' {
  interface DStream<T> {
    /**
     * Every `slideDuration`, each distinct element of the last `windowDuration` with how often it
     * occurs. The last argument is Spark's numPartitions, or `{ numPartitions?, name? }` (a name
     * lets getOrCreate restore the window's counts into a changed graph).
     */
    countByValueAndWindow(
      windowDuration: Duration,
      slideDuration?: Duration,
      numPartitions?: number | WindowPartitionOptions,
    ): DStream<[T, number]>;
  }
}

const add = (a: number, b: number): number => a + b;
const subtract = (a: number, b: number): number => a - b;

/**
 * As Spark: `(element, 1)` pairs reduced by key and window with the inverse (counts enter and
 * leave), keys whose count fell to 0 filtered out. The counts are kept in memory and take part in
 * checkpoints when there is a checkpoint directory, but unlike reduceByKeyAndWindow with an
 * inverse the operation does not require one (the API lists it with the stateless windows).
 */
DStream.prototype.countByValueAndWindow = function <T>(
  this: DStream<T>,
  windowDuration: Duration,
  slideDuration?: Duration,
  last?: number | WindowPartitionOptions,
): DStream<[T, number]> {
  const op = 'countByValueAndWindow';
  const { slideDuration: slide } = windowSpec(this as DStream<unknown>, windowDuration, slideDuration, op);
  const { numPartitions, name } = windowPartitionOptions(op, last);
  const ones = this.map((t): [T, number] => [t, 1]);
  return new ReducedWindowedDStream(ones, add, subtract, windowDuration, slide, {
    numPartitions,
    ...(name === undefined ? {} : { name }),
    filterFunc: (kv) => kv[1] !== 0,
    operation: op,
    requireCheckpoint: false,
  });
};
