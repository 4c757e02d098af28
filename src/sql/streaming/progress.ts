/** StreamingQueryProgress and StreamingQueryStatus, with Spark's field names. */
import type { StateOperatorMetrics } from './StateStoreDStream.js';

export interface SourceProgress {
  description: string;
  startOffset: unknown;
  endOffset: unknown;
  latestOffset: unknown;
  numInputRows: number;
  inputRowsPerSecond: number;
  processedRowsPerSecond: number;
}

export interface SinkProgress {
  description: string;
  numOutputRows: number;
}

export interface StreamingQueryProgress {
  id: string;
  runId: string;
  name: string | null;
  /** When the trigger started, ISO 8601. */
  timestamp: string;
  batchId: number;
  numInputRows: number;
  inputRowsPerSecond: number;
  processedRowsPerSecond: number;
  durationMs: { latestOffset: number; getBatch: number; addBatch: number; walCommit: number; triggerExecution: number; queryPlanning: number; commitOffsets: number };
  /** With a watermark: the watermark the batch ran with (ISO), and its event times. */
  eventTime?: { watermark: string; max?: string; min?: string; avg?: string };
  stateOperators: (StateOperatorMetrics & { memoryUsedBytes: number })[];
  sources: SourceProgress[];
  sink: SinkProgress;
}

export interface StreamingQueryStatus {
  message: string;
  isDataAvailable: boolean;
  isTriggerActive: boolean;
}

/** Rows per second over `ms` milliseconds (0 when no time passed, as Spark reports). */
export function perSecond(rows: number, ms: number): number {
  return ms > 0 ? (rows * 1000) / ms : 0;
}
