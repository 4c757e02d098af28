import '../dstream/index.js';
import { DStream } from '../dstream/DStream.js';
import { groupByKeyAs } from '../dstream/PairDStreamFunctions.js';
import type { Duration } from '../util/duration.js';
import { WindowedDStream } from './window.js';
import { windowPartitionOptions, windowSpec, type WindowPartitionOptions } from './windowArgs.js';

declare module '../dstream/DStream.js' {
  interface DStream<T> {
    /**
     * Every `slideDuration`, each key with all its values of the last `windowDuration`, oldest
     * first. The last argument is Spark's numPartitions, or `{ numPartitions?, name? }` (a name
     * lets getOrCreate restore the window's batches into a changed graph).
     */
    groupByKeyAndWindow<K, V>(
      this: DStream<[K, V]>,
      windowDuration: Duration,
      slideDuration?: Duration,
      numPartitions?: number | WindowPartitionOptions,
    ): DStream<[K, V[]]>;
  }
}

/** Appends `more` to `into` (a loop: spreading a long array into push() overflows the stack). */
function append<V>(into: V[], more: readonly V[]): V[] {
  for (let i = 0; i < more.length; i++) into.push(more[i] as V);
  return into;
}

// As Spark: each batch grouped by key once, the window of those groups, merged by key.
DStream.prototype.groupByKeyAndWindow = function <K, V>(
  this: DStream<[K, V]>,
  windowDuration: Duration,
  slideDuration?: Duration,
  last?: number | WindowPartitionOptions,
): DStream<[K, V[]]> {
  const op = 'groupByKeyAndWindow';
  const { slideDuration: slide } = windowSpec(this as DStream<unknown>, windowDuration, slideDuration, op);
  // Checked under this name, not groupByKey's.
  const { numPartitions, name } = windowPartitionOptions(op, last);
  const window = new WindowedDStream(groupByKeyAs(op, this, numPartitions), windowDuration, slide, name === undefined ? {} : { name }, op);
  return window.combineByKey<V[], K, V[]>(
    (vs) => vs.slice(), // the batch's own group is cached: never append to it
    append,
    append,
    numPartitions,
  );
};
