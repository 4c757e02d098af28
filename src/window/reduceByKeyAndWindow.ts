import '../dstream/index.js';
import { DStream } from '../dstream/DStream.js';
import { reduceByKeyAs } from '../dstream/PairDStreamFunctions.js';
import { checkStateName } from '../dstream/stateName.js';
import { checkStateStore, resolveStateStore } from '../dstream/stateStore.js';
import { checkPartitions } from '../rdd/checks.js';
import type { Duration } from '../util/duration.js';
import { DiskReducedWindowedDStream } from './DiskReducedWindowedDStream.js';
import { ReducedWindowedDStream, type ReduceByKeyAndWindowOptions } from './ReducedWindowedDStream.js';
import { WindowedDStream } from './window.js';
import { checkFilterFunc, checkOptionKeys, windowPartitionOptions, windowSpec, type WindowPartitionOptions } from './windowArgs.js';

declare module '../dstream/DStream.js' {
  interface DStream<T> {
    /**
     * Every `slideDuration`, each key's values over the last `windowDuration` reduced with `f`,
     * the whole window reduced again at each slide (Spark's form without an inverse). The last
     * argument is Spark's numPartitions, or `{ numPartitions?, name? }` (a name lets getOrCreate
     * restore the window's batches into a changed graph).
     */
    reduceByKeyAndWindow<K, V>(
      this: DStream<[K, V]>,
      f: (a: V, b: V) => V,
      windowDuration: Duration,
      slideDuration?: Duration,
      numPartitions?: number | WindowPartitionOptions,
    ): DStream<[K, V]>;
    /**
     * With an inverse `invF`, the window is kept incrementally: the previous window's value, minus
     * (`invF`) the batches that left, plus (`f`) those that entered. Keys whose value fell to the
     * inverse's zero stay until `filterFunc` drops them. Stateful: `start()` needs `checkpoint(dir)`.
     * With `invF` null, the same as the form without an inverse (then filtered by `filterFunc`;
     * its state store is memory: the disk store keeps the state of an inverse window only).
     */
    reduceByKeyAndWindow<K, V>(
      this: DStream<[K, V]>,
      f: (a: V, b: V) => V,
      invF: ((a: V, b: V) => V) | null,
      windowDuration: Duration,
      slideDuration?: Duration,
      options?: ReduceByKeyAndWindowOptions<K, V>,
    ): DStream<[K, V]>;
  }
}

const OP = 'reduceByKeyAndWindow';

/** Without an inverse, as Spark: each batch reduced by key, the window of those, reduced by key again. */
function reduceWholeWindow<K, V>(
  stream: DStream<[K, V]>,
  f: (a: V, b: V) => V,
  windowDuration: Duration,
  slideDuration: Duration | undefined,
  options: { numPartitions: number | undefined; name: string | undefined; filterFunc?: ((kv: [K, V]) => boolean) | undefined },
): DStream<[K, V]> {
  const { slideDuration: slide } = windowSpec(stream as DStream<unknown>, windowDuration, slideDuration, OP);
  // Checked here, under this operation's name: the reduceByKey and filter below would name theirs.
  checkFilterFunc(OP, options.filterFunc);
  const { numPartitions, name, filterFunc } = options;
  // The window keeps the batches' reduced pairs: named, they are restored into a changed graph.
  const window = new WindowedDStream(reduceByKeyAs(OP, stream, f, numPartitions), windowDuration, slide, name === undefined ? {} : { name }, OP);
  const windowed = reduceByKeyAs(OP, window, f, numPartitions);
  return filterFunc ? windowed.filter(filterFunc) : windowed;
}

const WINDOW_OPTIONS = ['numPartitions', 'filterFunc', 'name', 'stateStore'];

DStream.prototype.reduceByKeyAndWindow = function <K, V>(
  this: DStream<[K, V]>,
  f: (a: V, b: V) => V,
  second: ((a: V, b: V) => V) | null | Duration,
  ...rest: unknown[]
): DStream<[K, V]> {
  if (typeof f !== 'function') throw new TypeError('reduceByKeyAndWindow needs a reduce function');
  // The second argument tells the forms apart: a function, or null (or undefined), is the inverse.
  if (typeof second === 'function' || second == null) {
    const [windowDuration, slideDuration, options = {}] = rest as [
      Duration,
      Duration | undefined,
      ReduceByKeyAndWindowOptions<K, V> | undefined,
    ];
    if (options === null || typeof options !== 'object') {
      throw new TypeError('reduceByKeyAndWindow: options must be an object { numPartitions?, filterFunc?, name?, stateStore? }');
    }
    // A misspelt filterFunc would silently keep the keys that fell to zero.
    checkOptionKeys(OP, options, WINDOW_OPTIONS);
    const disk = options.stateStore !== undefined && resolveStateStore(checkStateStore(options.stateStore, OP)).type === 'disk';
    if (second == null) {
      if (disk) {
        throw new TypeError(
          "reduceByKeyAndWindow: stateStore 'disk' needs an inverse function: without one the window keeps its " +
            "batches' reduced pairs, not a state per key, and those stay in memory (and in the checkpoint)",
        );
      }
      const numPartitions = options.numPartitions == null ? undefined : checkPartitions(options.numPartitions, OP);
      const name = checkStateName(options.name, OP);
      return reduceWholeWindow(this, f, windowDuration, slideDuration, { numPartitions, name, filterFunc: options.filterFunc });
    }
    if (disk) return new DiskReducedWindowedDStream(this, f, second, windowDuration, slideDuration, options);
    return new ReducedWindowedDStream(this, f, second, windowDuration, slideDuration, options);
  }
  const [slideDuration, last] = rest as [Duration | undefined, unknown];
  return reduceWholeWindow(this, f, second, slideDuration, windowPartitionOptions(OP, last));
} as DStream<unknown>['reduceByKeyAndWindow'];
