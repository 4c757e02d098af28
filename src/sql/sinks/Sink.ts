/**
 * A streaming sink: `addBatch(batchId, rows)` writes one micro-batch's output, in the query's
 * output mode. A batch re-run after a crash comes again with the same id and the same rows:
 * sinks that can (file, memory, postgres) write it at most once; foreachBatch gets the id to
 * do the same.
 */
import type { StructType } from '../types.js';
import type { Row } from '../values.js';

export type OutputModeName = 'append' | 'update' | 'complete';

export interface BatchOutput {
  batchId: number;
  rows: Row[];
  schema: StructType;
  mode: OutputModeName;
}

export interface Sink {
  /** For progress reports (`sink.description`). */
  readonly description: string;
  open?(): Promise<void>;
  addBatch(batch: BatchOutput): Promise<void>;
  close?(): Promise<void>;
}

/** Seed 002's table: which sink takes which output mode (checked at start()). */
export const SINK_MODES: Record<string, readonly OutputModeName[]> = {
  console: ['append', 'update', 'complete'],
  memory: ['append', 'complete'],
  json: ['append'],
  csv: ['append'],
  text: ['append'],
  parquet: ['append'],
  kafka: ['append', 'update', 'complete'],
  postgres: ['append', 'update', 'complete'],
  foreachBatch: ['append', 'update', 'complete'],
};
