/**
 * The table check of format('postgres'): complete mode is not checked (every batch replaces the
 * whole table from the query's state, so a truncated table is simply written again — a restart
 * used to be refused for good); update mode is, and its refusal says what a writeStream user can
 * do (the sink's own `rebuild` and `startOver()` are out of their reach); option('tableCheck').
 */
import { describe, expect, it } from 'vitest';
import { MemoryStream, functions as F } from '../../src/sql/index.js';
import { pgQuery, resolvePg, useScratchSchema } from '../helpers/postgres.js';
import { session, tempDir } from './helpers.js';

const scratch = useScratchSchema('dstreams_sql_tablecheck');

async function options(table: string, checkpointLocation: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const pg = await resolvePg();
  return { url: `jdbc:postgresql://${pg.host}:${pg.port}/${pg.database}`, user: pg.user, dbtable: table, checkpointLocation, ...extra };
}

/** Runs the counting query on `checkpointLocation` over `values`; the query's exception, if any. */
async function run(mode: 'update' | 'complete', table: string, checkpointLocation: string, input: MemoryStream<string>, values: string[], extra?: Record<string, string>): Promise<string | null> {
  const q = await input.toDF().groupBy('value').agg(F.count('*').alias('n'))
    .writeStream.format('postgres').outputMode(mode).options(await options(table, checkpointLocation, extra)).start();
  input.addData(...values);
  await q.processAllAvailable().catch(() => undefined);
  const e = q.exception();
  await q.stop().catch(() => undefined);
  return e === null ? null : String(e.cause ?? e);
}

const rows = async (table: string) => (await pgQuery(`SELECT value, n::int AS n FROM ${table} ORDER BY value`)).rows;

describe('postgres sink: table check', () => {
  it('complete mode: a truncated table is written again by the next batch after a restart', async () => {
    const table = `${scratch().schema}.complete_truncated`;
    const ck = tempDir();
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    expect(await run('complete', table, ck, input, ['x', 'y', 'x'])).toBeNull();
    await pgQuery(`TRUNCATE ${table}`);
    expect(await run('complete', table, ck, input, ['y'])).toBeNull();
    expect(await rows(table)).toEqual([{ value: 'x', n: 2 }, { value: 'y', n: 2 }]);
  });

  it('update mode: a truncated table is refused, in terms of writeStream options; tableCheck=false goes on', async () => {
    const table = `${scratch().schema}.update_truncated`;
    const ck = tempDir();
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    expect(await run('update', table, ck, input, ['x', 'y'])).toBeNull();
    await pgQuery(`TRUNCATE ${table}`);
    const refused = await run('update', table, ck, input, ['x']);
    expect(refused).toMatch(/PostgresSink\[.*update_truncated\]: table .* was truncated by another writer since this sink committed batch 0/);
    expect(refused).toMatch(/start the query on a new checkpointLocation.*option\('tableCheck', 'false'\)/);
    expect(refused).not.toMatch(/startOver|rebuild: true/);
    expect(await run('update', table, ck, input, [], { tableCheck: 'false' })).toBeNull();
    expect(await rows(table)).toEqual([{ value: 'x', n: 2 }]);
  });

  it('option tableCheck: true or false; true is refused in complete mode', async () => {
    const spark = session();
    const df = new MemoryStream<string>(spark, 'string').toDF().groupBy('value').count();
    const start = async (mode: 'update' | 'complete', tableCheck: string) =>
      df.writeStream.format('postgres').outputMode(mode).options(await options(`${scratch().schema}.opt`, tempDir(), { tableCheck })).start();
    await expect(start('update', 'maybe')).rejects.toThrow(/option\('tableCheck', "maybe"\): expected true or false/);
    await expect(start('complete', 'true')).rejects.toThrow(/option\('tableCheck', 'true'\) does not apply to complete mode/);
  });
});
