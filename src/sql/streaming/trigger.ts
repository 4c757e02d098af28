/**
 * A query's trigger (DataStreamWriter.trigger). A module of its own so that the query, its
 * execution and what the UI shows of it can each name it without importing one another.
 */
export type Trigger = { processingTime: string | number } | { once: true } | { availableNow: true };
