/**
 * A streaming source as Spark's (MicroBatchStream): offsets say how far the data goes; a batch
 * is the rows in (start, end]. Offsets are JSON values (a count, `{"topic":{"0":23}}`), written
 * to the checkpoint before the batch runs, so a batch re-run after a crash reads exactly the
 * same rows.
 *
 * When things happen (driven by execution/MicroBatchExecution, one call at a time):
 *  - start(): once, after the checkpoint is restored (the committed offset is known).
 *  - latestOffset(start): at each trigger, to see whether there is new data and how far to read
 *    (rate limits such as maxOffsetsPerTrigger apply from `start`).
 *  - getBatch(start, end): the rows of the batch about to run.
 *  - commit(end): after the batch's sink write and checkpoint (a MemoryStream forgets the rows).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { StructType } from '../types.js';
import type { Row } from '../values.js';

export type Offset = unknown;

/**
 * Trigger.Once ignores the sources' rate limits (maxOffsetsPerTrigger, maxFilesPerTrigger), as
 * Spark's. Trigger.AvailableNow keeps them but reads no further than `upTo`, the latest offset
 * when the query started (Spark's prepareForTriggerAvailableNow): data that arrives later is left
 * for the next run.
 */
export interface ReadLimits {
  ignoreLimits?: boolean;
  upTo?: { end: Offset | undefined };
}

export interface Source {
  readonly description: string;
  readonly schema: StructType;
  start?(committed: Offset | undefined): Promise<void>;
  /**
   * Where a query that never ran a batch starts (Kafka's resolved startingOffsets): it is the
   * first batch's start, recorded with it, so a re-run of that batch reads the same records.
   */
  initialOffset?(): Offset | undefined;
  /** The offset to read up to now; `start` when there is nothing new (or undefined before any data). */
  latestOffset(start: Offset | undefined, limits?: ReadLimits): Promise<Offset | undefined>;
  getBatch(start: Offset | undefined, end: Offset): Promise<Row[]>;
  commit?(end: Offset): void;
  stop?(): Promise<void>;
}

/** What a DataFrame's StreamScan holds: how to make the live source when a query starts. */
export interface SourceProvider {
  readonly description: string;
  /**
   * `startedAt`: the session clock when start() was called (the sink and engine open after it);
   * `startedAtWallMs`: the wall clock then (Kafka's `latest` is the log as it was at start()).
   */
  createSource(at: { startedAt: number; startedAtWallMs: number }): Source;
}

export function sameOffset(a: Offset | undefined, b: Offset | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

const opening = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs a query's opening (sink, engine, the source's start()) with `signal`, aborted when stop()
 * abandons the opening (stop() does not wait for it): a source whose start() may wait long (Kafka
 * retrying a broker that does not answer) reads it with `openingSignal()` and stops retrying,
 * rather than hold what the opening opened until its retries end.
 */
export function withOpeningSignal<T>(signal: AbortSignal, f: () => T): T {
  return opening.run(signal, f);
}

/** The signal of the opening the caller runs in (a Source's start()), if any. */
export function openingSignal(): AbortSignal | undefined {
  return opening.getStore();
}
