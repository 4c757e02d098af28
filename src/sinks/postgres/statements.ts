/**
 * Every SQL statement the sink sends, built from its settings once, as text: pure, testable
 * without a database. Identifiers are quoted here (identifiers.ts); values always travel as
 * bind parameters or COPY data, never in the text.
 */
import { qualifiedName, quoteIdent, quoteList } from './identifiers.js';
import { FENCES_TABLE } from './fence.js';
import type { SinkOffsetRange, SinkSettings } from './options.js';

export const BATCHES_TABLE = 'dstreams_sink_batches';
export const OFFSETS_TABLE = 'dstreams_sink_offsets';
const STAGE_TABLE = 'dstreams_sink_stage';
/** Gives every sink its own staging table name (two sinks may stage in one transaction). */
let stageSeq = 0;

/** A fenced write's claim of sink $1 (fencedClaimId): the sink id, "@", the generation's digits, "/". */
const FENCED_CLAIM = `(left("sink_id", length($1) + 1) = $1 || '@' AND substr("sink_id", length($1) + 2) ~ '^[0-9]+/')`;

const UPSERT_OFFSETS_SUFFIX =
  ` ON CONFLICT ("sink_id", "topic", "partition") DO UPDATE SET "until_offset" = EXCLUDED."until_offset"`;

export interface Statements {
  claim: string;
  claimedOffsets: string;
  lockOffsets: string;
  prune: string;
  /** As `prune`, the claims of fenced writes (fence.ts's fencedClaimId: `<sink id>@<generation>/…`). */
  pruneFenced: string;
  emptyTable: string;
  copyTarget: string;
  /** The staging table: the columns, then each row's position in the batch (`copyStage` numbers the rows). */
  createStage: string;
  copyStage: string;
  upsertFromStage: string;
  /** As `upsertFromStage`, one row per key as PostgreSQL compares keys: the batch's last. */
  upsertLastFromStage: string;
  upsertOffsetsPrefix: string;
  insertPrefix: string;
  insertSuffix: string;
  storedOffsets: string;
  lastBatchTime: string;
  readRows: string;
  /** `startOver`: forget the sink's claims and offsets ($1 sink id); empty the table. */
  forgetBatches: string;
  forgetOffsets: string;
  deleteAll: string;
  /** $1 the table: one row when it exists. */
  tableExists: string;
  /** $1 the table: per column, what a Buffer becomes in it (copy.ts's `BufferKind`). */
  bufferKinds: string;
  /**
   * Parameters $1 sink id, $2 topics, $3 partitions (arrays), $4 generation: inserts the partitions'
   * missing fence rows (in order), returning those it inserted. Run before `lockFences`.
   */
  insertFences: string;
  /** Parameters $1 sink id, $2 topics, $3 partitions (arrays): those partitions' generations, locked in order. */
  lockFences: string;
  /** Parameters as `insertFences`: raises the (locked) partitions' generations to $4. */
  raiseFences: string;
  createFences: string;
  /** `startOver`: forget the sink's generations ($1 sink id). */
  forgetFences: string;
  /** DDL, run by init() under an advisory lock. */
  ddlLock: string;
  createBookkeepingSchema: string | undefined;
  createBatches: string;
  /** Parameter $1: the batches table; one row when it has the "offsets" column. */
  hasOffsetsColumn: string;
  addOffsetsColumn: string;
  createOffsets: string;
  createTableSchema: string | undefined;
  createTable: string | undefined;
}

export interface StatementOptions {
  completeStrategy?: 'delete' | 'truncate' | undefined;
  createTable?: Record<string, string> | undefined;
  keyNullsNotDistinct?: boolean | undefined;
}

export function buildStatements(s: SinkSettings, o: StatementOptions): Statements {
  const cols = quoteList(s.columns);
  const nonKeys = s.columns.filter((c) => !s.keyColumns.includes(c));
  const conflict =
    s.mode !== 'update'
      ? ''
      : nonKeys.length === 0
        ? ` ON CONFLICT (${quoteList(s.keyColumns)}) DO NOTHING`
        : ` ON CONFLICT (${quoteList(s.keyColumns)}) DO UPDATE SET ` +
          nonKeys.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ');
  const batches = qualifiedName(s.bookkeepingSchema, BATCHES_TABLE);
  const offsets = qualifiedName(s.bookkeepingSchema, OFFSETS_TABLE);
  const fences = qualifiedName(s.bookkeepingSchema, FENCES_TABLE);
  const stageName = `${STAGE_TABLE}_${++stageSeq}`;
  const stage = `pg_temp.${quoteIdent(stageName)}`;
  let position = 'dstreams_row';
  while (s.columns.includes(position)) position += '_';
  const keys = quoteList(s.keyColumns);
  return {
    claim:
      `INSERT INTO ${batches} ("sink_id", "batch_time", "offsets") VALUES ($1, $2, $3) ` +
      `ON CONFLICT ("sink_id", "batch_time") DO NOTHING RETURNING "batch_time"`,
    claimedOffsets: `SELECT "offsets" FROM ${batches} WHERE "sink_id" = $1 AND "batch_time" = $2`,
    lockOffsets: `SELECT "topic", "partition", "until_offset" FROM ${offsets} WHERE "sink_id" = $1 FOR UPDATE`,
    prune: `DELETE FROM ${batches} WHERE "sink_id" = $1 AND "batch_time" < $2`,
    pruneFenced: `DELETE FROM ${batches} WHERE ${FENCED_CLAIM} AND "batch_time" < $2`,
    emptyTable: o.completeStrategy === 'truncate' ? `TRUNCATE TABLE ${s.tableName}` : `DELETE FROM ${s.tableName}`,
    copyTarget: `COPY ${s.tableName} (${cols}) FROM STDIN WITH (FORMAT csv)`,
    createStage:
      `CREATE TEMPORARY TABLE ${quoteIdent(stageName)} ON COMMIT DROP AS ` +
      `SELECT ${cols}, 0::bigint AS ${quoteIdent(position)} FROM ${s.tableName} WITH NO DATA`,
    copyStage: `COPY ${stage} (${cols}, ${quoteIdent(position)}) FROM STDIN WITH (FORMAT csv)`,
    upsertFromStage: `INSERT INTO ${s.tableName} (${cols}) SELECT ${cols} FROM ${stage}${conflict}`,
    upsertLastFromStage:
      s.keyColumns.length === 0
        ? `INSERT INTO ${s.tableName} (${cols}) SELECT ${cols} FROM ${stage}${conflict}`
        : `INSERT INTO ${s.tableName} (${cols}) SELECT DISTINCT ON (${keys}) ${cols} FROM ${stage} ` +
          `ORDER BY ${keys}, ${quoteIdent(position)} DESC${conflict}`,
    upsertOffsetsPrefix: `INSERT INTO ${offsets} ("sink_id", "topic", "partition", "until_offset") VALUES `,
    insertPrefix: `INSERT INTO ${s.tableName} (${cols}) VALUES `,
    insertSuffix: conflict,
    storedOffsets: `SELECT "topic", "partition", "until_offset" FROM ${offsets} WHERE "sink_id" = $1 ORDER BY "topic", "partition"`,
    lastBatchTime: `SELECT max("batch_time") AS t FROM ${batches} WHERE "sink_id" = $1 OR ${FENCED_CLAIM}`,
    readRows: `SELECT ${cols} FROM ${s.tableName}`,
    forgetBatches: `DELETE FROM ${batches} WHERE "sink_id" = $1 OR ${FENCED_CLAIM}`,
    forgetOffsets: `DELETE FROM ${offsets} WHERE "sink_id" = $1`,
    deleteAll: `DELETE FROM ${s.tableName}`,
    tableExists: `SELECT 1 FROM pg_class WHERE oid = to_regclass($1)`,
    bufferKinds:
      `SELECT a.attname AS "column", CASE ` +
      `WHEN coalesce(nullif(t.typbasetype, 0), t.oid) = 'bytea'::regtype THEN 'bytea' ` +
      `WHEN t.typcategory = 'S' OR coalesce(nullif(t.typbasetype, 0), t.oid) = 'json'::regtype THEN 'text' ELSE 'other' END AS "kind" ` +
      `FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    insertFences:
      `INSERT INTO ${fences} ("sink_id", "topic", "partition", "generation") ` +
      `SELECT $1, "t", "p", $4 FROM unnest($2::text[], $3::integer[]) AS "u" ("t", "p") ORDER BY "t", "p" ` +
      `ON CONFLICT ("sink_id", "topic", "partition") DO NOTHING RETURNING "topic", "partition"`,
    lockFences:
      `SELECT "topic", "partition", "generation" FROM ${fences} WHERE "sink_id" = $1 AND ("topic", "partition") IN ` +
      `(SELECT * FROM unnest($2::text[], $3::integer[])) ORDER BY "topic", "partition" FOR UPDATE`,
    raiseFences:
      `UPDATE ${fences} SET "generation" = $4 WHERE "sink_id" = $1 AND "generation" < $4 AND ("topic", "partition") IN ` +
      `(SELECT * FROM unnest($2::text[], $3::integer[]))`,
    forgetFences: `DELETE FROM ${fences} WHERE "sink_id" = $1`,
    createFences:
      `CREATE TABLE IF NOT EXISTS ${fences} (` +
      `"sink_id" text NOT NULL, "topic" text NOT NULL, "partition" integer NOT NULL, "generation" bigint NOT NULL, ` +
      `PRIMARY KEY ("sink_id", "topic", "partition"))`,
    // CREATE … IF NOT EXISTS is not safe against a concurrent CREATE of the same name
    // (unique violation on pg_type); the sinks' DDL is serialised with an advisory lock.
    ddlLock: `SELECT pg_advisory_xact_lock(hashtext('dstreams_sink_ddl'))`,
    createBookkeepingSchema:
      s.bookkeepingSchema === undefined ? undefined : `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(s.bookkeepingSchema)}`,
    createBatches:
      `CREATE TABLE IF NOT EXISTS ${batches} (` +
      `"sink_id" text NOT NULL, "batch_time" bigint NOT NULL, ` +
      `"committed_at" timestamptz NOT NULL DEFAULT now(), "offsets" text, ` +
      `PRIMARY KEY ("sink_id", "batch_time"))`,
    hasOffsetsColumn: `SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'offsets' AND NOT attisdropped`,
    addOffsetsColumn: `ALTER TABLE ${batches} ADD COLUMN IF NOT EXISTS "offsets" text`,
    createOffsets:
      `CREATE TABLE IF NOT EXISTS ${offsets} (` +
      `"sink_id" text NOT NULL, "topic" text NOT NULL, "partition" integer NOT NULL, ` +
      `"until_offset" bigint NOT NULL, ` +
      `PRIMARY KEY ("sink_id", "topic", "partition"))`,
    createTableSchema: o.createTable && s.schema !== undefined ? `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(s.schema)}` : undefined,
    createTable: o.createTable ? createTableStatement(s, o.createTable, o.keyNullsNotDistinct) : undefined,
  };
}

function createTableStatement(s: SinkSettings, types: Record<string, string>, keyNullsNotDistinct: boolean | undefined): string {
  const defs = Object.entries(types).map(([c, t]) => `${quoteIdent(c)} ${t}`);
  if (s.keyColumns.length > 0) {
    const key = keyNullsNotDistinct ? 'UNIQUE NULLS NOT DISTINCT' : 'PRIMARY KEY';
    defs.push(`${key} (${quoteList(s.keyColumns)})`);
  }
  return `CREATE TABLE IF NOT EXISTS ${s.tableName} (${defs.join(', ')})`;
}

/** The quoted, qualified name of the batches table (the argument of `hasOffsetsColumn`). */
export function batchesTable(s: SinkSettings): string {
  return qualifiedName(s.bookkeepingSchema, BATCHES_TABLE);
}

/** One multi-row INSERT of `rows` (each `ncols` values): `($1,$2),($3,$4)…` with its parameters. */
export function insertStatement(st: Statements, rows: readonly unknown[][], ncols: number): { text: string; values: unknown[] } {
  const params: unknown[] = new Array(rows.length * ncols);
  const tuples: string[] = new Array(rows.length);
  let p = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let tuple = '(';
    for (let c = 0; c < ncols; c++) {
      params[p] = row[c];
      p++;
      tuple += c === 0 ? `$${p}` : `,$${p}`;
    }
    tuples[r] = tuple + ')';
  }
  return { text: st.insertPrefix + tuples.join(',') + st.insertSuffix, values: params };
}

/** The upsert of a batch's offsets (one row per topic-partition) with its parameters. */
export function upsertOffsetsStatement(
  st: Statements,
  sinkId: string,
  offsets: readonly SinkOffsetRange[],
): { text: string; values: unknown[] } {
  const params: unknown[] = [];
  const tuples: string[] = [];
  for (const o of offsets) {
    const n = params.length;
    params.push(sinkId, o.topic, o.partition, o.untilOffset);
    tuples.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4})`);
  }
  return { text: st.upsertOffsetsPrefix + tuples.join(', ') + UPSERT_OFFSETS_SUFFIX, values: params };
}
