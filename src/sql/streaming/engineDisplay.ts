/**
 * What a query's engine context shows through its attachments (`dstreams run`'s progress lines,
 * the web UI, /metrics): the engine runs on a private ManualClock whose times only count
 * micro-batches (batch N at (N + 1) s), so each batch is mapped to its trigger's wall-clock start,
 * the query's batchId and the input rate its StreamingQueryProgress reports, and the context's
 * batch duration to the query's trigger. See BatchDisplay (context/attachments.ts).
 */
import type { BatchDisplay, DisplayedBatch } from '../../context/attachments.js';
import { triggerIntervalMs } from '../interval.js';
import type { Trigger } from './trigger.js';

/** Batches kept for lookup: the engine runs one at a time, so the last few are enough for its events. */
const KEPT = 16;

/** The trigger in words, after `started, `. */
export function describeTrigger(trigger: Trigger | undefined): { intervalMs: number; text: string } {
  if (trigger && 'once' in trigger) return { intervalMs: 0, text: 'one batch, then stops (Trigger.Once)' };
  if (trigger && 'availableNow' in trigger) return { intervalMs: 0, text: 'the data available now, then stops (Trigger.AvailableNow)' };
  const intervalMs = trigger ? triggerIntervalMs(trigger.processingTime) : 0;
  return { intervalMs, text: intervalMs > 0 ? `a batch every ${intervalMs / 1000} s` : 'a batch as soon as data arrives' };
}

export class EngineDisplay implements BatchDisplay {
  readonly label: string;
  readonly intervalMs: number;
  readonly trigger: string;
  private readonly batches = new Map<number, DisplayedBatch>();
  private lastTime = -Infinity;

  constructor(
    readonly query: { id: string; runId: string; name: string | null },
    trigger: Trigger | undefined,
    readonly now: () => number,
  ) {
    this.label = `query ${query.name ? `${query.name} ` : ''}[id = ${query.id}, runId = ${query.runId}]`;
    const t = describeTrigger(trigger);
    this.intervalMs = t.intervalMs;
    this.trigger = t.text;
  }

  /**
   * Before the engine runs batch `batchId` at engine time `engineTime`. Shown times strictly
   * increase (they are the UI's batch ids): two triggers in the same millisecond are 1 ms apart.
   */
  plan(engineTime: number, batchId: number, triggerStart: number, inputRowsPerSecond: number): void {
    const time = Math.max(triggerStart, this.lastTime + 1);
    this.lastTime = time;
    this.batches.set(engineTime, { time, batchId, inputRowsPerSecond });
    for (const t of this.batches.keys()) {
      if (this.batches.size <= KEPT) break;
      this.batches.delete(t);
    }
  }

  batch(time: number): DisplayedBatch | undefined {
    return this.batches.get(time);
  }
}
