/**
 * PostgresSink — writes each batch of a stream to a PostgreSQL table, exactly once.
 *
 * Every `writeBatch` is ONE transaction that
 *   1. claims the batch in `dstreams_sink_batches (sink_id, batch_time)`; if the row is
 *      already there the batch was committed before (a replay after a restart, or a retry
 *      whose COMMIT reply was lost) and nothing is written;
 *   2. writes the rows (append: insert; update: upsert on the key columns; complete: delete
 *      the table's contents, then insert);
 *   3. upserts the Kafka offsets the batch covers into `dstreams_sink_offsets`;
 *   4. commits.
 * Rows, bookkeeping and offsets therefore commit together or not at all, and a direct Kafka
 * stream that starts from {@link PostgresSink.storedOffsets} neither loses nor repeats a record.
 *
 * Transient failures (server unreachable, connection dropped, server restarting,
 * serialization failure / deadlock) retry the whole transaction with exponential back-off;
 * permanent ones (bad table or column, syntax, data and constraint errors) fail at once with
 * a {@link PostgresSinkError} naming the table, the columns and the SQLSTATE.
 */
import pg from 'pg';
import type { PoolClient, PoolConfig } from 'pg';
import copyStreams from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { resolveConnectionConfig, type PostgresConnectionOptions } from './config.js';
import { csvChunks } from './copy.js';
import { isTransientError, PostgresSinkError, sqlStateOf } from './errors.js';
import { normalizeTable, qualifiedName, quoteIdent, quoteList, type TableRef } from './identifiers.js';
import {
  backoffDelay,
  resolveRetryOptions,
  sleep,
  type ResolvedRetryOptions,
  type RetryEvent,
  type RetryOptions,
} from './retry.js';

export type OutputMode = 'append' | 'update' | 'complete';
export type WriteMethod = 'insert' | 'copy';
/**
 * How a batch's offset ranges are checked against the offsets this sink stored, inside the
 * batch's transaction (see {@link PostgresSinkOptions.offsetCheck}).
 */
export type OffsetCheck = 'none' | 'no-overlap' | 'contiguous';

/**
 * The default write method, chosen with bench/postgres-sink.ts (100 k rows × 6 columns in
 * batches of 10 k, PostgreSQL 15 on loopback, 4 runs on a shared 2-core machine): COPY wrote
 * 1.4–3.1× more rows/s than the best multi-row INSERT in append mode and 1.3–1.4× more in
 * update mode (COPY into a temporary table, then one INSERT … SELECT … ON CONFLICT).
 */
export const DEFAULT_METHOD: WriteMethod = 'copy';

/** Default rows per multi-row INSERT statement (see `insertChunkRows`). */
export const DEFAULT_INSERT_CHUNK_ROWS = 1000;

/** PostgreSQL's limit on the number of bind parameters in one statement. */
export const MAX_BIND_PARAMETERS = 65_535;

/** A Kafka offset range, structurally the same as the direct stream's `OffsetRange`. */
export interface SinkOffsetRange {
  topic: string;
  partition: number;
  fromOffset?: number;
  /** Exclusive: the next offset to read. This is what is stored. */
  untilOffset: number;
}

export interface BatchInfo {
  /** The batch time (ms since the epoch); with `sinkId` it identifies the batch. */
  batchTime: number;
  /** The Kafka offsets this batch covers; stored in the same transaction as the rows. */
  offsetRanges?: readonly SinkOffsetRange[] | undefined;
}

/** Rows for another sink's table, written in the same transaction as the batch (see `writeBatch`). */
export interface AlongsideWrite {
  sink: PostgresSink<any>;
  rows: Iterable<unknown>;
}

export interface WriteBatchOptions {
  /**
   * Other tables written in this batch's transaction, each described by a sink (its table,
   * columns, mode, method, `createTable`, `toValues`): e.g. the dead letters of the batch next to
   * its aggregates. They commit or roll back with the batch and are covered by this sink's
   * claim of the batch: their own sinks' bookkeeping is not touched.
   */
  alongside?: readonly AlongsideWrite[];
}

export interface WriteBatchResult {
  /** True when the batch had already been committed, so nothing was written. */
  skipped: boolean;
  /** Rows written by this call (0 when skipped). In update mode: rows after de-duplication by key. */
  rowsWritten: number;
  /** Rows written to each `alongside` table, in order (0s when skipped); absent without `alongside`. */
  alongsideRowsWritten?: number[];
  /** Number of transaction attempts made (1 when nothing had to be retried). */
  attempts: number;
  /**
   * True when an earlier attempt of this same call sent COMMIT, lost its connection before the
   * reply, and the retry found the batch committed: the rows were written once, by that attempt.
   */
  recoveredCommit: boolean;
}

/** The part of an RDD the writer needs; the project's RDD satisfies it structurally. */
export interface CollectableRDD<T> {
  collect(): T[] | Promise<T[]>;
  offsetRanges?: () => readonly SinkOffsetRange[];
}

export interface WriterOptions<T> {
  /**
   * Where the batch's offsets come from, when the RDD handed to foreachRDD is not the Kafka
   * RDD itself (e.g. after a `map`). Default: `rdd.offsetRanges?.()`.
   */
  offsetRanges?: (rdd: CollectableRDD<T>, time: number) => readonly SinkOffsetRange[] | undefined;
}

export interface PostgresSinkOptions<Row> extends PostgresConnectionOptions {
  /** Target table; `{ schema, name }` for a schema-qualified one. Names are quoted, never parsed. */
  table: TableRef;
  /** Target columns, in the order of the values `toValues` returns. */
  columns: string[];
  /**
   * Row → values (one per column). Without it a row may be an array of values in column
   * order, or an object keyed by column name (a missing key is NULL).
   */
  toValues?: (row: Row) => readonly unknown[];
  /** Default `append`. */
  mode?: OutputMode;
  /** The key for `update` mode (`ON CONFLICT (keys) DO UPDATE`); also the primary key of a created table. */
  keyColumns?: string[];
  /**
   * With `createTable`: make the key `UNIQUE NULLS NOT DISTINCT (keys)` (PostgreSQL 15+) instead of
   * `PRIMARY KEY (keys)`, so that key columns may be NULL and a NULL matches a NULL, as in a
   * GROUP BY (the meetup seed groups by `group_state`, which is null outside the US and Canada).
   */
  keyNullsNotDistinct?: boolean;
  /**
   * Create the table if missing: column → SQL type (e.g. `text`, `double precision`,
   * `numeric(10,2)`, `timestamptz`, `text[]`). The primary key is `keyColumns` when given.
   * The schema of a schema-qualified table is created as well.
   */
  createTable?: Record<string, string>;
  /** `copy` (COPY FROM STDIN, CSV) or `insert` (multi-row parameterised INSERT). Default {@link DEFAULT_METHOD}. */
  method?: WriteMethod;
  /** How `complete` mode empties the table: `delete` (default) or `truncate`. See README in this folder. */
  completeStrategy?: 'delete' | 'truncate';
  /** Name of this sink for the exactly-once bookkeeping. Default: the qualified table name. */
  sinkId?: string;
  /**
   * Schema of `dstreams_sink_batches` / `dstreams_sink_offsets`. Default: the table's schema
   * when the table is schema-qualified, else the first schema of the search_path.
   */
  bookkeepingSchema?: string;
  /**
   * Rows per INSERT statement (method `insert`); capped so that rows × columns ≤ 65 535
   * parameters. Default 1000: in the bench's update mode 1000-row statements beat the largest
   * ones the parameter limit allows (10 922 rows at 6 columns) by 1.03–1.75×; in append mode
   * the two were within the noise (0.9–1.24×).
   */
  insertChunkRows?: number;
  /**
   * Checks, in each batch's transaction, that the batch's offset ranges continue the offsets this
   * sink has stored (per topic-partition; partitions with nothing stored and ranges without
   * `fromOffset` pass). `contiguous`: every range must start exactly where the stored offsets end
   * — earlier would write records twice, later would skip some. `no-overlap`: only earlier
   * fails. A batch that fails the check writes nothing and rejects with a PostgresSinkError
   * (not retried). With any check on, a replayed batch (already claimed) must also carry the same
   * offset ranges as when it was committed, else it rejects instead of being skipped: a replay
   * that read different records than the committed batch would otherwise lose the difference.
   * Default `none`.
   */
  offsetCheck?: OffsetCheck;
  /** Forget bookkeeping rows of batches older than this (ms before the batch being written). Default: keep all. */
  bookkeepingRetentionMs?: number;
  /** Back-off for transient failures, or `false` for a single attempt. */
  retry?: RetryOptions | false;
  /** Called before each retry (for logging / metrics). */
  onRetry?: (event: RetryEvent & { sinkId: string; batchTime?: number }) => void;
}

const BATCHES_TABLE = 'dstreams_sink_batches';
const OFFSETS_TABLE = 'dstreams_sink_offsets';
const STAGE_TABLE = 'dstreams_sink_stage';
/** Gives every sink its own staging table name (two sinks may stage in one transaction). */
let stageSeq = 0;
/** Conservative shape of a column type in `createTable` (it is SQL from code, not data). */
const SQL_TYPE_RE = /^[A-Za-z_][A-Za-z0-9_ ,()[\]."]*$/;

interface Attempt {
  number: number;
  /** Some attempt so far sent COMMIT (and may have committed although it saw an error). */
  previousCommitSent: boolean;
}

interface Statements {
  claim: string;
  claimedOffsets: string;
  lockOffsets: string;
  prune: string;
  emptyTable: string;
  copyTarget: string;
  createStage: string;
  copyStage: string;
  upsertFromStage: string;
  upsertOffsetsPrefix: string;
  insertPrefix: string;
  insertSuffix: string;
}

export class PostgresSink<Row = Record<string, unknown>> {
  readonly sinkId: string;
  readonly mode: OutputMode;
  readonly method: WriteMethod;
  readonly columns: readonly string[];
  readonly keyColumns: readonly string[];
  /** The quoted, qualified table name, e.g. `"public"."rsvps"`. */
  readonly tableName: string;

  private readonly pool: pg.Pool;
  private readonly opts: PostgresSinkOptions<Row>;
  private readonly schema: string | undefined;
  private readonly bookkeepingSchema: string | undefined;
  private readonly retry: ResolvedRetryOptions;
  private readonly rowsPerInsert: number;
  private readonly sql: Statements;
  private readonly offsetCheck: OffsetCheck;
  private readonly closing = new AbortController();
  private initPromise: Promise<void> | undefined;
  private closed = false;

  constructor(options: PostgresSinkOptions<Row>) {
    this.opts = options;
    const table = normalizeTable(options.table);
    this.schema = table.schema;
    this.tableName = qualifiedName(table.schema, table.name);
    this.mode = options.mode ?? 'append';
    this.method = options.method ?? DEFAULT_METHOD;
    this.columns = [...(options.columns ?? [])];
    this.keyColumns = [...(options.keyColumns ?? [])];
    this.sinkId = options.sinkId ?? (table.schema === undefined ? table.name : `${table.schema}.${table.name}`);
    this.bookkeepingSchema = options.bookkeepingSchema ?? table.schema;
    this.retry = resolveRetryOptions(options.retry);
    this.offsetCheck = options.offsetCheck ?? 'none';
    this.validate(options);

    const maxRows = Math.floor(MAX_BIND_PARAMETERS / this.columns.length);
    this.rowsPerInsert = Math.max(1, Math.min(maxRows, options.insertChunkRows ?? DEFAULT_INSERT_CHUNK_ROWS));
    this.sql = this.buildStatements();

    const config: PoolConfig = resolveConnectionConfig({
      ...options,
      applicationName: options.applicationName ?? `dstreams-sink:${this.sinkId}`.slice(0, 63),
    });
    this.pool = new pg.Pool(config);
    // An idle pooled connection that the server drops emits 'error' on the pool; without a
    // listener that would crash the process. The pool discards the client by itself.
    this.pool.on('error', () => {});
  }

  // ---------------------------------------------------------------- public API

  /**
   * Writes one batch in one transaction, exactly once per (sinkId, batchTime). Resolves
   * `{ skipped: true }` when the batch had been committed already.
   */
  async writeBatch(batch: BatchInfo, rows: Iterable<Row>, options: WriteBatchOptions = {}): Promise<WriteBatchResult> {
    this.assertOpen();
    const batchTime = batch?.batchTime;
    if (typeof batchTime !== 'number' || !Number.isSafeInteger(batchTime)) {
      throw new TypeError(`PostgresSink "${this.sinkId}": batchTime must be an integer number of ms, got ${batchTime}`);
    }
    const offsets = this.validateOffsets(batch.offsetRanges ?? [], batchTime);
    // Rows are converted once, before the first attempt: a retry does not call toValues again.
    const values = this.prepareValues(rows, batchTime);
    const alongside = this.prepareAlongside(options.alongside, batchTime);

    await Promise.all([this.init(), ...alongside.map((a) => a.sink.init())]);
    const attempt: Attempt = { number: 0, previousCommitSent: false };
    const result = await this.withRetry(
      batchTime,
      async () => {
        const state = { commitSent: false };
        try {
          return await this.transaction(batchTime, values, offsets, alongside, state);
        } finally {
          attempt.previousCommitSent ||= state.commitSent;
        }
      },
      attempt,
    );
    return {
      ...result,
      attempts: attempt.number,
      recoveredCommit: result.skipped && attempt.previousCommitSent,
    };
  }

  /**
   * The Kafka offsets stored by this sink (or by `sinkId`), as `{ "topic:partition": untilOffset }`
   * — the `fromOffsets` argument of `KafkaUtils.createDirectStream`.
   */
  async storedOffsets(sinkId: string = this.sinkId): Promise<Record<string, number>> {
    this.assertOpen();
    await this.init();
    const res = await this.withRetry(undefined, () =>
      this.pool.query<{ topic: string; partition: number; until_offset: string }>(
        `SELECT "topic", "partition", "until_offset" FROM ${this.bookkeepingTable(OFFSETS_TABLE)}` +
          ` WHERE "sink_id" = $1 ORDER BY "topic", "partition"`,
        [sinkId],
      ),
    );
    const out: Record<string, number> = {};
    for (const row of res.rows) out[`${row.topic}:${row.partition}`] = Number(row.until_offset);
    return out;
  }

  /**
   * The table's rows, each an array of values in `columns` order (as node-postgres returns them:
   * bigint and numeric as strings, dates as Date). What a job whose state is the table — update
   * or complete mode — starts its state from, together with {@link storedOffsets}.
   */
  async readRows(): Promise<unknown[][]> {
    this.assertOpen();
    await this.init();
    const res = await this.withRetry(undefined, () =>
      this.pool.query<unknown[]>({ text: `SELECT ${quoteList(this.columns)} FROM ${this.tableName}`, rowMode: 'array' }),
    );
    return res.rows;
  }

  /** The latest batch time committed by this sink (or by `sinkId`), or undefined. */
  async lastCommittedBatchTime(sinkId: string = this.sinkId): Promise<number | undefined> {
    this.assertOpen();
    await this.init();
    const res = await this.withRetry(undefined, () =>
      this.pool.query<{ t: string | null }>(
        `SELECT max("batch_time") AS t FROM ${this.bookkeepingTable(BATCHES_TABLE)} WHERE "sink_id" = $1`,
        [sinkId],
      ),
    );
    const t = res.rows[0]?.t;
    return t == null ? undefined : Number(t);
  }

  /**
   * An output function for `foreachRDD`: collects the RDD, maps each element with `extract`
   * (default: the element is the row) and writes it as batch `time`, with the RDD's offsets.
   *
   * ```ts
   * counts.foreachRDD(sink.writer(([location, n], time) => ({ location, n, batch_id: time })));
   * ```
   */
  writer<T = Row>(
    extract?: (element: T, batchTime: number) => Row,
    options: WriterOptions<T> = {},
  ): (rdd: CollectableRDD<T>, time: number) => Promise<void> {
    return async (rdd, time) => {
      const elements = await rdd.collect();
      const rows = extract ? elements.map((e) => extract(e, time)) : (elements as unknown as Row[]);
      const offsetRanges = options.offsetRanges
        ? options.offsetRanges(rdd, time)
        : typeof rdd.offsetRanges === 'function'
          ? rdd.offsetRanges()
          : undefined;
      await this.writeBatch({ batchTime: time, offsetRanges }, rows);
    };
  }

  /** Creates the bookkeeping tables and (with `createTable`) the target table. Called by the first write. */
  init(): Promise<void> {
    if (!this.initPromise) {
      this.initPromise = this.withRetry(undefined, () => this.runInit());
      this.initPromise.catch(() => {
        this.initPromise = undefined; // let a later call try again
      });
    }
    return this.initPromise;
  }

  /** Stops retrying and ends the pool. Writes in progress fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(new Error(`PostgresSink "${this.sinkId}" was closed`));
    await this.pool.end();
  }

  // ---------------------------------------------------------------- transaction

  private async transaction(
    batchTime: number,
    values: unknown[][],
    offsets: readonly SinkOffsetRange[],
    alongside: readonly PreparedAlongside[],
    state: { commitSent: boolean },
  ): Promise<Omit<WriteBatchResult, 'attempts' | 'recoveredCommit'>> {
    const withAlongside = (n: (a: PreparedAlongside) => number) =>
      alongside.length > 0 ? { alongsideRowsWritten: alongside.map(n) } : {};
    const encodedOffsets = offsets.length > 0 ? encodeOffsets(offsets) : null;
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      // Claim the batch first: a concurrent writer of the same batch waits here on the
      // primary key until this transaction ends, then sees the row and skips.
      const claim = await client.query(this.sql.claim, [this.sinkId, batchTime, encodedOffsets]);
      if (claim.rowCount === 0) {
        if (this.offsetCheck !== 'none') await this.checkReplay(client, batchTime, encodedOffsets);
        await client.query('ROLLBACK');
        return { skipped: true, rowsWritten: 0, ...withAlongside(() => 0) };
      }
      if (this.offsetCheck !== 'none' && offsets.length > 0) await this.checkOffsets(client, batchTime, offsets);
      await this.writeValues(client, values);
      for (const a of alongside) await a.sink.writeValues(client, a.values);
      if (offsets.length > 0) await this.storeOffsets(client, offsets);
      if (this.opts.bookkeepingRetentionMs !== undefined) {
        await client.query(this.sql.prune, [this.sinkId, batchTime - this.opts.bookkeepingRetentionMs]);
      }
      state.commitSent = true;
      await client.query('COMMIT');
      return { skipped: false, rowsWritten: values.length, ...withAlongside((a) => a.values.length) };
    });
  }

  /** Writes converted rows into this sink's table on `client`, inside the caller's transaction. */
  private async writeValues(client: PoolClient, values: unknown[][]): Promise<void> {
    if (this.mode === 'complete') await client.query(this.sql.emptyTable);
    if (this.method === 'copy') await this.writeWithCopy(client, values);
    else await this.writeWithInsert(client, values);
  }

  /** The batch's ranges must continue the stored offsets (`offsetCheck`); the rows are locked until commit. */
  private async checkOffsets(client: PoolClient, batchTime: number, offsets: readonly SinkOffsetRange[]): Promise<void> {
    const res = await client.query<{ topic: string; partition: number; until_offset: string }>(this.sql.lockOffsets, [
      this.sinkId,
    ]);
    const stored = new Map(res.rows.map((r) => [`${r.topic}:${r.partition}`, Number(r.until_offset)]));
    for (const o of offsets) {
      const end = stored.get(`${o.topic}:${o.partition}`);
      if (end === undefined || o.fromOffset === undefined || o.fromOffset === end) continue;
      if (o.fromOffset < end) {
        throw this.offsetError(
          batchTime,
          `batch reads ${o.topic}:${o.partition} from offset ${o.fromOffset}, but this sink has committed it up to ` +
            `${end} (exclusive): offsets ${o.fromOffset}–${Math.min(end, o.untilOffset) - 1} would be written twice. ` +
            `Start the stream from storedOffsets()`,
        );
      }
      if (this.offsetCheck === 'contiguous') {
        throw this.offsetError(
          batchTime,
          `batch reads ${o.topic}:${o.partition} from offset ${o.fromOffset}, but this sink has committed it up to ` +
            `${end} (exclusive): offsets ${end}–${o.fromOffset - 1} would never be written. Start the stream from ` +
            `storedOffsets(), or, to accept the gap (e.g. records Kafka's retention deleted), use offsetCheck 'no-overlap'`,
        );
      }
    }
  }

  /** A batch already claimed may only be skipped if this replay covers the same offsets as the committed batch. */
  private async checkReplay(client: PoolClient, batchTime: number, encodedOffsets: string | null): Promise<void> {
    const res = await client.query<{ offsets: string | null }>(this.sql.claimedOffsets, [this.sinkId, batchTime]);
    const committed = res.rows[0]?.offsets ?? null;
    if (committed === null || encodedOffsets === null || committed === encodedOffsets) return;
    throw this.offsetError(
      batchTime,
      `batch was committed with offset ranges ${committed} but is replayed with ${encodedOffsets}: skipping it ` +
        `would lose the records the two do not share. The input did not replay the batch it committed ` +
        `(restart from storedOffsets() rather than from a checkpoint older than the sink)`,
    );
  }

  private offsetError(batchTime: number, message: string): PostgresSinkError {
    return this.wrap('offset check', Object.assign(new Error(message), { code: 'OFFSET_MISMATCH' }), batchTime, false, 0);
  }

  private prepareValues(rows: Iterable<Row>, batchTime: number): unknown[][] {
    const values = this.toValueRows(rows, batchTime);
    return this.mode === 'update' ? this.dedupeByKey(values) : values;
  }

  private prepareAlongside(alongside: readonly AlongsideWrite[] | undefined, batchTime: number): PreparedAlongside[] {
    if (alongside === undefined) return [];
    if (!Array.isArray(alongside)) throw new TypeError(`PostgresSink "${this.sinkId}": alongside must be an array`);
    const tables = new Set([this.tableName]);
    return alongside.map(({ sink, rows }) => {
      if (!(sink instanceof PostgresSink)) {
        throw new TypeError(`PostgresSink "${this.sinkId}": each alongside entry needs { sink: PostgresSink, rows }`);
      }
      sink.assertOpen();
      if (tables.has(sink.tableName)) {
        throw new TypeError(`PostgresSink "${this.sinkId}": table ${sink.tableName} is written twice in one batch`);
      }
      tables.add(sink.tableName);
      return { sink, values: sink.prepareValues(rows, batchTime) };
    });
  }

  private async writeWithInsert(client: PoolClient, values: unknown[][]): Promise<void> {
    const ncols = this.columns.length;
    for (let start = 0; start < values.length; start += this.rowsPerInsert) {
      const chunk = values.slice(start, start + this.rowsPerInsert);
      const params: unknown[] = new Array(chunk.length * ncols);
      const tuples: string[] = new Array(chunk.length);
      let p = 0;
      for (let r = 0; r < chunk.length; r++) {
        const row = chunk[r]!;
        let tuple = '(';
        for (let c = 0; c < ncols; c++) {
          params[p] = row[c];
          p++;
          tuple += c === 0 ? `$${p}` : `,$${p}`;
        }
        tuples[r] = tuple + ')';
      }
      await client.query(this.sql.insertPrefix + tuples.join(',') + this.sql.insertSuffix, params);
    }
  }

  private async writeWithCopy(client: PoolClient, values: unknown[][]): Promise<void> {
    if (values.length === 0) return;
    if (this.mode === 'update') {
      // COPY cannot upsert: copy into a temporary table (dropped at commit), then upsert from it.
      await client.query(this.sql.createStage);
      await this.copy(client, this.sql.copyStage, values);
      await client.query(this.sql.upsertFromStage);
    } else {
      await this.copy(client, this.sql.copyTarget, values);
    }
  }

  private async copy(client: PoolClient, statement: string, values: unknown[][]): Promise<void> {
    const stream = client.query(copyStreams.from(statement));
    await pipeline(Readable.from(csvChunks(values)), stream);
  }

  private async storeOffsets(client: PoolClient, offsets: readonly SinkOffsetRange[]): Promise<void> {
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const o of offsets) {
      const n = params.length;
      params.push(this.sinkId, o.topic, o.partition, o.untilOffset);
      tuples.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4})`);
    }
    await client.query(this.sql.upsertOffsetsPrefix + tuples.join(', ') + UPSERT_OFFSETS_SUFFIX, params);
  }

  private async runInit(): Promise<void> {
    await this.withClient(async (client) => {
      await client.query('BEGIN');
      // CREATE … IF NOT EXISTS is not safe against a concurrent CREATE of the same name
      // (unique violation on pg_type); serialise the sinks' DDL with an advisory lock.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('dstreams_sink_ddl'))`);
      if (this.bookkeepingSchema !== undefined) {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.bookkeepingSchema)}`);
      }
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.bookkeepingTable(BATCHES_TABLE)} (` +
          `"sink_id" text NOT NULL, "batch_time" bigint NOT NULL, ` +
          `"committed_at" timestamptz NOT NULL DEFAULT now(), "offsets" text, ` +
          `PRIMARY KEY ("sink_id", "batch_time"))`,
      );
      // Tables created before the "offsets" column existed get it (ALTER only when it is missing:
      // even ADD COLUMN IF NOT EXISTS takes an exclusive lock).
      const hasOffsets = await client.query(
        `SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'offsets' AND NOT attisdropped`,
        [this.bookkeepingTable(BATCHES_TABLE)],
      );
      if (hasOffsets.rowCount === 0) {
        await client.query(`ALTER TABLE ${this.bookkeepingTable(BATCHES_TABLE)} ADD COLUMN IF NOT EXISTS "offsets" text`);
      }
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.bookkeepingTable(OFFSETS_TABLE)} (` +
          `"sink_id" text NOT NULL, "topic" text NOT NULL, "partition" integer NOT NULL, ` +
          `"until_offset" bigint NOT NULL, ` +
          `PRIMARY KEY ("sink_id", "topic", "partition"))`,
      );
      if (this.opts.createTable) {
        if (this.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
        const defs = Object.entries(this.opts.createTable).map(([c, t]) => `${quoteIdent(c)} ${t}`);
        if (this.keyColumns.length > 0) {
          const key = this.opts.keyNullsNotDistinct ? 'UNIQUE NULLS NOT DISTINCT' : 'PRIMARY KEY';
          defs.push(`${key} (${quoteList(this.keyColumns)})`);
        }
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.tableName} (${defs.join(', ')})`);
      }
      await client.query('COMMIT');
    });
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * Runs `fn` on a pooled client. Whatever goes wrong, the client is destroyed rather than
   * returned to the pool: its state after a failed COPY or a dropped connection is unknown,
   * and closing the connection makes the server roll the open transaction back.
   */
  private async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let asyncError: unknown;
    // A checked-out client has no error listener of its own: a backend that dies between two
    // queries would otherwise raise an unhandled 'error' event.
    const onError = (err: unknown): void => {
      asyncError ??= err;
    };
    client.on('error', onError);
    try {
      const result = await fn(client);
      client.removeListener('error', onError);
      client.release();
      return result;
    } catch (err) {
      client.removeListener('error', onError);
      client.on('error', () => {});
      client.release(err instanceof Error ? err : true);
      // The error the client raised by itself (e.g. 57P01 from a terminated backend) is the
      // cause; the query's own error is then only "Client … is not queryable".
      throw asyncError ?? err;
    }
  }

  private async withRetry<T>(
    batchTime: number | undefined,
    fn: () => Promise<T>,
    attempt: Attempt = { number: 0, previousCommitSent: false },
  ): Promise<T> {
    const started = Date.now();
    for (;;) {
      attempt.number++;
      try {
        return await fn();
      } catch (err) {
        if (this.closed) throw this.wrap('closed while writing', err, batchTime, false, attempt.number);
        if (err instanceof PostgresSinkError) throw err;
        if (!isTransientError(err)) throw this.wrap('write', err, batchTime, false, attempt.number);
        const elapsed = Date.now() - started;
        const delay = backoffDelay(this.retry, attempt.number);
        if (attempt.number >= this.retry.maxAttempts || elapsed + delay > this.retry.maxElapsedMs) {
          throw this.wrap(`PostgreSQL unreachable or connection lost`, err, batchTime, true, attempt.number);
        }
        this.opts.onRetry?.({
          sinkId: this.sinkId,
          ...(batchTime !== undefined ? { batchTime } : {}),
          attempt: attempt.number,
          delayMs: delay,
          elapsedMs: elapsed,
          error: err,
        });
        try {
          await sleep(delay, this.closing.signal);
        } catch {
          throw this.wrap('closed while retrying', err, batchTime, true, attempt.number);
        }
      }
    }
  }

  private wrap(what: string, err: unknown, batchTime: number | undefined, retryable: boolean, attempts: number) {
    return new PostgresSinkError(what, {
      sinkId: this.sinkId,
      table: this.tableName,
      columns: this.columns,
      batchTime,
      sqlState: sqlStateOf(err),
      retryable,
      attempts,
      cause: err,
    });
  }

  private toValueRows(rows: Iterable<Row>, batchTime: number): unknown[][] {
    const ncols = this.columns.length;
    const out: unknown[][] = [];
    const toValues = this.opts.toValues;
    for (const row of rows) {
      let v: readonly unknown[];
      if (toValues) v = toValues(row);
      else if (Array.isArray(row)) v = row;
      else if (row !== null && typeof row === 'object') {
        const obj = row as Record<string, unknown>;
        v = this.columns.map((c) => obj[c]);
      } else {
        throw this.wrap(
          `row ${out.length} is neither an array nor an object (give toValues)`,
          new TypeError(String(row)),
          batchTime,
          false,
          0,
        );
      }
      if (v.length !== ncols) {
        throw this.wrap(
          `row ${out.length} has ${v.length} values for ${ncols} columns`,
          new TypeError(JSON.stringify(v)),
          batchTime,
          false,
          0,
        );
      }
      out.push(v as unknown[]);
    }
    return out;
  }

  /**
   * `INSERT … ON CONFLICT DO UPDATE` cannot touch the same row twice in one statement, so a
   * batch with a key twice keeps the last row for that key (what a sequence of upserts gives).
   */
  private dedupeByKey(values: unknown[][]): unknown[][] {
    const keyIdx = this.keyColumns.map((k) => this.columns.indexOf(k));
    const byKey = new Map<string, unknown[]>();
    for (const row of values) {
      const key = JSON.stringify(keyIdx.map((i) => keyPart(row[i])));
      byKey.delete(key); // re-insert so that the surviving row keeps the position of the last one
      byKey.set(key, row);
    }
    return byKey.size === values.length ? values : [...byKey.values()];
  }

  private validate(options: PostgresSinkOptions<Row>): void {
    const fail = (msg: string): never => {
      throw new TypeError(`PostgresSink "${this.sinkId}" (table ${this.tableName}): ${msg}`);
    };
    if (!Array.isArray(options.columns) || options.columns.length === 0) fail('`columns` must be a non-empty array');
    this.columns.forEach(quoteIdent);
    if (new Set(this.columns).size !== this.columns.length) fail('`columns` has duplicates');
    if (!['append', 'update', 'complete'].includes(this.mode)) fail(`unknown mode ${JSON.stringify(this.mode)}`);
    if (!['insert', 'copy'].includes(this.method)) fail(`unknown method ${JSON.stringify(this.method)}`);
    if (options.completeStrategy !== undefined && !['delete', 'truncate'].includes(options.completeStrategy)) {
      fail(`unknown completeStrategy ${JSON.stringify(options.completeStrategy)}`);
    }
    for (const k of this.keyColumns) {
      if (!this.columns.includes(k)) fail(`key column ${JSON.stringify(k)} is not one of the columns`);
    }
    if (this.mode === 'update' && this.keyColumns.length === 0) fail('update mode needs `keyColumns`');
    if (typeof this.sinkId !== 'string' || this.sinkId.length === 0) fail('`sinkId` must be a non-empty string');
    if (!['none', 'no-overlap', 'contiguous'].includes(this.offsetCheck)) {
      fail(`unknown offsetCheck ${JSON.stringify(this.offsetCheck)}`);
    }
    if (options.keyNullsNotDistinct && this.keyColumns.length === 0) fail('keyNullsNotDistinct needs `keyColumns`');
    if (options.createTable) {
      for (const [c, t] of Object.entries(options.createTable)) {
        quoteIdent(c);
        if (typeof t !== 'string' || !SQL_TYPE_RE.test(t) || t.includes('--')) {
          fail(`createTable type of ${JSON.stringify(c)} is not a plain SQL type: ${JSON.stringify(t)}`);
        }
      }
      for (const c of this.columns) {
        if (!Object.hasOwn(options.createTable, c)) fail(`column ${JSON.stringify(c)} is missing from createTable`);
      }
    }
  }

  private validateOffsets(ranges: readonly SinkOffsetRange[], batchTime: number): SinkOffsetRange[] {
    // One row per topic-partition: if a batch lists a partition twice, the furthest offset wins.
    const byTp = new Map<string, SinkOffsetRange>();
    for (const o of ranges) {
      if (
        !o ||
        typeof o.topic !== 'string' ||
        !Number.isInteger(o.partition) ||
        !Number.isSafeInteger(o.untilOffset) ||
        (o.fromOffset !== undefined && !(Number.isSafeInteger(o.fromOffset) && o.fromOffset <= o.untilOffset))
      ) {
        throw this.wrap('invalid offset range', new TypeError(JSON.stringify(o)), batchTime, false, 0);
      }
      const key = `${o.topic}:${o.partition}`;
      const prev = byTp.get(key);
      if (!prev || o.untilOffset > prev.untilOffset) byTp.set(key, o);
    }
    return [...byTp.values()];
  }

  private bookkeepingTable(name: string): string {
    return qualifiedName(this.bookkeepingSchema, name);
  }

  private buildStatements(): Statements {
    const cols = quoteList(this.columns);
    const nonKeys = this.columns.filter((c) => !this.keyColumns.includes(c));
    const conflict =
      this.mode !== 'update'
        ? ''
        : nonKeys.length === 0
          ? ` ON CONFLICT (${quoteList(this.keyColumns)}) DO NOTHING`
          : ` ON CONFLICT (${quoteList(this.keyColumns)}) DO UPDATE SET ` +
            nonKeys.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ');
    const batches = this.bookkeepingTable(BATCHES_TABLE);
    const stageName = `${STAGE_TABLE}_${++stageSeq}`;
    const stage = `pg_temp.${quoteIdent(stageName)}`;
    return {
      claim:
        `INSERT INTO ${batches} ("sink_id", "batch_time", "offsets") VALUES ($1, $2, $3) ` +
        `ON CONFLICT ("sink_id", "batch_time") DO NOTHING RETURNING "batch_time"`,
      claimedOffsets: `SELECT "offsets" FROM ${batches} WHERE "sink_id" = $1 AND "batch_time" = $2`,
      lockOffsets:
        `SELECT "topic", "partition", "until_offset" FROM ${this.bookkeepingTable(OFFSETS_TABLE)} ` +
        `WHERE "sink_id" = $1 FOR UPDATE`,
      prune: `DELETE FROM ${batches} WHERE "sink_id" = $1 AND "batch_time" < $2`,
      emptyTable:
        this.opts.completeStrategy === 'truncate' ? `TRUNCATE TABLE ${this.tableName}` : `DELETE FROM ${this.tableName}`,
      copyTarget: `COPY ${this.tableName} (${cols}) FROM STDIN WITH (FORMAT csv)`,
      createStage: `CREATE TEMPORARY TABLE ${quoteIdent(stageName)} ON COMMIT DROP AS SELECT ${cols} FROM ${this.tableName} WITH NO DATA`,
      copyStage: `COPY ${stage} (${cols}) FROM STDIN WITH (FORMAT csv)`,
      upsertFromStage: `INSERT INTO ${this.tableName} (${cols}) SELECT ${cols} FROM ${stage}${conflict}`,
      upsertOffsetsPrefix: `INSERT INTO ${this.bookkeepingTable(OFFSETS_TABLE)} ("sink_id", "topic", "partition", "until_offset") VALUES `,
      insertPrefix: `INSERT INTO ${this.tableName} (${cols}) VALUES `,
      insertSuffix: conflict,
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`PostgresSink "${this.sinkId}" is closed`);
  }
}

const UPSERT_OFFSETS_SUFFIX =
  ` ON CONFLICT ("sink_id", "topic", "partition") DO UPDATE SET "until_offset" = EXCLUDED."until_offset"`;

interface PreparedAlongside {
  sink: PostgresSink<any>;
  values: unknown[][];
}

/** A batch's offset ranges as stored with its claim: `[[topic, partition, from, until], …]` sorted. */
function encodeOffsets(offsets: readonly SinkOffsetRange[]): string {
  const rows = offsets.map((o) => [o.topic, o.partition, o.fromOffset ?? null, o.untilOffset] as const);
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  return JSON.stringify(rows);
}

function keyPart(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return v.toString();
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  return v ?? null;
}
