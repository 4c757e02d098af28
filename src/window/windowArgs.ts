import type { DStream } from '../dstream/DStream.js';
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
