/**
 * Edge components a StreamingContext carries without depending on them — the web UI (src/ui),
 * the CLI's per-batch progress lines. Such a module registers a factory once, when imported
 * (`StreamingContext.registerAttachment`; the package entry imports them); every new context
 * asks each factory, with its options, whether it wants to attach. An attachment observes the
 * context only through listeners and read-only getters: the engine calls nothing of it beyond
 * this interface.
 *
 * When things happen:
 *  - the context's constructor calls each factory (listeners added then see every event);
 *  - start(): after the graph is validated, before the inputs start — a throw fails start();
 *  - stop: once the context has stopped (batches, inputs and checkpoint are done).
 */
export interface ContextAttachment {
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
  /** A web page's address, once started (ssc.uiWebUrl). */
  readonly webUrl?: string | undefined;
}

/**
 * A context that runs on a private clock for something else — a structured query's engine,
 * whose ManualClock only counts micro-batches — says what its batches stand for, so that its
 * attachments show the owner's wall-clock times, trigger and rates rather than engine times.
 * Registered by the owner after constructing the context, before start(); attachments read it
 * when events come. Contexts without one are shown as they are.
 */
export interface DisplayedBatch {
  /** The batch's wall-clock time (ms): when its trigger started (the progress's timestamp). */
  time: number;
  /** The owner's number for the batch (a query's batchId). */
  batchId: number;
  /** Input records/s since the previous batch's start (0 for the first, as Spark's progress). */
  inputRowsPerSecond: number;
}

export interface BatchDisplay {
  /** Who runs the batches, as Spark names a query: `name [id = …, runId = …]`. */
  readonly label: string;
  readonly query: { id: string; runId: string; name: string | null };
  /** The interval between batch starts (ms); 0 when batches do not run on an interval. */
  readonly intervalMs: number;
  /** How batches are triggered, in words: `a batch every 2 s`, `a batch as soon as data arrives`, … */
  readonly trigger: string;
  /** Now on the owner's clock: when the context's events happened. */
  now(): number;
  /** The batch the context runs at engine time `time`; undefined for one the owner did not plan. */
  batch(time: number): DisplayedBatch | undefined;
}

const displays = new WeakMap<object, BatchDisplay>();

export function setBatchDisplay(ssc: object, display: BatchDisplay): void {
  displays.set(ssc, display);
}

export function batchDisplayOf(ssc: object): BatchDisplay | undefined {
  return displays.get(ssc);
}
