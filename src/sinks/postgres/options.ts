/**
 * What a PostgresSink is told: its options, their defaults, and the checks that reject a bad
 * configuration at construction (a TypeError naming the sink and the table), before any
 * connection is made. `resolveSinkOptions` turns options into the settings the sink runs with.
 */
import type { PostgresConnectionOptions } from './config.js';
import { normalizeTable, qualifiedName, quoteIdent, type TableRef } from './identifiers.js';
import { resolveRetryOptions, type ResolvedRetryOptions, type RetryEvent, type RetryOptions } from './retry.js';

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
  /**
   * Scale-out: the consumer-group generation of the copy writing (see fence.ts). Each
   * topic-partition of `offsetRanges` is fenced: a write of an older generation than one that
   * already wrote it fails with code `FENCED` (not retried); the claim is per generation and
   * partition set, so copies writing the same batch time do not skip each other.
   */
  generation?: number | undefined;
}

export interface WriteBatchResult {
  /** True when the batch had already been committed, so nothing was written. */
  skipped: boolean;
  /**
   * Rows written by this call (0 when skipped). In update mode: rows after de-duplication by key in
   * JavaScript (keys only PostgreSQL holds equal, like numeric(10,2) 1.001 and 1.004, count once each).
   */
  rowsWritten: number;
  /**
   * True when this write rebuilt the table (option `rebuild`): it replaced the table's contents
   * with the full state, even for a batch committed before.
   */
  rebuilt?: boolean;
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
  /**
   * Name of this sink for the exactly-once bookkeeping. Default: the qualified table name. One
   * stream output per sinkId: two outputs writing one table need a sinkId each (outputs.ts).
   */
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
   * `none` claims by batch time alone: a batch cut differently (another copy of the job, a restart
   * from an older position) is skipped or written twice without a word.
   * Default: `contiguous` in append mode (the rows are the batch's records: a gap is records
   * lost), `no-overlap` in update and complete mode (the rows are the job's state, which may be
   * written every few batches, as the tweets job's exports: a gap between two writes loses nothing
   * the state does not hold). Batches without offset ranges are not checked.
   */
  offsetCheck?: OffsetCheck;
  /**
   * Refuse to go on when the table no longer holds what this sink committed: dropped (or dropped
   * and created again), truncated, rows deleted by another writer, or emptied. Checked without
   * scanning the table (guard.ts: a stamp per batch and two statement triggers on the table), at
   * the sink's first use and in every batch's transaction; the error says what was found and the
   * two ways forward (`rebuild`, or `startOver()` and earlier offsets). Default: on in update and
   * complete mode (the table is the job's state), off in append mode (deleting old rows of an
   * append table is ordinary retention).
   */
  tableCheck?: boolean;
  /**
   * When the table check finds the table damaged, rebuild it instead of refusing: a missing table
   * is created again (needs `createTable`), and the first batch at or after the last one this sink
   * committed replaces the whole table, in its one transaction, with the job's full state —
   * complete mode's rows, or `writeBatch(…, { fullState })` in update mode (e.g. from
   * `stateSnapshots()` of a state restored from the checkpoint). Update and complete mode only.
   */
  rebuild?: boolean;
  /**
   * Forget bookkeeping rows of batches older than this (ms before the batch being written): a finite
   * number ≥ 0. Default: keep all.
   */
  bookkeepingRetentionMs?: number;
  /** Back-off for transient failures, or `false` for a single attempt. */
  retry?: RetryOptions | false;
  /** Called before each retry (for logging / metrics). */
  onRetry?: (event: RetryEvent & { sinkId: string; batchTime?: number }) => void;
}

/** Conservative shape of a column type in `createTable` (it is SQL from code, not data). */
const SQL_TYPE_RE = /^[A-Za-z_][A-Za-z0-9_ ,()[\]."]*$/;

/** The options resolved: defaults applied, names quoted, everything checked. */
export interface SinkSettings {
  sinkId: string;
  mode: OutputMode;
  method: WriteMethod;
  columns: readonly string[];
  keyColumns: readonly string[];
  /** The table's schema, when qualified. */
  schema: string | undefined;
  /** The quoted, qualified table name, e.g. `"public"."rsvps"`. */
  tableName: string;
  bookkeepingSchema: string | undefined;
  offsetCheck: OffsetCheck;
  /** The table guard is on (see `tableCheck`). */
  tableCheck: boolean;
  rebuild: boolean;
  retry: ResolvedRetryOptions;
  /** Rows per multi-row INSERT, within the bind-parameter limit. */
  rowsPerInsert: number;
}

export function resolveSinkOptions<Row>(options: PostgresSinkOptions<Row>): SinkSettings {
  const table = normalizeTable(options.table);
  const columns = [...(options.columns ?? [])];
  const sinkId = options.sinkId ?? (table.schema === undefined ? table.name : `${table.schema}.${table.name}`);
  const tableName = qualifiedName(table.schema, table.name);
  const s: SinkSettings = {
    sinkId,
    mode: options.mode ?? 'append',
    method: options.method ?? DEFAULT_METHOD,
    columns,
    keyColumns: [...(options.keyColumns ?? [])],
    schema: table.schema,
    tableName,
    bookkeepingSchema: options.bookkeepingSchema ?? table.schema,
    retry: resolveRetryOptions(options.retry, `PostgresSink "${sinkId}" (table ${tableName})`),
    offsetCheck: options.offsetCheck ?? ((options.mode ?? 'append') === 'append' ? 'contiguous' : 'no-overlap'),
    tableCheck: options.tableCheck ?? (options.mode ?? 'append') !== 'append',
    rebuild: options.rebuild ?? false,
    rowsPerInsert: 0,
  };
  validate(options, s);
  const maxRows = Math.floor(MAX_BIND_PARAMETERS / columns.length);
  s.rowsPerInsert = Math.max(1, Math.min(maxRows, options.insertChunkRows ?? DEFAULT_INSERT_CHUNK_ROWS));
  return s;
}

/** Every option a sink takes (PostgresSinkOptions and PostgresConnectionOptions). */
const SINK_OPTION_NAMES = new Set([
  'table', 'columns', 'toValues', 'mode', 'keyColumns', 'keyNullsNotDistinct', 'createTable', 'method',
  'completeStrategy', 'sinkId', 'bookkeepingSchema', 'insertChunkRows', 'offsetCheck', 'tableCheck', 'rebuild',
  'bookkeepingRetentionMs', 'retry', 'onRetry', 'connectionString', 'connection', 'poolSize', 'applicationName',
]);
/** node-postgres' connection settings, which go inside `connection` (a JavaScript caller's natural slip). */
const CONNECTION_SETTINGS = new Set(['host', 'port', 'user', 'password', 'database', 'ssl', 'statement_timeout', 'connectionTimeoutMillis']);

/**
 * An unknown option is refused: unread, a `host` or `database` of a JavaScript caller (TypeScript
 * refuses it in a literal only) would leave the sink writing to the default database unawares.
 */
function checkOptionNames(options: object, fail: (msg: string) => never): void {
  for (const name of Object.keys(options)) {
    if (SINK_OPTION_NAMES.has(name)) continue;
    if (CONNECTION_SETTINGS.has(name)) {
      fail(`unknown option '${name}': connection settings go in \`connection: { ${name} }\` (or use \`connectionString\`)`);
    }
    fail(`unknown option '${name}' (the options: ${[...SINK_OPTION_NAMES].join(', ')})`);
  }
}

function validate<Row>(options: PostgresSinkOptions<Row>, s: SinkSettings): void {
  const fail = (msg: string): never => {
    throw new TypeError(`PostgresSink "${s.sinkId}" (table ${s.tableName}): ${msg}`);
  };
  checkOptionNames(options, fail);
  if (!Array.isArray(options.columns) || options.columns.length === 0) fail('`columns` must be a non-empty array');
  s.columns.forEach(quoteIdent);
  if (new Set(s.columns).size !== s.columns.length) fail('`columns` has duplicates');
  if (!['append', 'update', 'complete'].includes(s.mode)) fail(`unknown mode ${JSON.stringify(s.mode)}`);
  if (!['insert', 'copy'].includes(s.method)) fail(`unknown method ${JSON.stringify(s.method)}`);
  const chunk = options.insertChunkRows;
  if (chunk !== undefined && !(Number.isInteger(chunk) && chunk >= 1)) fail(`insertChunkRows must be a whole number ≥ 1, got ${String(chunk)}`);
  if (options.completeStrategy !== undefined && !['delete', 'truncate'].includes(options.completeStrategy)) {
    fail(`unknown completeStrategy ${JSON.stringify(options.completeStrategy)}`);
  }
  for (const k of s.keyColumns) {
    if (!s.columns.includes(k)) fail(`key column ${JSON.stringify(k)} is not one of the columns`);
  }
  if (s.mode === 'update' && s.keyColumns.length === 0) fail('update mode needs `keyColumns`');
  if (typeof s.sinkId !== 'string' || s.sinkId.length === 0) fail('`sinkId` must be a non-empty string');
  if (!['none', 'no-overlap', 'contiguous'].includes(s.offsetCheck)) {
    fail(`unknown offsetCheck ${JSON.stringify(s.offsetCheck)}`);
  }
  if (s.rebuild && (s.mode === 'append' || !s.tableCheck)) {
    fail('`rebuild` is for update and complete mode with the table check on (the table is the state)');
  }
  // Negative would prune the batch being written (it is then written again when replayed); NaN,
  // Infinity or a string would fail every batch's transaction at run time.
  const keep = options.bookkeepingRetentionMs;
  if (keep !== undefined && !(typeof keep === 'number' && Number.isFinite(keep) && keep >= 0)) {
    fail(`bookkeepingRetentionMs must be a finite number of ms ≥ 0 (leave it out to keep every batch's claim), got ${typeof keep === 'string' ? JSON.stringify(keep) : String(keep)}`);
  }
  if (options.keyNullsNotDistinct && s.keyColumns.length === 0) fail('keyNullsNotDistinct needs `keyColumns`');
  if (options.createTable) {
    for (const [c, t] of Object.entries(options.createTable)) {
      quoteIdent(c);
      if (typeof t !== 'string' || !SQL_TYPE_RE.test(t) || t.includes('--')) {
        fail(`createTable type of ${JSON.stringify(c)} is not a plain SQL type: ${JSON.stringify(t)}`);
      }
    }
    for (const c of s.columns) {
      if (!Object.hasOwn(options.createTable, c)) fail(`column ${JSON.stringify(c)} is missing from createTable`);
    }
  }
}
