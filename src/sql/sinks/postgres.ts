/**
 * writeStream.format('postgres'): each batch through the project's PostgresSink, in the query's
 * mode (append: insert; update: upsert on the grouping columns; complete: replace the table),
 * exactly once by batch id — the sink claims (sinkId, batchId) in the batch's transaction, so a
 * batch re-run after a crash is skipped. The table is created from the DataFrame's schema when
 * missing (keys UNIQUE NULLS NOT DISTINCT: a GROUP BY puts NULLs in one group).
 *
 * Options: url (jdbc:postgresql://host:port/db), dbtable, user, password, sinkId (default the
 * table and the query's id), keyColumns (comma-separated; default the grouping columns), method
 * (copy | insert), tableCheck (true | false; default true in update mode, false otherwise).
 *
 * When things happen: the columns and their types are the batch schema's, taken when the sink
 * first connects — at start(), or at the first batch when the schema is not known before its data
 * (a MemoryStream of objects made before its first addData).
 *
 * The table check (PostgresSink's `tableCheck`) refuses to write on a table that lost rows behind
 * the query's back: in update mode a batch writes only the groups it changed, so a truncated
 * table would stay short of the others for good. Complete mode is not checked: every batch
 * replaces the whole table from the query's state, a truncated table included.
 */
import { PostgresSink, type WriteMethod } from '../../sinks/postgres/index.js';
import { damageFinding, type TableDamage } from '../../sinks/postgres/guard.js';
import { causeChain } from '../../util/causeChain.js';
import { AnalysisException } from '../errors.js';
import { PendingStructType, type StructType } from '../types.js';
import type { Row } from '../values.js';
import { pgTarget, pgValue, sqlType, type PgTarget } from './jdbcUrl.js';
import { registerSinkFormat } from './registry.js';
import type { BatchOutput, OutputModeName, Sink } from './Sink.js';

export class StructuredPostgresSink implements Sink {
  readonly description: string;
  private readonly target: PgTarget;
  private readonly keyColumns: string[];
  private readonly method: WriteMethod | undefined;
  private readonly tableCheck: boolean;
  private readonly sinkId: string;
  private sink: PostgresSink<Row> | undefined;
  private closed = false;

  constructor(
    options: Record<string, string>,
    private readonly schema: StructType,
    private readonly mode: OutputModeName,
    keys: string[],
    queryId: string,
  ) {
    const url = options.url;
    const table = options.dbtable ?? options.table;
    if (!url || !table) throw new AnalysisException("the postgres sink needs option('url', 'jdbc:postgresql://host:port/db') and option('dbtable', name)");
    this.target = pgTarget(url, table, options);
    this.keyColumns = options.keyColumns ? options.keyColumns.split(',').map((s) => s.trim()) : keys;
    if (mode === 'update' && this.keyColumns.length === 0) {
      throw new AnalysisException("the postgres sink in update mode needs key columns: option('keyColumns', 'a,b') or an aggregation");
    }
    if (options.method !== undefined && !['copy', 'insert'].includes(options.method)) {
      throw new AnalysisException(`the postgres sink's option('method', ${JSON.stringify(options.method)}): expected copy or insert`);
    }
    this.method = options.method as WriteMethod | undefined;
    this.tableCheck = tableCheckOption(options.tableCheck, mode);
    this.description = `PostgresSink[${table}]`;
    // Batch ids start again at 0 with a new checkpoint: claimed under the old query's id, they would be skipped.
    this.sinkId = options.sinkId ?? `structured:${table}:${queryId}`;
  }

  async open(): Promise<void> {
    // A schema still pending has placeholder columns: the table is made at the first batch.
    if (!(this.schema instanceof PendingStructType)) await this.explained(() => this.sinkFor(this.schema).init());
  }

  async addBatch(batch: BatchOutput): Promise<void> {
    const sink = this.sink ?? this.sinkFor(batch.schema);
    await this.explained(() => sink.writeBatch({ batchTime: batch.batchId }, batch.rows));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.sink?.close();
  }

  /** The PostgresSink, made once, with the columns and types `schema` has now. */
  private sinkFor(schema: StructType): PostgresSink<Row> {
    if (this.closed) throw new Error(`${this.description} is closed`);
    if (this.sink) return this.sink;
    const fields = schema.fields;
    this.sink = new PostgresSink<Row>({
      connectionString: this.target.connectionString,
      table: this.target.table,
      columns: fields.map((f) => f.name),
      toValues: (r) => fields.map((f) => pgValue(r[f.name], f.dataType)),
      mode: this.mode,
      ...(this.mode === 'update' ? { keyColumns: this.keyColumns, keyNullsNotDistinct: true } : {}),
      createTable: Object.fromEntries(fields.map((f) => [f.name, sqlType(f.dataType)])),
      sinkId: this.sinkId,
      tableCheck: this.tableCheck,
      ...(this.method ? { method: this.method } : {}),
    });
    return this.sink;
  }

  /** The table check's refusal in the terms of writeStream (the sink's own names `rebuild` and `startOver()`). */
  private async explained<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      const damage = causeChain(e)
        .map((c) => (c as { code?: unknown; damage?: TableDamage }).code === 'TABLE_DAMAGED' ? (c as { damage?: TableDamage }).damage : undefined)
        .find((d) => d !== undefined);
      if (damage === undefined) throw e;
      throw new Error(
        `${this.description}: ${damageFinding(damage)}. The table no longer holds every row this query wrote, and ` +
          `going on would leave those rows missing (a batch writes only the groups it changed). Either drop or empty ` +
          `the table and start the query on a new checkpointLocation, so that it reads its input again and writes every ` +
          `row anew; or set option('tableCheck', 'false') to go on writing over the table as it is`,
        { cause: e },
      );
    }
  }
}

/** `tableCheck`: on by default in update mode only; complete mode rewrites the table every batch, so there is nothing to check. */
function tableCheckOption(value: string | undefined, mode: OutputModeName): boolean {
  if (value === undefined) return mode === 'update';
  const v = value.trim().toLowerCase();
  if (v !== 'true' && v !== 'false') {
    throw new AnalysisException(`the postgres sink's option('tableCheck', ${JSON.stringify(value)}): expected true or false`);
  }
  if (v === 'true' && mode === 'complete') {
    throw new AnalysisException(
      "the postgres sink's option('tableCheck', 'true') does not apply to complete mode: every batch replaces the whole table from the query's state",
    );
  }
  return v === 'true';
}

registerSinkFormat('postgres', () => (args) => new StructuredPostgresSink(args.options, args.schema, args.mode, args.keyColumns ?? [], args.queryId));
