/** The postgres sink and df.write.jdbc on the real PostgreSQL (never a mock). */
import { describe, expect, it } from 'vitest';
import { MemoryStream, functions as F } from '../../src/sql/index.js';
import { StructuredPostgresSink } from '../../src/sql/sinks/postgres.js';
import { pgQuery, resolvePg, useScratchSchema } from '../helpers/postgres.js';
import { session, tempDir } from './helpers.js';

const scratch = useScratchSchema('dstreams_sql');

async function jdbcUrl(): Promise<{ url: string; user: string }> {
  const pg = await resolvePg();
  return { url: `jdbc:postgresql://${pg.host}:${pg.port}/${pg.database}`, user: pg.user };
}

describe('postgres sink', () => {
  it('update mode upserts the changed groups; a re-run batch id is skipped (exactly once)', async () => {
    const { url, user } = await jdbcUrl();
    const table = `${scratch().schema}.counts`;
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const counts = input.toDF().groupBy('value').count();
    const q = await counts.writeStream
      .format('postgres')
      .outputMode('update')
      .option('url', url)
      .option('user', user)
      .option('dbtable', table)
      .option('checkpointLocation', tempDir())
      .start();
    input.addData('a', 'b', 'a');
    await q.processAllAvailable();
    input.addData('a', 'c');
    await q.processAllAvailable();
    const rows = (await pgQuery(`SELECT value, count FROM ${table} ORDER BY value`)).rows;
    expect(rows).toEqual([
      { value: 'a', count: '3' },
      { value: 'b', count: '1' },
      { value: 'c', count: '1' },
    ]);
    // The same batch id again (a re-run after a crash) writes nothing.
    const sink = new StructuredPostgresSink({ url, user, dbtable: table }, counts.schema, 'update', ['value'], q.id);
    await sink.open();
    await sink.addBatch({ batchId: 1, rows: [{ value: 'a', count: 99 }], schema: counts.schema, mode: 'update' });
    await sink.close();
    expect((await pgQuery(`SELECT count FROM ${table} WHERE value = 'a'`)).rows).toEqual([{ count: '3' }]);
  });

  it('complete mode replaces the table each batch', async () => {
    const { url, user } = await jdbcUrl();
    const table = `${scratch().schema}.complete_counts`;
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const q = await input
      .toDF()
      .groupBy('value')
      .agg(F.count('*').alias('n'))
      .writeStream.format('postgres')
      .outputMode('complete')
      .options({ url, user, dbtable: table, checkpointLocation: tempDir() })
      .start();
    input.addData('x', 'y');
    await q.processAllAvailable();
    input.addData('x');
    await q.processAllAvailable();
    expect((await pgQuery(`SELECT value, n FROM ${table} ORDER BY value`)).rows).toEqual([
      { value: 'x', n: '2' },
      { value: 'y', n: '1' },
    ]);
  });

  it("df.write.mode('overwrite' | 'append').jdbc(url, table, props), as the seeds export a batch", async () => {
    const { url, user } = await jdbcUrl();
    const table = `${scratch().schema}.speed_layer`;
    const spark = session();
    const df = spark.createDataFrame([{ location: 'Paris', n: 2, at: new Date(Date.UTC(2017, 10, 11)) }], 'location STRING, n LONG, at TIMESTAMP');
    await df.write.mode('overwrite').jdbc(url, table, { user });
    await df.write.mode('append').jdbc(url, table, { user });
    await df.write.mode('overwrite').jdbc(url, table, { user });
    const rows = (await pgQuery(`SELECT location, n, at FROM ${table}`)).rows;
    expect(rows).toEqual([{ location: 'Paris', n: '2', at: new Date(Date.UTC(2017, 10, 11)) }]);
    await expect(df.write.jdbc(url, table, { user })).rejects.toThrow(/already exists/);
  });

  it('a DATE is written as its day whatever the time zone of the process (west of UTC it was written a day early)', async () => {
    const { url, user } = await jdbcUrl();
    const table = `${scratch().schema}.dates`;
    const tz = process.env.TZ;
    process.env.TZ = 'America/Los_Angeles';
    try {
      const spark = session();
      const input = new MemoryStream<string>(spark, 'string');
      const q = await input
        .toDF()
        .selectExpr('value', 'cast(value as date) as d')
        .writeStream.format('postgres')
        .options({ url, user, dbtable: table, checkpointLocation: tempDir() })
        .start();
      input.addData('2024-03-10', '2000-01-01');
      await q.processAllAvailable();
      await q.stop();
      const jdbcTable = `${scratch().schema}.dates_jdbc`;
      const df = spark.createDataFrame([{ d: new Date(Date.UTC(2024, 2, 10)) }], 'd DATE');
      await df.write.jdbc(url, jdbcTable, { user });
      expect((await pgQuery(`SELECT value, d::text AS d FROM ${table} ORDER BY value`)).rows).toEqual([
        { value: '2000-01-01', d: '2000-01-01' },
        { value: '2024-03-10', d: '2024-03-10' },
      ]);
      expect((await pgQuery(`SELECT d::text AS d FROM ${jdbcTable}`)).rows).toEqual([{ d: '2024-03-10' }]);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('a query on a new checkpointLocation writes its batches, though the batch ids were claimed by an earlier query on the table', async () => {
    const { url, user } = await jdbcUrl();
    const table = `${scratch().schema}.appended`;
    const run = async (values: string[]): Promise<void> => {
      const spark = session();
      const input = new MemoryStream<string>(spark, 'string');
      const q = await input.toDF().writeStream.format('postgres').options({ url, user, dbtable: table, checkpointLocation: tempDir() }).start();
      input.addData(...values);
      await q.processAllAvailable();
      await q.stop();
    };
    await run(['a', 'b']);
    await run(['c', 'd']);
    expect((await pgQuery(`SELECT value FROM ${table} ORDER BY value`)).rows.map((r) => r.value)).toEqual(['a', 'b', 'c', 'd']);
  });
});
