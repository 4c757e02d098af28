/**
 * The table guard: does the result table still hold what the sink committed to it?
 *
 * In update and complete mode the table is the job's state as of the offsets stored with it. If
 * it is dropped, truncated or has rows deleted behind the sink's back, a restart that re-creates
 * it (or simply goes on) writes only the keys later batches change: the rest is lost without a
 * word. The guard makes that loud, without ever scanning the table:
 *
 * - a stamp per (sink, table) in `dstreams_sink_tables`, written in each batch's transaction:
 *   the table's oid (another oid: dropped and re-created), whether the commit left rows in it;
 * - two statement-level triggers on the table (AFTER DELETE with its transition table, AFTER
 *   TRUNCATE) that add to the stamp what other writers removed. The sink's own emptying (complete
 *   mode, a rebuild) sets `dstreams.writer` for its transaction and is not counted;
 * - at the sink's first use (`init`) and in every batch's transaction, the stamp is read: a missing
 *   table, another oid, a truncation or deleted rows refuse the batch; and one `LIMIT 1` probe
 *   catches a table emptied while the triggers were off (`session_replication_role = replica`).
 *
 * When things happen: stamp and triggers are created by `init` under the sinks' DDL lock; the
 * stamp is upserted before the rows are written, so the check and the write see the same table.
 * Pure apart from the SQL text: the sink runs the statements and throws what `describeDamage` says.
 */
import { qualifiedName, quoteIdent } from './identifiers.js';

export const TABLES_TABLE = 'dstreams_sink_tables';
const GUARD_FUNCTION = 'dstreams_sink_table_guard';
const TRIGGER_DELETE = 'dstreams_guard_delete';
const TRIGGER_TRUNCATE = 'dstreams_guard_truncate';
/** The transaction-local setting by which the sink's own DELETE/TRUNCATE is told apart. */
export const WRITER_SETTING = 'dstreams.writer';

/** What the guard found wrong with a table; see {@link describeDamage}. */
export interface TableDamage {
  kind: 'missing' | 'recreated' | 'truncated' | 'rows-deleted' | 'emptied';
  /** The quoted table name. */
  table: string;
  /** The last batch this sink committed to the table, when known. */
  lastBatch: number | undefined;
  /** Rows other writers deleted (kind `rows-deleted`). */
  rowsDeleted?: number;
}

/** The stamp as read back: what the sink committed last, and what others did since. */
export interface Stamp {
  table_oid: string;
  current_oid: string | null;
  has_rows: boolean;
  last_batch: string | null;
  rows_deleted: string;
  truncated: boolean;
}

export interface GuardStatements {
  createTables: string;
  /** One row with `present`: whether the trigger function exists (only its owner may replace it). */
  hasFunction: string;
  createFunction: string;
  /** $1 the table; the names of the guard triggers it has. */
  triggers: string;
  createDeleteTrigger: (tablesTable: string) => string;
  createTruncateTrigger: (tablesTable: string) => string;
  /** $1 a table name: its schema-qualified, quoted name (for the triggers' argument). */
  resolveName: string;
  /** $1 sink id, $2 table name. */
  readStamp: string;
  /** Whether the table has a row (one LIMIT 1 probe). */
  probe: string;
  /** $1 sink id, $2 table, $3 has rows, $4 batch, $5 complete (has_rows replaced, not or-ed). Returns the stamp before. */
  upsertStamp: string;
  /** $1 sink id, $2 table, $3 has rows, $4 batch: a rebuild; everything others did is forgotten. */
  resetStamp: string;
  /** $1 sink id: the sink's own emptying of its table is not damage. */
  markWriter: string;
  /** $1 sink id: forgets the stamps (`startOver`). */
  deleteStamps: string;
}

export function guardStatements(bookkeepingSchema: string | undefined, table: string): GuardStatements {
  const tables = qualifiedName(bookkeepingSchema, TABLES_TABLE);
  const fn = qualifiedName(bookkeepingSchema, GUARD_FUNCTION);
  const stampCols = `s."table_oid"::text AS table_oid, to_regclass($2)::oid::text AS current_oid, s."has_rows", s."last_batch", s."rows_deleted", s."truncated_at" IS NOT NULL AS truncated`;
  const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return {
    createTables:
      `CREATE TABLE IF NOT EXISTS ${tables} (` +
      `"sink_id" text NOT NULL, "table_name" text NOT NULL, "table_oid" oid NOT NULL, ` +
      `"has_rows" boolean NOT NULL, "last_batch" bigint, ` +
      `"rows_deleted" bigint NOT NULL DEFAULT 0, "truncated_at" timestamptz, ` +
      `PRIMARY KEY ("sink_id", "table_name"))`,
    hasFunction: `SELECT to_regprocedure(${literal(`${fn}()`)}) IS NOT NULL AS present`,
    // TG_ARGV[0]: the stamps table, schema-qualified (the deleting session's search_path may differ).
    createFunction:
      `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $guard$\n` +
      `DECLARE n bigint := 0; w text := current_setting('${WRITER_SETTING}', true);\n` +
      `BEGIN\n` +
      `  IF TG_OP = 'DELETE' THEN\n` +
      `    IF EXISTS (SELECT 1 FROM dstreams_old_rows) THEN SELECT count(*) INTO n FROM dstreams_old_rows; ELSE RETURN NULL; END IF;\n` +
      `  END IF;\n` +
      `  EXECUTE format('UPDATE %s SET rows_deleted = rows_deleted + $1, ` +
      `truncated_at = CASE WHEN $2 THEN now() ELSE truncated_at END ` +
      `WHERE table_oid = $3 AND sink_id IS DISTINCT FROM $4', TG_ARGV[0]) USING n, TG_OP = 'TRUNCATE', TG_RELID, w;\n` +
      `  RETURN NULL;\n` +
      `END $guard$`,
    triggers: `SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname IN ('${TRIGGER_DELETE}', '${TRIGGER_TRUNCATE}')`,
    createDeleteTrigger: (tablesTable) =>
      `CREATE TRIGGER ${quoteIdent(TRIGGER_DELETE)} AFTER DELETE ON ${table} REFERENCING OLD TABLE AS dstreams_old_rows ` +
      `FOR EACH STATEMENT EXECUTE FUNCTION ${fn}(${literal(tablesTable)})`,
    createTruncateTrigger: (tablesTable) =>
      `CREATE TRIGGER ${quoteIdent(TRIGGER_TRUNCATE)} AFTER TRUNCATE ON ${table} ` +
      `FOR EACH STATEMENT EXECUTE FUNCTION ${fn}(${literal(tablesTable)})`,
    resolveName:
      `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c ` +
      `JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
    readStamp: `SELECT ${stampCols} FROM ${tables} s WHERE s."sink_id" = $1 AND s."table_name" = $2`,
    probe: `SELECT EXISTS (SELECT 1 FROM ${table}) AS has_rows`,
    upsertStamp:
      `WITH before AS (SELECT ${stampCols} FROM ${tables} s WHERE s."sink_id" = $1 AND s."table_name" = $2 FOR UPDATE), ` +
      `up AS (INSERT INTO ${tables} AS s ("sink_id", "table_name", "table_oid", "has_rows", "last_batch") ` +
      // 0 for a table that is gone: the stamp read before says so, and the write then fails on it.
      `VALUES ($1, $2, coalesce(to_regclass($2)::oid, 0), $3, $4) ON CONFLICT ("sink_id", "table_name") DO UPDATE SET ` +
      `"has_rows" = CASE WHEN $5 THEN EXCLUDED."has_rows" ELSE s."has_rows" OR EXCLUDED."has_rows" END, ` +
      `"last_batch" = EXCLUDED."last_batch") ` +
      `SELECT * FROM before`,
    resetStamp:
      `INSERT INTO ${tables} ("sink_id", "table_name", "table_oid", "has_rows", "last_batch") ` +
      `VALUES ($1, $2, to_regclass($2)::oid, $3, $4) ON CONFLICT ("sink_id", "table_name") DO UPDATE SET ` +
      `"table_oid" = EXCLUDED."table_oid", "has_rows" = EXCLUDED."has_rows", "last_batch" = EXCLUDED."last_batch", ` +
      `"rows_deleted" = 0, "truncated_at" = NULL`,
    markWriter: `SELECT set_config('${WRITER_SETTING}', $1, true)`,
    deleteStamps: `DELETE FROM ${tables} WHERE "sink_id" = $1`,
  };
}

/**
 * What is wrong with the table given its stamp (undefined: nothing). `hasRows` is the probe's
 * answer, asked only when the stamp says the table should have rows and nothing else is wrong.
 */
export function damageOf(stamp: Stamp, table: string, hasRows?: boolean): TableDamage | undefined {
  const lastBatch = stamp.last_batch === null ? undefined : Number(stamp.last_batch);
  if (stamp.current_oid === null) return { kind: 'missing', table, lastBatch };
  if (stamp.current_oid !== stamp.table_oid) return { kind: 'recreated', table, lastBatch };
  if (stamp.truncated) return { kind: 'truncated', table, lastBatch };
  const deleted = Number(stamp.rows_deleted);
  if (deleted > 0) return { kind: 'rows-deleted', table, lastBatch, rowsDeleted: deleted };
  if (stamp.has_rows && hasRows === false) return { kind: 'emptied', table, lastBatch };
  return undefined;
}

/** Whether `damageOf` needs the probe's answer for this stamp. */
export function needsProbe(stamp: Stamp): boolean {
  return stamp.has_rows && stamp.current_oid !== null && stamp.current_oid === stamp.table_oid && !stamp.truncated && Number(stamp.rows_deleted) === 0;
}

/**
 * The refusal: what was found, what it means, and the two ways forward. `offsets` are the
 * offsets the sink has stored (the position the table should reflect).
 */
export function describeDamage(d: TableDamage, offsets: Record<string, number>): string {
  const found = damageFinding(d);
  const stored = Object.keys(offsets).length > 0 ? ` the offsets stored with it (${JSON.stringify(offsets)})` : ' its stored offsets';
  return (
    `${found}: the table no longer holds what${stored} account for, and going on would lose those rows silently ` +
    `(later batches write only what they change). Two ways forward: (1) rebuild the table from the checkpointed ` +
    `state — restart the job with the sink option \`rebuild: true\` (the jobs' --rebuild-table flag): its full ` +
    `state replaces the table in one transaction; or (2) start over from earlier offsets — delete the job's ` +
    `checkpoint and call sink.startOver() (it forgets the stored offsets and batches and empties the table), so ` +
    `the input is read again from where auto.offset.reset says`
  );
}

/** What the table check found, in a sentence without the ways forward (the callers' differ). */
export function damageFinding(d: TableDamage): string {
  const upTo = d.lastBatch === undefined ? 'its last committed batch' : `batch ${d.lastBatch}`;
  return {
    missing: `table ${d.table} does not exist, but this sink has committed rows to it up to ${upTo}`,
    recreated: `table ${d.table} was dropped and created again since this sink committed ${upTo} (another table oid)`,
    truncated: `table ${d.table} was truncated by another writer since this sink committed ${upTo}`,
    'rows-deleted': `${d.rowsDeleted} row(s) of table ${d.table} were deleted by another writer since this sink committed ${upTo}`,
    emptied: `table ${d.table} is empty, but this sink's last commit (${upTo}) left rows in it`,
  }[d.kind];
}

/** The part of a pg client the guard uses. */
interface Client {
  query<R extends object>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * At the sink's first use, inside its DDL transaction: creates the stamps table and the trigger
 * function, and says what is wrong with the table, if anything. Without a stamp (a sink that has
 * not written since the guard exists) only a missing table can be told, from the sink's claims.
 */
export async function inspectTable(
  client: Client,
  g: GuardStatements,
  sinkId: string,
  table: string,
  lastClaimed: () => Promise<number | undefined>,
): Promise<TableDamage | undefined> {
  await client.query(g.createTables);
  if (!(await client.query<{ present: boolean }>(g.hasFunction)).rows[0]!.present) await client.query(g.createFunction);
  const stamp = (await client.query<Stamp>(g.readStamp, [sinkId, table])).rows[0];
  if (stamp === undefined) {
    const exists = (await client.query<{ name: string }>(g.resolveName, [table])).rows.length > 0;
    if (exists) return undefined;
    const last = await lastClaimed();
    return last === undefined ? undefined : { kind: 'missing', table, lastBatch: last };
  }
  const hasRows = needsProbe(stamp) ? (await client.query<{ has_rows: boolean }>(g.probe)).rows[0]!.has_rows : undefined;
  return damageOf(stamp, table, hasRows);
}

/** Puts the two triggers on the table (it exists) unless they are there. */
export async function installTriggers(client: Client, g: GuardStatements, table: string, bookkeepingTable: string): Promise<void> {
  const have = new Set((await client.query<{ tgname: string }>(g.triggers, [table])).rows.map((r) => r.tgname));
  if (have.size === 2) return;
  const stamps = (await client.query<{ name: string }>(g.resolveName, [bookkeepingTable])).rows[0]!.name;
  try {
    if (!have.has(TRIGGER_DELETE)) await client.query(g.createDeleteTrigger(stamps));
    if (!have.has(TRIGGER_TRUNCATE)) await client.query(g.createTruncateTrigger(stamps));
  } catch (e) {
    if ((e as { code?: string }).code !== '42501') throw e;
    throw Object.assign(
      new Error(
        `the table check needs two triggers on ${table} and this role may not create them (${(e as Error).message}): ` +
          `let the table's owner run the sink once, grant TRIGGER on it, or turn the check off (tableCheck: false)`,
      ),
      { code: '42501', cause: e },
    );
  }
}

/**
 * In a batch's transaction, before its rows are written: records the commit in the stamp and
 * returns what was wrong with the table before it (undefined: nothing, or the first stamp).
 */
export async function stampBatch(
  client: Client,
  g: GuardStatements,
  sinkId: string,
  table: string,
  hasRows: boolean,
  batchTime: number,
  replaces: boolean,
): Promise<TableDamage | undefined> {
  const before = (await client.query<Stamp>(g.upsertStamp, [sinkId, table, hasRows, batchTime, replaces])).rows[0];
  return before === undefined ? undefined : damageOf(before, table);
}

/** The stamps table, as `installTriggers` names it. */
export function stampsTable(bookkeepingSchema: string | undefined): string {
  return qualifiedName(bookkeepingSchema, TABLES_TABLE);
}
