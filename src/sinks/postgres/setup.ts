/**
 * The sink's DDL, run once at its first use under the sinks' advisory lock, and `startOver`.
 *
 * When things happen: bookkeeping tables first; then, with the table check on, the table's stamp
 * is read BEFORE `CREATE TABLE IF NOT EXISTS` — a table that was dropped must be refused (or
 * rebuilt), not quietly created again empty — and the guard's triggers are put on the table.
 */
import type { PoolClient } from 'pg';
import { inspectTable, installTriggers, stampsTable, type GuardStatements, type TableDamage } from './guard.js';
import type { SinkSettings } from './options.js';
import { batchesTable, type Statements } from './statements.js';

/**
 * Creates what the sink needs, in one transaction; returns what the table check found. `refuse`
 * turns a damage into the error to throw (before anything is created), or undefined to go on.
 */
export async function setUpTables(
  client: PoolClient,
  sql: Statements,
  settings: SinkSettings,
  guard: GuardStatements | undefined,
  refuse: (damage: TableDamage) => Promise<Error | undefined>,
): Promise<TableDamage | undefined> {
  await client.query('BEGIN');
  await client.query(sql.ddlLock);
  if (sql.createBookkeepingSchema !== undefined) await client.query(sql.createBookkeepingSchema);
  await client.query(sql.createBatches);
  // Tables created before the "offsets" column existed get it (ALTER only when it is missing:
  // even ADD COLUMN IF NOT EXISTS takes an exclusive lock).
  const hasOffsets = await client.query(sql.hasOffsetsColumn, [batchesTable(settings)]);
  if (hasOffsets.rowCount === 0) await client.query(sql.addOffsetsColumn);
  await client.query(sql.createOffsets);
  await client.query(sql.createFences);
  const damage = guard
    ? await inspectTable(client, guard, settings.sinkId, settings.tableName, async () => {
        const r = await client.query<{ t: string | null }>(sql.lastBatchTime, [settings.sinkId]);
        return r.rows[0]?.t == null ? undefined : Number(r.rows[0].t);
      })
    : undefined;
  if (damage !== undefined) {
    const refusal = await refuse(damage);
    if (refusal !== undefined) throw refusal;
  }
  if (sql.createTableSchema !== undefined) await client.query(sql.createTableSchema);
  if (sql.createTable !== undefined) await client.query(sql.createTable);
  if (guard && (await client.query(sql.tableExists, [settings.tableName])).rowCount) {
    await installTriggers(client, guard, settings.tableName, stampsTable(settings.bookkeepingSchema));
  }
  await client.query('COMMIT');
  return damage;
}

/** `startOver`, in one transaction: the sink's claims, offsets and stamp forgotten, its table emptied. */
export async function forgetSink(
  client: PoolClient,
  sql: Statements,
  guard: GuardStatements | undefined,
  sinkId: string,
  table: string,
): Promise<void> {
  await client.query('BEGIN');
  await client.query(sql.ddlLock);
  await client.query(sql.createBatches);
  await client.query(sql.createOffsets);
  await client.query(sql.createFences);
  if (guard) {
    await client.query(guard.createTables);
    await client.query(guard.markWriter, [sinkId]);
    await client.query(guard.deleteStamps, [sinkId]);
  }
  if ((await client.query(sql.tableExists, [table])).rowCount) await client.query(sql.deleteAll);
  await client.query(sql.forgetBatches, [sinkId]);
  await client.query(sql.forgetFences, [sinkId]);
  await client.query(sql.forgetOffsets, [sinkId]);
  await client.query('COMMIT');
}
