/**
 * Spark's WatermarkTracker. Each withWatermark (an EventTimeWatermarkExec) has its own watermark:
 * the largest event time its rows had minus its delay, never moving back, unset before its first
 * row. The query's watermark is their min — spark.sql.streaming.multipleWatermarkPolicy "min", the
 * default: as slow as the slowest — or their max ("max"), an unset one counting as 0; it never
 * moves back either. Event times are gathered per batch as rows flow (`observe`); the watermark
 * after a batch (`after`) is a function of the position the batch ran from, so a batch that runs
 * again after a crash gives the same one.
 */
import type { Watermark } from '../plan.js';

export type WatermarkPolicy = 'min' | 'max';

export const WATERMARK_POLICY_KEY = 'spark.sql.streaming.multipleWatermarkPolicy';

/** The policy a session's conf names (case-insensitive; "min" when unset), as Spark's conf checks it. */
export function parseWatermarkPolicy(name: string | undefined): WatermarkPolicy {
  const p = (name ?? 'min').toLowerCase();
  if (p === 'min' || p === 'max') return p;
  throw new RangeError(`Invalid value for '${WATERMARK_POLICY_KEY}': '${name}'. Valid values are 'min' and 'max'`);
}

/** A batch's event times at one withWatermark, in ms (Spark's EventTimeStats). */
export interface EventTimeStats {
  max: number;
  min: number;
  sum: number;
  count: number;
}

/** Where the watermarks stand, as the query's checkpointed position holds them (MicroBatchInput). */
export interface WatermarkState {
  watermark: number;
  /** Each withWatermark's own, in plan order (null before its first row); absent without any. */
  operatorWatermarks?: (number | null)[];
  watermarkPolicy?: WatermarkPolicy;
}

export class WatermarkTracker {
  /** Per batch (engine time), per withWatermark: the event times of its rows. */
  private readonly batches = new Map<number, Map<Watermark, EventTimeStats>>();

  /** `operators`: the query's withWatermarks in plan order (their index is their checkpointed slot). */
  constructor(readonly operators: readonly Watermark[]) {}

  observe(time: number, w: Watermark, ms: number): void {
    let batch = this.batches.get(time);
    if (batch === undefined) this.batches.set(time, (batch = new Map()));
    const s = batch.get(w);
    if (s === undefined) return void batch.set(w, { max: ms, min: ms, sum: ms, count: 1 });
    if (ms > s.max) s.max = ms;
    if (ms < s.min) s.min = ms;
    s.sum += ms;
    s.count++;
  }

  /** What a progress report shows for batch `time`: the first withWatermark that had rows (Spark's headOption). */
  reported(time: number): EventTimeStats | undefined {
    const batch = this.batches.get(time);
    return batch && this.operators.map((w) => batch.get(w)).find((s) => s !== undefined);
  }

  /** The watermarks after batch `time`, which ran with `ran` from the position `before`. */
  after(time: number, ran: number, before: WatermarkState): WatermarkState {
    if (this.operators.length === 0) return { watermark: ran };
    // A checkpoint written before per-operator tracking (or for another plan) has none that fit:
    // they start unset, as Spark's tracker does after any restart.
    const prev = before.operatorWatermarks?.length === this.operators.length ? before.operatorWatermarks : undefined;
    const batch = this.batches.get(time);
    const operatorWatermarks = this.operators.map((w, i) => {
      const was = prev?.[i] ?? null;
      const s = batch?.get(w);
      if (s === undefined) return was;
      const now = s.max - w.delayMs;
      return was === null || now > was ? now : was;
    });
    const values = operatorWatermarks.map((v) => v ?? 0);
    const chosen = before.watermarkPolicy === 'max' ? Math.max(...values) : Math.min(...values);
    return { watermark: Math.max(ran, chosen), operatorWatermarks };
  }

  forget(time: number): void {
    this.batches.delete(time);
  }
}
