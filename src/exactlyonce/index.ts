/**
 * Exactly once from Kafka to PostgreSQL (library): restart from the checkpoint or from the sink's
 * committed offsets, and hand each batch's offset ranges to the output that writes it.
 */
export { OffsetTracker, resumeFromSink, storedFromOffsets, type ResumeOptions, type Resumed, type StartFromSink } from './exactlyOnce.js';
export { directStreamFromSink } from './directFromSink.js';
export { foreachBatchTo, type ForeachBatchToOptions } from './foreachBatchTo.js';
