// A format('postgres') query started before its MemoryStream had data (the schema still a
// placeholder): the table's columns and types are the batch's, taken at the first batch — it
// was created as (value text) and the first batch failed.
import { describe, expect, it } from 'vitest';
import { MemoryStream } from '../../src/sql/index.js';
import { pgQuery, resolvePg, useScratchSchema } from '../helpers/postgres.js';
import { session, tempDir } from './helpers.js';

const scratch = useScratchSchema('dstreams_sql_pending');

describe('postgres sink: a schema known only from the first data', () => {
  it('creates the table from the first batch’s columns and writes it', async () => {
    const pg = await resolvePg();
    const table = `${scratch().schema}.pending`;
    const spark = session();
    const input = new MemoryStream<{ k: string; v: number }>(spark);
    const q = await input.toDF().writeStream.format('postgres')
      .options({ url: `jdbc:postgresql://${pg.host}:${pg.port}/${pg.database}`, user: pg.user, dbtable: table, checkpointLocation: tempDir() })
      .start();
    input.addData({ k: 'a', v: 1 }, { k: 'b', v: 2 });
    await q.processAllAvailable();
    input.addData({ k: 'c', v: 3 });
    await q.processAllAvailable();
    await q.stop();
    const columns = await pgQuery(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'pending' ORDER BY ordinal_position`,
      [scratch().schema],
    );
    expect(columns.rows).toEqual([
      { column_name: 'k', data_type: 'text' },
      { column_name: 'v', data_type: 'integer' },
    ]);
    expect((await pgQuery(`SELECT k, v FROM ${table} ORDER BY k`)).rows).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
      { k: 'c', v: 3 },
    ]);
  });
});
