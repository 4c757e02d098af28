/** Rows into the sink's table inside the caller's transaction: COPY (update mode through a staging table) or multi-row INSERT. */
import type { PoolClient } from 'pg';
import copyStreams from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvChunks } from './copy.js';
import type { SinkSettings } from './options.js';
import { insertStatement, type Statements } from './statements.js';

export async function writeRows(client: PoolClient, sql: Statements, s: SinkSettings, values: unknown[][]): Promise<void> {
  if (s.method === 'copy') await writeWithCopy(client, sql, s, values);
  else await writeWithInsert(client, sql, s, values);
}

async function writeWithInsert(client: PoolClient, sql: Statements, s: SinkSettings, values: unknown[][]): Promise<void> {
  const per = s.rowsPerInsert;
  for (let start = 0; start < values.length; start += per) {
    await client.query(insertStatement(sql, values.slice(start, start + per), s.columns.length));
  }
}

async function writeWithCopy(client: PoolClient, sql: Statements, s: SinkSettings, values: unknown[][]): Promise<void> {
  if (values.length === 0) return;
  if (s.mode === 'update') {
    // COPY cannot upsert: copy into a temporary table (dropped at commit), then upsert from it.
    await client.query(sql.createStage);
    await copy(client, sql.copyStage, values);
    await client.query(sql.upsertFromStage);
  } else {
    await copy(client, sql.copyTarget, values);
  }
}

async function copy(client: PoolClient, statement: string, values: unknown[][]): Promise<void> {
  const stream = client.query(copyStreams.from(statement));
  await pipeline(Readable.from(csvChunks(values)), stream);
}
