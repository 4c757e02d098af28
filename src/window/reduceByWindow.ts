import '../dstream/index.js';
import { DStream } from '../dstream/DStream.js';
import { described } from '../rdd/checks.js';
import type { Duration } from '../util/duration.js';
import { ReducedWindowedDStream } from './ReducedWindowedDStream.js';
import { WindowedDStream } from './window.js';
import { windowOptions, windowSpec, type WindowOptions } from './windowArgs.js';

declare module '../dstream/DStream.js' {
  interface DStream<T> {
    /**
     * Every `slideDuration`, the elements of the last `windowDuration` reduced with `f` (nothing for
     * an empty window). With an inverse `invF` the result is kept incrementally, as
     * reduceByKeyAndWindow with an inverse does (stateful: `start()` needs `checkpoint(dir)`).
     * `options.name` names the window's state, so getOrCreate restores it into a changed graph.
     */
    reduceByWindow(
      f: (a: T, b: T) => T,
      invF: ((a: T, b: T) => T) | null,
      windowDuration: Duration,
      slideDuration?: Duration,
      options?: WindowOptions,
    ): DStream<T>;
    /** Scala's form without an inverse: `reduceByWindow(f, windowDuration, slideDuration)`. */
    reduceByWindow(f: (a: T, b: T) => T, windowDuration: Duration, slideDuration?: Duration, options?: WindowOptions): DStream<T>;
  }
}

DStream.prototype.reduceByWindow = function <T>(
  this: DStream<T>,
  f: (a: T, b: T) => T,
  second: ((a: T, b: T) => T) | null | Duration,
  ...rest: unknown[]
): DStream<T> {
  // The second argument tells the forms apart, as reduceByKeyAndWindow's: a number is the window
  // (Scala's form, no inverse); a function, null or undefined the inverse.
  if (typeof second === 'number') {
    return reduceByWindow(this, f, null, second, rest[0] as Duration | undefined, windowOptions('reduceByWindow', rest[1]));
  }
  if (second != null && typeof second !== 'function') {
    throw new TypeError(`reduceByWindow: the second argument is the inverse function or null (or the window duration), got ${described(second)}`);
  }
  const op = second == null ? 'reduceByWindow' : 'reduceByWindow with an inverse function';
  return reduceByWindow(this, f, second, rest[0] as Duration, rest[1] as Duration | undefined, windowOptions(op, rest[2]));
} as DStream<unknown>['reduceByWindow'];

function reduceByWindow<T>(
  stream: DStream<T>,
  f: (a: T, b: T) => T,
  invF: ((a: T, b: T) => T) | null | undefined,
  windowDuration: Duration,
  slideDuration: Duration | undefined,
  options: WindowOptions,
): DStream<T> {
  const op = invF == null ? 'reduceByWindow' : 'reduceByWindow with an inverse function';
  if (typeof f !== 'function') throw new TypeError(`${op} needs a reduce function`);
  const { slideDuration: slide } = windowSpec(stream as DStream<unknown>, windowDuration, slideDuration, op);
  // As Spark: without an inverse, each batch reduced once, then the window of those reduced —
  // per partition (one value per partition and batch), so that in a scaled-out job the window's
  // batches still know their input partition and move with it (f is associative and commutative).
  if (invF == null) {
    const perBatch = stream.mapPartitions((it) => {
      let acc: T | undefined;
      let any = false;
      for (const t of it) {
        acc = any ? f(acc as T, t) : t;
        any = true;
      }
      return any ? [acc as T] : [];
    });
    // The window keeps the batches' reduced values: named, they are restored into a changed graph.
    return new WindowedDStream(perBatch, windowDuration, slide, options, op).reduce(f);
  }
  // With one, a single key's value kept by the incremental window.
  const keyed = stream.map((t): [0, T] => [0, t]);
  return new ReducedWindowedDStream(keyed, f, invF, windowDuration, slide, { numPartitions: 1, operation: op, ...options }).map(
    (kv) => kv[1],
  );
}
