/**
 * The batch reader and writer (`spark.read`, `df.write`) take option names case-insensitively, as
 * readStream/writeStream and Spark's CaseInsensitiveMap: `option('HEADER', true)` skips a CSV
 * header (it was read as a row), `option('replacewhere', …)` is `replaceWhere` (a re-run batch
 * appended its rows a second time).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgQuery, resolvePg, useScratchSchema } from '../helpers/postgres.js';
import { session, tempDir } from './helpers.js';

const scratch = useScratchSchema('dstreams_sql_batch_opts');

describe('batch reader and writer option names are case-insensitive', () => {
  it("spark.read: option('HEADER', true) skips the header line, option('SEP', …) splits; the last setting wins whatever its case", async () => {
    const spark = session();
    const dir = tempDir();
    writeFileSync(join(dir, 'part-0.csv'), 'name;n\nx;1\ny;2\n');
    const read = (keys: [string, string][]) => {
      let r = spark.read.format('csv').schema('name STRING, n INT');
      for (const [k, v] of keys) r = r.option(k, v);
      return r.load(dir).then((df) => df.collect());
    };
    const rows = [
      { name: 'x', n: 1 },
      { name: 'y', n: 2 },
    ];
    expect(await read([['header', 'true'], ['sep', ';']])).toEqual(rows);
    expect(await read([['HEADER', 'true'], ['SEP', ';']])).toEqual(rows);
    expect(await read([['Header', 'false'], ['header', 'true'], ['Sep', ';']])).toEqual(rows);
    // The last one set, under another case, replaces the first.
    expect(await read([['header', 'true'], ['HEADER', 'false'], ['sep', ';']])).toEqual([{ name: 'name', n: null }, ...rows]);
  });

  it("df.write: option('replacewhere', …) in append mode replaces the batch's rows (a re-run batch is not written twice)", async () => {
    const pg = await resolvePg();
    const url = `jdbc:postgresql://${pg.host}:${pg.port}/${pg.database}`;
    const spark = session();
    for (const [i, key] of ['replaceWhere', 'replacewhere', 'REPLACEWHERE'].entries()) {
      const table = `${scratch().schema}.batches_${i}`;
      const other = spark.createDataFrame([{ batch_id: 6, v: 'kept' }], 'batch_id INT, v STRING');
      await other.write.mode('append').jdbc(url, table, { user: pg.user });
      const batch = spark.createDataFrame([{ batch_id: 7, v: 'a' }, { batch_id: 7, v: 'b' }], 'batch_id INT, v STRING');
      // The batch written, then written again as after a crash before its commit was recorded.
      for (let run = 0; run < 2; run++) await batch.write.mode('append').option(key, 'batch_id = 7').jdbc(url, table, { user: pg.user });
      expect((await pgQuery(`SELECT batch_id, v FROM ${table} ORDER BY batch_id, v`)).rows, key).toEqual([
        { batch_id: 6, v: 'kept' },
        { batch_id: 7, v: 'a' },
        { batch_id: 7, v: 'b' },
      ]);
    }
  });
});
