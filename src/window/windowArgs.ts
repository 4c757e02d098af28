import type { DStream } from '../dstream/DStream.js';
import { checkStateName } from '../dstream/stateName.js';
import { checkPartitions, described } from '../rdd/checks.js';
import { checkDuration, checkMultiple, type Duration } from '../util/duration.js';

/** A window's length and slide, both checked against the stream they are cut from. */
export interface WindowSpec {
  readonly windowDuration: Duration;
  readonly slideDuration: Duration;
}

/**
 * Checks `windowDuration` and `slideDuration` (default: the parent's slide) for operation `op`:
 * positive whole milliseconds and multiples of the parent's slide duration, as Spark requires.
 */
export function windowSpec(
  parent: DStream<unknown>,
  windowDuration: Duration,
  slideDuration: Duration | undefined,
  op: string,
): WindowSpec {
  const unit = parent.slideDuration;
  const slide = slideDuration ?? unit;
  checkDuration(windowDuration, `${op}: window duration`);
  checkDuration(slide, `${op}: slide duration`);
  checkMultiple(windowDuration, unit, `${op}: window duration`, "the parent stream's slide duration");
  checkMultiple(slide, unit, `${op}: slide duration`, "the parent stream's slide duration");
  return { windowDuration, slideDuration: slide };
}

/**
 * The batch times of `parent` inside the window ending at `time`: `(time - windowDuration, time]`,
 * oldest first, at the parent's pace.
 */
export function* parentTimes(parent: DStream<unknown>, from: number, to: number): Generator<number> {
  const step = parent.slideDuration;
  // `from` is excluded: the first time is the next one on the parent's grid.
  for (let t = from + step; t <= to; t += step) yield t;
}

/** Options of the windows that keep batches in the checkpoint (window, countByWindow, reduceByWindow). */
export interface WindowOptions {
  /** Names the window's checkpointed batches, so getOrCreate restores them into a changed graph. */
  name?: string;
}

/**
 * The last argument of groupByKeyAndWindow, countByValueAndWindow and reduceByKeyAndWindow
 * without an inverse: Spark's `numPartitions`, or these options (a name needs an object).
 */
export interface WindowPartitionOptions extends WindowOptions {
  numPartitions?: number;
}

/** Options objects whose misspelt keys would silently do nothing: refused, naming the known ones. */
export function checkOptionKeys(operation: string, options: object, known: readonly string[]): void {
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new TypeError(
      `${operation}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; ` +
        `the options are ${known.join(', ')}`,
    );
  }
}

/**
 * `options` as a window's `{ name? }` (reduceByWindow's last argument, countByWindow's, window's):
 * an object with known keys only, the name a state name.
 */
export function windowOptions(operation: string, options: unknown): WindowOptions {
  if (options == null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${operation}: options must be an object { name? }, got ${described(options)}`);
  }
  checkOptionKeys(operation, options, ['name']);
  const name = checkStateName((options as WindowOptions).name, operation);
  return name === undefined ? {} : { name };
}

/**
 * A numPartitions-or-options last argument (see WindowPartitionOptions), checked under `operation`:
 * a number is a partition count (a positive integer), an object holds known keys only.
 */
export function windowPartitionOptions(
  operation: string,
  arg: unknown,
): { numPartitions: number | undefined; name: string | undefined } {
  if (arg == null) return { numPartitions: undefined, name: undefined };
  // Anything but an object is meant as the count: refused as one ('2' must not read as 2).
  if (typeof arg !== 'object' || Array.isArray(arg)) return { numPartitions: checkPartitions(arg, operation), name: undefined };
  checkOptionKeys(operation, arg, ['numPartitions', 'name']);
  const o = arg as WindowPartitionOptions;
  return {
    numPartitions: o.numPartitions == null ? undefined : checkPartitions(o.numPartitions, operation),
    name: checkStateName(o.name, operation),
  };
}

/** A filterFunc option when given: a function (a string such as 'v > 0' would fail only the first batch). */
export function checkFilterFunc(operation: string, filterFunc: unknown): void {
  if (filterFunc !== undefined && typeof filterFunc !== 'function') {
    throw new TypeError(`${operation}: filterFunc must be a function, got ${described(filterFunc)}`);
  }
}

/** What the constructors of the windows with state (in memory or on disk) check in their options. */
export interface WindowStateArgs {
  operation: string;
  numPartitions: number;
  stateName: string | undefined;
}

/**
 * Checks the options of a window with state for `operation`: a filterFunc is a function, the
 * number of partitions (default the graph's parallelism) a positive integer, the name a state name.
 */
export function windowStateArgs(
  parent: DStream<unknown>,
  operation: string,
  options: { filterFunc?: unknown; numPartitions?: number; name?: string },
): WindowStateArgs {
  checkFilterFunc(operation, options.filterFunc);
  const numPartitions = checkPartitions(options.numPartitions ?? parent.graph.defaultParallelism, operation);
  return { operation, numPartitions, stateName: checkStateName(options.name, operation) };
}
