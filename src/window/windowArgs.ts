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

/** Options of the windows that keep batches in the checkpoint (window, countByWindow). */
export interface WindowOptions {
  /** Names the window's checkpointed batches, so getOrCreate restores them into a changed graph. */
  name?: string;
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
