/**
 * writeStream.format('postgres'): each batch through the project's PostgresSink, in the query's
 * mode (append: insert; update: upsert on the grouping columns; complete: replace the table),
 * exactly once by batch id — the sink claims (sinkId, batchId) in the batch's transaction, so a
 * batch re-run after a crash is skipped. The table is created from the DataFrame's schema when
 * missing (keys UNIQUE NULLS NOT DISTINCT: a GROUP BY puts NULLs in one group).
 *
 * Options: url (jdbc:postgresql://host:port/db), dbtable, user, password, sinkId (default the
 * table and the query's id), keyColumns (comma-separated; default the grouping columns), method (copy | insert).
 */
import { PostgresSink, type WriteMethod } from '../../sinks/postgres/index.js';
import { AnalysisException } from '../errors.js';
import type { StructType } from '../types.js';
import type { Row } from '../values.js';
import { pgTarget, pgValue, sqlType } from './jdbcUrl.js';
import { registerSinkFormat } from './registry.js';
import type { BatchOutput, OutputModeName, Sink } from './Sink.js';

export class StructuredPostgresSink implements Sink {
  readonly description: string;
  private readonly sink: PostgresSink<Row>;
  constructor(options: Record<string, string>, schema: StructType, mode: OutputModeName, keys: string[], queryId: string) {
    const url = options.url;
    const table = options.dbtable ?? options.table;
    if (!url || !table) throw new AnalysisException("the postgres sink needs option('url', 'jdbc:postgresql://host:port/db') and option('dbtable', name)");
    const target = pgTarget(url, table, options);
    const columns = schema.fieldNames;
    const keyColumns = options.keyColumns ? options.keyColumns.split(',').map((s) => s.trim()) : keys;
    if (mode === 'update' && keyColumns.length === 0) {
      throw new AnalysisException("the postgres sink in update mode needs key columns: option('keyColumns', 'a,b') or an aggregation");
    }
    this.description = `PostgresSink[${table}]`;
    this.sink = new PostgresSink<Row>({
      connectionString: target.connectionString,
      table: target.table,
      columns,
      toValues: (r) => schema.fields.map((f) => pgValue(r[f.name], f.dataType)),
      mode,
      ...(mode === 'update' ? { keyColumns, keyNullsNotDistinct: true } : {}),
      createTable: Object.fromEntries(schema.fields.map((f) => [f.name, sqlType(f.dataType)])),
      // Batch ids start again at 0 with a new checkpoint: claimed under the old query's id, they would be skipped.
      sinkId: options.sinkId ?? `structured:${table}:${queryId}`,
      ...(options.method ? { method: options.method as WriteMethod } : {}),
    });
  }
  async open(): Promise<void> {
    await this.sink.init();
  }
  async addBatch(batch: BatchOutput): Promise<void> {
    await this.sink.writeBatch({ batchTime: batch.batchId }, batch.rows);
  }
  async close(): Promise<void> {
    await this.sink.close();
  }
}

registerSinkFormat('postgres', () => (args) => new StructuredPostgresSink(args.options, args.schema, args.mode, args.keyColumns ?? [], args.queryId));
