/**
 * Where a starting context's batches fall on the time axis (pure: StreamingContext.start reads
 * the clock and applies the answer).
 *
 * When things happen: a fresh context's zero time is the batch boundary at or before `now` and
 * its first batch the next boundary. A recovered one resumes on the checkpoint's grid right after
 * its last completed batch (a first run that generated batches and completed none: on its grid,
 * after its zero time — checkpoint/startRecord.ts); with `skipMissedBatches` it jumps to the next boundary after `now`,
 * still running first the batches the checkpoint had generated and not completed (Spark re-runs
 * them). A scaled-out context that starts fresh counts its zero time back to a multiple of every
 * slide from the epoch, so every copy's windows end at the same times; the batches between that
 * zero time and the first never run (inputs have no data then).
 */
import type { CheckpointMeta } from '../checkpoint/index.js';
import { JobScheduler } from './JobScheduler.js';

export interface BatchGrid {
  zeroTime: number;
  /** The first batch time the scheduler generates. */
  first: number;
  /** Batches generated before a crash and not completed, run again before `first` (skipMissedBatches). */
  rerun: number[];
  /** The batch times inputs have no data for: (after, before), except `rerun` (DStreamGraph.skippedBatches). */
  skipped: { after: number; before: number; rerun: ReadonlySet<number> } | undefined;
}

export function batchGrid(
  now: number,
  batch: number,
  recovered: { meta: Pick<CheckpointMeta, 'zeroTime' | 'lastCompletedTime' | 'pendingTimes'>; skipMissedBatches: boolean } | undefined,
  /** A scaled-out context's slide durations (undefined: not scaled out). */
  scaledOutSlides: readonly number[] | undefined,
): BatchGrid {
  let zeroTime = JobScheduler.firstBatchTime(now, batch) - batch;
  let first = zeroTime + batch;
  let rerun: number[] = [];
  let skipped: BatchGrid['skipped'];
  if (recovered) {
    const { meta, skipMissedBatches } = recovered;
    zeroTime = meta.zeroTime;
    first = meta.lastCompletedTime + batch;
    const next = zeroTime + (Math.floor((now - zeroTime) / batch) + 1) * batch;
    if (skipMissedBatches && next > first) {
      rerun = [...new Set(meta.pendingTimes ?? [])].filter((t) => t >= first && t < next).sort((a, b) => a - b);
      skipped = { after: meta.lastCompletedTime, before: next, rerun: new Set(rerun) };
      first = next;
    }
  } else if (scaledOutSlides) {
    const grid = scaledOutSlides.reduce((g, s) => lcm(g, s), batch);
    const aligned = Math.floor(zeroTime / grid) * grid;
    if (aligned < zeroTime) skipped = { after: aligned, before: first, rerun: new Set() };
    zeroTime = aligned;
  }
  return { zeroTime, first, rerun, skipped };
}

/** The least common multiple of two whole durations (the grid both slide on). */
function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a / gcd(a, b)) * b;
}
