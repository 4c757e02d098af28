import '../dstream/index.js';
import { DStream } from '../dstream/DStream.js';
import { checkPartitions } from '../rdd/checks.js';
import type { Duration } from '../util/duration.js';
import { checkStateStore, resolveStateStore } from '../dstream/stateStore.js';
import { DiskReducedWindowedDStream } from './DiskReducedWindowedDStream.js';
import { ReducedWindowedDStream, type ReduceByKeyAndWindowOptions } from './ReducedWindowedDStream.js';
import './window.js';
import { checkFilterFunc, windowSpec } from './windowArgs.js';

declare module '../dstream/DStream.js' {
  interface DStream<T> {
    /**
     * Every `slideDuration`, each key's values over the last `windowDuration` reduced with `f`,
     * the whole window reduced again at each slide (Spark's form without an inverse).
     */
    reduceByKeyAndWindow<K, V>(
      this: DStream<[K, V]>,
      f: (a: V, b: V) => V,
      windowDuration: Duration,
      slideDuration?: Duration,
      numPartitions?: number,
    ): DStream<[K, V]>;
    /**
     * With an inverse `invF`, the window is kept incrementally: the previous window's value, minus
     * (`invF`) the batches that left, plus (`f`) those that entered. Keys whose value fell to the
     * inverse's zero stay until `filterFunc` drops them. Stateful: `start()` needs `checkpoint(dir)`.
     * With `invF` null, the same as the form without an inverse (then filtered by `filterFunc`).
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

/** Without an inverse, as Spark: each batch reduced by key, the window of those, reduced by key again. */
function reduceWholeWindow<K, V>(
  stream: DStream<[K, V]>,
  f: (a: V, b: V) => V,
  windowDuration: Duration,
  slideDuration: Duration | undefined,
  numPartitions: number | undefined,
  filterFunc: ((kv: [K, V]) => boolean) | undefined,
): DStream<[K, V]> {
  const op = 'reduceByKeyAndWindow';
  const { slideDuration: slide } = windowSpec(stream as DStream<unknown>, windowDuration, slideDuration, op);
  // Checked here, under this operation's name: the reduceByKey and filter below would name theirs.
  checkFilterFunc(op, filterFunc);
  if (numPartitions != null) checkPartitions(numPartitions, op);
  const windowed = stream.reduceByKey(f, numPartitions).window(windowDuration, slide).reduceByKey(f, numPartitions);
  return filterFunc ? windowed.filter(filterFunc) : windowed;
}

const WINDOW_OPTIONS = new Set(['numPartitions', 'filterFunc', 'name', 'stateStore']);

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
      throw new TypeError('reduceByKeyAndWindow: options must be an object { numPartitions?, filterFunc? }');
    }
    // A misspelt filterFunc would silently keep the keys that fell to zero.
    const unknown = Object.keys(options).filter((k) => !WINDOW_OPTIONS.has(k));
    if (unknown.length > 0) {
      throw new TypeError(`reduceByKeyAndWindow: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; the options are numPartitions, filterFunc, name, stateStore`);
    }
    if (second == null) {
      return reduceWholeWindow(this, f, windowDuration, slideDuration, options.numPartitions, options.filterFunc);
    }
    if (options.stateStore !== undefined && resolveStateStore(checkStateStore(options.stateStore, 'reduceByKeyAndWindow')).type === 'disk') {
      if (typeof second !== 'function') throw new TypeError('reduceByKeyAndWindow needs an inverse reduce function');
      return new DiskReducedWindowedDStream(this, f, second, windowDuration, slideDuration, options);
    }
    return new ReducedWindowedDStream(this, f, second, windowDuration, slideDuration, options);
  }
  const [slideDuration, numPartitions] = rest as [Duration | undefined, number | undefined];
  return reduceWholeWindow(this, f, second, slideDuration, numPartitions, undefined);
} as DStream<unknown>['reduceByKeyAndWindow'];
