/** The console sink: Spark's `Batch: N` header, then the batch as `show(numRows, truncate)` prints it. */
import { showString } from '../show.js';
import type { BatchOutput, Sink } from './Sink.js';

export const BATCH_RULE = '-------------------------------------------';

export function consoleBatchText(batch: BatchOutput, numRows = 20, truncate: boolean | number = true): string {
  return `${BATCH_RULE}\nBatch: ${batch.batchId}\n${BATCH_RULE}\n${showString(batch.schema, batch.rows, numRows, truncate)}\n`;
}

export class ConsoleSink implements Sink {
  readonly description = 'org.apache.spark.sql.execution.streaming.ConsoleTable$';
  constructor(
    private readonly numRows: number,
    private readonly truncate: boolean,
    private readonly write: (text: string) => void = (t) => void process.stdout.write(t),
  ) {}
  async addBatch(batch: BatchOutput): Promise<void> {
    this.write(consoleBatchText(batch, this.numRows, this.truncate));
  }
}
