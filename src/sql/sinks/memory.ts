/**
 * The memory sink: a table in the session (`spark.table(queryName)`, `spark.sql('select … from
 * name')`). Append adds each batch's rows, complete replaces them. A batch id already added is
 * ignored (Spark's MemorySink), so a re-run batch does not duplicate rows.
 */
import type { StructType } from '../types.js';
import type { Row } from '../values.js';
import type { BatchOutput, Sink } from './Sink.js';

export class MemoryTable {
  rows: Row[] = [];
  lastBatchId = -1;
  constructor(public schema: StructType) {}
}

export class MemorySink implements Sink {
  readonly description: string;
  constructor(
    private readonly table: MemoryTable,
    name: string,
  ) {
    this.description = `MemorySink[${name}]`;
  }
  async addBatch(batch: BatchOutput): Promise<void> {
    if (batch.batchId <= this.table.lastBatchId) return;
    if (batch.mode === 'complete') this.table.rows = batch.rows.slice();
    else for (const r of batch.rows) this.table.rows.push(r);
    this.table.lastBatchId = batch.batchId;
  }
}
