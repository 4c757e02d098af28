/**
 * BIGINT (LongType) is exact over all 64 bits, as Spark's: a value is a number while it is a safe
 * integer and a bigint past 2^53 (one form per value), and arithmetic wraps as a Java long.
 * Spark 3.5 gives the expected values (tweet ids of 19 digits, as seed 000 casts `as long`).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStream, functions as F } from '../../src/sql/index.js';
import { writeParquet } from '../../src/sql/parquet.js';
import { showString } from '../../src/sql/show.js';
import { pgQuery, resolvePg, useScratchSchema } from '../helpers/postgres.js';
import { session, tempDir } from './helpers.js';

const scratch = useScratchSchema('dstreams_bigint');

/** One row's values of `SELECT <exprs>` (over a one-row view). */
function select(...exprs: string[]): unknown[] {
  const spark = session();
  spark.createDataFrame([{ one: 1 }], 'one INT').createOrReplaceTempView('o');
  const df = spark.sql(`SELECT ${exprs.map((e, i) => `${e} AS c${i}`).join(', ')} FROM o`);
  const row = df.collect()[0]!;
  return exprs.map((_e, i) => row[`c${i}`]);
}

const ID1 = '1234567890123456789';
const ID2 = '1234567890123456790';

describe('BIGINT past 2^53', () => {
  it('a string cast to BIGINT keeps every digit; two ids that differ in the last one differ', () => {
    expect(select(`CAST('${ID1}' AS BIGINT)`, `CAST('${ID1}' AS BIGINT) = CAST('${ID2}' AS BIGINT)`, `CAST('${ID1}' AS BIGINT) < CAST('${ID2}' AS BIGINT)`)).toEqual([
      1234567890123456789n,
      false,
      true,
    ]);
    // Within 2^53 a BIGINT is a number, as before.
    expect(select("CAST('9007199254740991' AS BIGINT)", "CAST('-42' AS BIGINT)")).toEqual([9007199254740991, -42]);
    expect(select("CAST('9223372036854775807' AS BIGINT)", "CAST('-9223372036854775808' AS BIGINT)", "CAST('9223372036854775808' AS BIGINT)")).toEqual([
      9223372036854775807n,
      -9223372036854775808n,
      null,
    ]);
  });

  it('casts from BIGINT: to STRING and JSON all the digits, to DOUBLE the nearest double, to INT the low 32 bits', () => {
    expect(select(`CAST(CAST('${ID1}' AS BIGINT) AS STRING)`, `CAST(CAST('${ID1}' AS BIGINT) AS DOUBLE)`, `CAST(CAST('${ID1}' AS BIGINT) AS INT)`)).toEqual([
      ID1,
      1234567890123456800,
      2112454933,
    ]);
    // A double past 2^53 to BIGINT: its exact integer (Java's (long)); past 2^63 the end of the range.
    expect(select('CAST(1e18 AS BIGINT)', 'CAST(1e30 AS BIGINT)', 'CAST(-1e30 AS BIGINT)')).toEqual([
      1000000000000000000n,
      9223372036854775807n,
      -9223372036854775808n,
    ]);
  });

  it('arithmetic is exact and wraps as a Java long; a BIGINT against a DOUBLE compares as a double', () => {
    expect(
      select(
        'CAST(9007199254740991 AS BIGINT) + 2',
        `CAST('${ID1}' AS BIGINT) - 1`,
        'CAST(3037000500 AS BIGINT) * 3037000500',
        "CAST('9223372036854775807' AS BIGINT) + 1",
        `- CAST('${ID1}' AS BIGINT)`,
        "- CAST('-9223372036854775808' AS BIGINT)",
        `CAST('${ID1}' AS BIGINT) % 1000`,
        `CAST('${ID1}' AS BIGINT) / 2`,
        `CAST('${ID1}' AS BIGINT) + 0.5`,
        "CAST('9007199254740993' AS BIGINT) = 9007199254740992.0",
        "CAST('9007199254740993' AS BIGINT) = CAST('9007199254740992' AS BIGINT)",
      ),
    ).toEqual([
      9007199254740993n,
      1234567890123456788n,
      -9223372036709301616n, // 3037000500² = 2^63 + 145224192: wraps
      -9223372036854775808n,
      -1234567890123456789n,
      -9223372036854775808n,
      789,
      617283945061728400,
      1234567890123456800,
      true,
      false,
    ]);
    expect(select(`floor(CAST('${ID1}' AS BIGINT))`, `round(CAST('${ID1}' AS BIGINT))`, `round(CAST('${ID1}' AS BIGINT), -2)`, 'floor(1e18)')).toEqual([
      1234567890123456789n,
      1234567890123456789n,
      1234567890123456800n,
      1000000000000000000n,
    ]);
  });

  it('distinct, groupBy, join, ordering and min/max keep ids that differ past 2^53 apart', () => {
    const spark = session();
    const ids = [ID1, ID2, ID1, '5'];
    const df = spark.createDataFrame(ids.map((id, i) => ({ i, id })), 'i INT, id STRING').selectExpr('i', 'CAST(id AS BIGINT) id');
    df.createOrReplaceTempView('t');
    expect(spark.sql('SELECT count(DISTINCT id) n, min(id) lo, max(id) hi FROM t').collect()).toEqual([{ n: 3, lo: 5, hi: 1234567890123456790n }]);
    const groups = df.groupBy('id').count().collect();
    expect(groups.map((r) => [r.id, r.count]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1))).toEqual([
      [1234567890123456789n, 2],
      [1234567890123456790n, 1],
      [5, 1],
    ]);
    // Grouped with another column (a composite key).
    expect(df.groupBy('id', F.lit(1).alias('k')).count().collect()).toHaveLength(3);
    expect(df.select('id').distinct().collect()).toHaveLength(3);
    const names = spark.createDataFrame([{ id: ID1, name: 'a' }, { id: ID2, name: 'b' }], 'id STRING, name STRING').selectExpr('CAST(id AS BIGINT) id', 'name');
    const joined = df.join(names, 'id').orderBy('i').collect();
    expect(joined.map((r) => [r.i, r.name])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'a'],
    ]);
    expect(df.orderBy(F.col('id').desc(), 'i').collect().map((r) => r.i)).toEqual([1, 0, 2, 3]);
  });

  it('sum of BIGINT is exact (wrapping as a Java long); avg is a double', () => {
    const spark = session();
    const df = spark.createDataFrame([{ v: 9007199254740991 }, { v: 7 }], 'v LONG');
    expect(df.agg(F.sum('v').alias('s'), F.avg('v').alias('a')).collect()).toEqual([{ s: 9007199254740998n, a: 4503599627370499 }]);
    const big = spark.createDataFrame([{ s: '9223372036854775807' }, { s: '1' }], 's STRING').selectExpr('CAST(s AS BIGINT) v');
    expect(big.agg(F.sum('v').alias('s')).collect()).toEqual([{ s: -9223372036854775808n }]);
    // Back under 2^53 the sum is a number again (one form per value).
    const back = spark.createDataFrame([{ s: ID1 }, { s: `-${ID1}` }, { s: '3' }], 's STRING').selectExpr('CAST(s AS BIGINT) v');
    expect(back.agg(F.sum('v').alias('s')).collect()).toEqual([{ s: 3 }]);
  });

  it('from_json and the JSON reader keep a BIGINT field exact; show() and the JSON output print its digits', () => {
    const spark = session();
    const parsed = spark
      .createDataFrame([{ j: '{"id": 928374651029384757, "n": 12}' }], 'j STRING')
      .select(F.from_json(F.col('j'), 'id BIGINT, n BIGINT').alias('r'));
    expect(parsed.select(F.to_json(F.col('r')).alias('j')).collect()).toEqual([{ j: '{"id":928374651029384757,"n":12}' }]);
    const df = parsed.select('r.id', 'r.n');
    expect(df.collect()).toEqual([{ id: 928374651029384757n, n: 12 }]);
    expect(showString(df.schema, df.collect())).toContain('|928374651029384757| 12|');
  });

  it('a streaming count of distinct 19-digit ids (seed 000: cast(id as long)) counts each id', async () => {
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const counts = input.toDF().selectExpr('CAST(value AS LONG) id').groupBy('id').count();
    const q = await counts.writeStream.format('memory').queryName('bigint_counts').outputMode('complete').option('checkpointLocation', tempDir()).start();
    input.addData(ID1, ID2, ID1);
    await q.processAllAvailable();
    const rows = spark.sql('SELECT id, count FROM bigint_counts ORDER BY id').collect();
    expect(rows).toEqual([
      { id: 1234567890123456789n, count: 2 },
      { id: 1234567890123456790n, count: 1 },
    ]);
    await q.stop();
  });

  it('SQL literals, abs(), toJSON(), parquet and partition folders keep a BIGINT past 2^53 exact', async () => {
    expect(select('9007199254740993', '-9223372036854775808', `abs(CAST('-${ID1}' AS BIGINT))`, '99999999999999999999')).toEqual([
      9007199254740993n,
      -9223372036854775808n,
      1234567890123456789n,
      1e20, // past a long: Spark's DECIMAL(20,0), a double here
    ]);
    const spark = session();
    const df = spark.createDataFrame([{ id: 1234567890123456789n, n: 1 }], 'id BIGINT, n INT');
    expect(df.toJSON()).toEqual(['{"id":1234567890123456789,"n":1}']);
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const out = tempDir();
    writeFileSync(`${out}/part-0.parquet`, writeParquet(df.collect(), df.schema)); // as the parquet sink writes a batch
    expect((await spark.read.parquet(out)).collect()).toEqual([{ id: 1234567890123456789n, n: 1 }]);
    const parts = tempDir();
    mkdirSync(`${parts}/id=${ID2}`);
    writeFileSync(`${parts}/id=${ID2}/a.json`, '{"n": 2}\n');
    expect((await spark.read.schema('n INT').json(parts)).collect()).toEqual([{ n: 2, id: 1234567890123456790n }]);
  });

  it('the PostgreSQL sink writes a BIGINT past 2^53 into a bigint column exactly', async () => {
    const pg = await resolvePg();
    const url = `jdbc:postgresql://${pg.host}:${pg.port}/${pg.database}`;
    const table = `${scratch().schema}.tweets`;
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const q = await input
      .toDF()
      .selectExpr('CAST(value AS LONG) id')
      .writeStream.format('postgres')
      .options({ url, user: pg.user, dbtable: table, checkpointLocation: tempDir() })
      .start();
    input.addData(ID1, '42', '-9223372036854775808');
    await q.processAllAvailable();
    await q.stop();
    const rows = (await pgQuery(`SELECT id::text AS txt, pg_typeof(id)::text AS t FROM ${table} ORDER BY id`)).rows;
    expect(rows).toEqual([
      { txt: '-9223372036854775808', t: 'bigint' },
      { txt: '42', t: 'bigint' },
      { txt: ID1, t: 'bigint' },
    ]);
  });
});
