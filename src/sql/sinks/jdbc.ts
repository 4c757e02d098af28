/**
 * `df.write.mode(m).jdbc(url, table, props)` into PostgreSQL, as seeds 000 and 004 export a
 * batch: one transaction — create the table from the schema when missing (overwrite: drop and
 * create, as Spark's default overwrite), then insert the rows (multi-row INSERT, ≤ 65 535
 * parameters a statement). errorifexists fails on an existing table; ignore leaves it alone;
 * append with option('replaceWhere', cond) deletes the matching rows first (idempotent batches).
 * Option names are case-insensitive, as Spark's: `replacewhere` is `replaceWhere`.
 */
import pg from 'pg';
import { quoteIdent } from '../../sinks/postgres/index.js';
import type { DataFrame } from '../DataFrame.js';
import { registerJdbcWriter, type JdbcProperties, type SaveMode } from '../DataFrameWriter.js';
import { AnalysisException } from '../errors.js';
import { caseInsensitiveOptions } from '../streaming/options.js';
import { pgTarget, pgValue, sqlType } from './jdbcUrl.js';

export async function writeJdbc(
  df: DataFrame,
  url: string,
  table: string,
  mode: SaveMode,
  props: JdbcProperties,
  options: Record<string, string> = {},
): Promise<void> {
  // df.write's options already are; a plain object from another caller is looked up the same way.
  const opts = caseInsensitiveOptions(options);
  const target = pgTarget(url, table, props);
  const name = (target.table.schema ? `${quoteIdent(target.table.schema)}.` : '') + quoteIdent(target.table.name);
  const fields = df.schema.fields;
  const rows = df.collect();
  const client = new pg.Client({ connectionString: target.connectionString });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN');
    const exists = (await client.query('SELECT to_regclass($1) AS t', [name])).rows[0].t !== null;
    if (exists && (mode === 'error' || mode === 'errorifexists')) throw new AnalysisException(`Table or view '${table}' already exists. SaveMode: ErrorIfExists.`);
    if (exists && mode === 'ignore') {
      await client.query('ROLLBACK');
      return;
    }
    if (exists && mode === 'overwrite') await client.query(`DROP TABLE ${name}`);
    if (!exists || mode === 'overwrite') {
      if (target.table.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(target.table.schema)}`);
      await client.query(`CREATE TABLE ${name} (${fields.map((f) => `${quoteIdent(f.name)} ${sqlType(f.dataType)}`).join(', ')})`);
    }
    if (exists && mode === 'append' && opts.replaceWhere) await client.query(`DELETE FROM ${name} WHERE ${opts.replaceWhere}`);
    const cols = fields.map((f) => quoteIdent(f.name)).join(', ');
    const perStatement = Math.max(1, Math.min(1000, Math.floor(65_535 / Math.max(1, fields.length))));
    for (let i = 0; i < rows.length; i += perStatement) {
      const chunk = rows.slice(i, i + perStatement);
      const params: unknown[] = [];
      const tuples = chunk.map((r) => `(${fields.map((f) => (params.push(pgValue(r[f.name], f.dataType)), `$${params.length}`)).join(', ')})`);
      await client.query(`INSERT INTO ${name} (${cols}) VALUES ${tuples.join(', ')}`, params);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await client.end();
  }
}

registerJdbcWriter(writeJdbc);
