/**
 * Spark evaluates `current_timestamp()` and `current_date()` once per query execution: every row
 * of a micro-batch sees the batch's timestamp, which the offset log records so that a batch re-run
 * after a crash sees it again (OffsetSeqMetadata.batchTimestampMs). The executing batch (or static
 * query) sets it here for everything it runs, awaits included; outside one, the session's clock.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<number>();

export function withBatchTimestamp<T>(ms: number, f: () => T): T {
  return current.run(ms, f);
}

/** The timestamp of the batch or query being executed, if any. */
export function batchTimestamp(): number | undefined {
  return current.getStore();
}
