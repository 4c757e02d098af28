/**
 * Rows into the sink's table inside the caller's transaction: COPY (update mode through a staging
 * table) or multi-row INSERT.
 *
 * Update mode: rows.ts has de-duplicated the batch by key as JavaScript compares values, but
 * PostgreSQL may hold more keys equal (numeric(10,2) 1.001 and 1.004, jsonb with another key
 * order, 5 and 5n, a Date and its ISO string), and one `ON CONFLICT DO UPDATE` touching a row
 * twice fails with 21000. Each upsert therefore runs under a savepoint; on 21000 it is rolled back
 * and done again so that the database's equality decides and the last row of a key wins. A batch
 * without such keys costs no extra statement (COPY) or two (INSERT: SAVEPOINT, RELEASE).
 */
import type { PoolClient } from 'pg';
import copyStreams from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buffersAsInsertStores, csvChunks, type BufferKind } from './copy.js';
import { sqlStateOf } from './errors.js';
import type { SinkSettings } from './options.js';
import { insertStatement, type Statements } from './statements.js';

/** cardinality_violation: "ON CONFLICT DO UPDATE command cannot affect row a second time". */
const TOUCHED_TWICE = '21000';
const SAVEPOINT = 'dstreams_sink_upsert';

export async function writeRows(client: PoolClient, sql: Statements, s: SinkSettings, values: unknown[][]): Promise<void> {
  if (s.method === 'copy') await writeWithCopy(client, sql, s, values);
  else await writeWithInsert(client, sql, s, values);
}

/** Only `DO UPDATE` fails on a key twice (`DO NOTHING`, the key-only upsert, skips the second). */
function mayTouchTwice(s: SinkSettings): boolean {
  return s.mode === 'update' && s.columns.length > s.keyColumns.length;
}

async function writeWithInsert(client: PoolClient, sql: Statements, s: SinkSettings, values: unknown[][]): Promise<void> {
  const per = s.rowsPerInsert;
  const ncols = s.columns.length;
  if (!mayTouchTwice(s) || values.length === 0) {
    for (let start = 0; start < values.length; start += per) {
      await client.query(insertStatement(sql, values.slice(start, start + per), ncols));
    }
    return;
  }
  // One savepoint for the whole batch: the usual batch pays two round trips, not two per statement.
  await client.query(`SAVEPOINT ${SAVEPOINT}`);
  try {
    for (let start = 0; start < values.length; start += per) {
      await client.query(insertStatement(sql, values.slice(start, start + per), ncols));
    }
  } catch (err) {
    if (sqlStateOf(err) !== TOUCHED_TWICE) throw err;
    await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    for (let start = 0; start < values.length; start += per) {
      await upsertInOrder(client, sql, ncols, values.slice(start, start + per));
    }
  }
  await client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
}

/**
 * Upserts `rows` as a sequence of single-row upserts would: in one statement when PostgreSQL
 * sees no key twice in them, else the first half, then the second (recursively), so a later row
 * of a key is applied after — over — an earlier one. A single row never fails with 21000.
 */
async function upsertInOrder(client: PoolClient, sql: Statements, ncols: number, rows: unknown[][]): Promise<void> {
  if (rows.length === 1) {
    await client.query(insertStatement(sql, rows, ncols));
    return;
  }
  await client.query(`SAVEPOINT ${SAVEPOINT}_rows`);
  try {
    await client.query(insertStatement(sql, rows, ncols));
  } catch (err) {
    if (sqlStateOf(err) !== TOUCHED_TWICE) throw err;
    await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}_rows; RELEASE SAVEPOINT ${SAVEPOINT}_rows`);
    const half = rows.length >> 1;
    await upsertInOrder(client, sql, ncols, rows.slice(0, half));
    await upsertInOrder(client, sql, ncols, rows.slice(half));
    return;
  }
  await client.query(`RELEASE SAVEPOINT ${SAVEPOINT}_rows`);
}

async function writeWithCopy(client: PoolClient, sql: Statements, s: SinkSettings, values: unknown[][]): Promise<void> {
  if (values.length === 0) return;
  if (s.mode !== 'update') {
    await copy(client, sql, s, sql.copyTarget, values);
    return;
  }
  // COPY cannot upsert: copy into a temporary table (dropped at commit), rows numbered, then upsert from it.
  await client.query(sql.createStage);
  await copy(client, sql, s, sql.copyStage, values, true);
  if (!mayTouchTwice(s)) {
    await client.query(sql.upsertFromStage);
    return;
  }
  try {
    // One round trip (simple query protocol): a failure stops the string at the INSERT.
    await client.query(`SAVEPOINT ${SAVEPOINT}; ${sql.upsertFromStage}; RELEASE SAVEPOINT ${SAVEPOINT}`);
  } catch (err) {
    if (sqlStateOf(err) !== TOUCHED_TWICE) throw err;
    await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    await client.query(sql.upsertLastFromStage);
    await client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
  }
}

async function copy(client: PoolClient, sql: Statements, s: SinkSettings, statement: string, values: unknown[][], numbered = false): Promise<void> {
  // The column types are looked up only for a batch that holds a buffer (copy.ts: what INSERT stores).
  if (values.some((row) => row.some((v) => ArrayBuffer.isView(v)))) {
    const res = await client.query<{ column: string; kind: BufferKind }>(sql.bufferKinds, [s.tableName]);
    values = buffersAsInsertStores(values, s.columns, new Map(res.rows.map((r) => [r.column, r.kind])));
  }
  const stream = client.query(copyStreams.from(statement));
  await pipeline(Readable.from(csvChunks(values, undefined, numbered)), stream);
}
