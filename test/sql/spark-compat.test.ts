/**
 * Behaviour checked against Spark 3.5.1 (local, session time zone UTC, non-ANSI): each expected
 * value below is what Spark printed for the same query.
 */
import { describe, expect, it } from 'vitest';
import { functions as F, MemoryStream } from '../../src/sql/index.js';
import { AnalysisException } from '../../src/sql/errors.js';
import { session } from './helpers.js';

function trips() {
  const spark = session();
  spark
    .createDataFrame(
      [
        { StartTerminal: 7, StartStation: 'Paseo', Duration: 100 },
        { StartTerminal: 65, StartStation: 'Townsend at 7th', Duration: 200 },
        { StartTerminal: 7, StartStation: 'Paseo', Duration: 300 },
        { StartTerminal: null, StartStation: 'Nowhere', Duration: null },
      ],
      'StartTerminal INT, StartStation STRING, Duration INT',
    )
    .createOrReplaceTempView('trips');
  return spark;
}

function kv() {
  const spark = session();
  spark
    .createDataFrame(
      [
        { k: 'a', v: 1, d: 1.5, s: '10' },
        { k: 'b', v: null, d: null, s: '9' },
        { k: 'c', v: 3, d: 2.0, s: 'abc' },
        { k: 'd', v: 10, d: -0.5, s: ' 3 ' },
      ],
      'k STRING, v INT, d DOUBLE, s STRING',
    )
    .createOrReplaceTempView('t');
  return spark;
}

const rows = (df: { collect(): Record<string, unknown>[] }) => df.collect().map((r) => Object.values(r));

describe('names resolve case-insensitively (spark.sql.caseSensitive=false)', () => {
  const df = () => session().createDataFrame([{ location: 'NY', id: 1 }], 'location STRING, id INT');

  it('withColumn replaces the column it names, taking the new spelling; withColumnRenamed and drop match it', () => {
    expect(df().withColumn('ID', F.col('id').plus(1)).columns).toEqual(['location', 'ID']);
    expect(df().withColumn('ID', F.col('id').plus(1)).collect()).toEqual([{ location: 'NY', ID: 2 }]);
    expect(df().withColumnRenamed('ID', 'ident').columns).toEqual(['location', 'ident']);
    expect(df().drop('ID').columns).toEqual(['location']);
    expect(df().drop(F.col('LOCATION')).columns).toEqual(['id']);
  });

  it('temp views and memory-sink tables are found whatever the case of their name', async () => {
    const spark = session();
    spark.createDataFrame([{ location: 'NY', id: 1 }], 'location STRING, id INT').createOrReplaceTempView('Trips');
    expect(spark.sql('select count(*) from trips').collect()).toEqual([{ 'count(1)': 1 }]);
    expect(spark.sql('select count(*) from TRIPS').collect()).toEqual([{ 'count(1)': 1 }]);
    const input = new MemoryStream<{ location: string }>(spark);
    const query = input.toDF().groupBy('location').count().writeStream.format('memory').queryName('Demo').outputMode('complete').start();
    input.addData({ location: 'NY' });
    await query.processAllAvailable();
    expect(spark.sql('select * from demo').collect()).toEqual([{ location: 'NY', count: 1 }]);
    expect(spark.table('DEMO').count()).toBe(1);
    await query.stop();
  });
});

describe('type coercion of CASE WHEN and coalesce (findWiderCommonType)', () => {
  it('casts every branch to the common type: an int and a string give strings, an int and a double doubles', () => {
    const df = kv().sql("SELECT k, CASE WHEN v > 2 THEN 1 ELSE 'x' END a, coalesce(v, 0.5) c, coalesce(d, v) e FROM t");
    expect(df.schema.fields.map((f) => f.dataType.simpleString())).toEqual(['string', 'string', 'double', 'double']);
    expect(rows(df)).toEqual([
      ['a', 'x', 1, 1.5],
      ['b', 'x', 0.5, null],
      ['c', '1', 3, 2],
      ['d', '1', 10, -0.5],
    ]);
    // A double column shows 1.0, not 1.
    expect(df.select('c').showString().split('\n').slice(3, 6)).toEqual(['| 1.0|', '| 0.5|', '| 3.0|']);
  });

  it('when().otherwise() coerces the same way', () => {
    const df = session().createDataFrame([{ v: 1 }, { v: 5 }], 'v INT').select(F.when(F.col('v').gt(2), 1).otherwise('x').alias('w'));
    expect(df.schema.fields[0]!.dataType.simpleString()).toBe('string');
    expect(df.collect()).toEqual([{ w: 'x' }, { w: '1' }]);
  });

  it('types with no common type fail as Spark (DATA_DIFF_TYPES)', () => {
    const spark = kv();
    expect(() => spark.sql('SELECT CASE WHEN v > 2 THEN true ELSE 1 END FROM t')).toThrow(
      '[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve "CASE WHEN (v > 2) THEN true ELSE 1 END" due to data type mismatch: Input to `casewhen` should all be the same type, but it\'s ["BOOLEAN", "INT"].',
    );
    expect(() => spark.sql('SELECT coalesce(true, 1) FROM t')).toThrow(
      'Cannot resolve "coalesce(true, 1)" due to data type mismatch: Input to `coalesce` should all be the same type, but it\'s ("BOOLEAN" or "INT").',
    );
  });
});

describe('arithmetic as Spark non-ANSI', () => {
  it('int arithmetic wraps; abs keeps the type; unary minus reads a string as a double', () => {
    const spark = kv();
    const df = spark.sql("SELECT 2147483647 + 1 g, 2147483647 * 2 m, abs(-3) a, abs(-2147483648) b, -'abc' x, -'10' y, -(-2147483648) z");
    expect(df.schema.fields.map((f) => f.dataType.simpleString())).toEqual(['int', 'int', 'int', 'int', 'double', 'double', 'int']);
    expect(df.collect()).toEqual([{ g: -2147483648, m: -2, a: 3, b: -2147483648, x: null, y: -10, z: -2147483648 }]);
    expect(spark.sql("SELECT -'abc', -'10', abs(v) FROM t").columns).toEqual(['(- abc)', '(- 10)', 'abs(v)']);
  });
});

describe("generated column names as Spark's", () => {
  it('string literals appear bare; != is NOT (=); || is concat; SQL mean keeps its name', () => {
    const spark = session();
    const df = spark.createDataFrame([{ k: 'a', v: 1, s: 'x', b: true }], 'k STRING, v INT, s STRING, b BOOLEAN');
    expect(df.select(F.col('s').equalTo('x'), F.when(F.col('v').gt(0), 'pos').otherwise('neg'), F.concat(F.col('s'), F.lit('-'))).columns).toEqual([
      '(s = x)',
      'CASE WHEN (v > 0) THEN pos ELSE neg END',
      'concat(s, -)',
    ]);
    df.createOrReplaceTempView('t');
    expect(spark.sql("SELECT v != 2, v <> 2, s || 'x', s IN ('abc', 'x'), CASE v WHEN 1 THEN 'one' END FROM t").columns).toEqual([
      '(NOT (v = 2))',
      '(NOT (v = 2))',
      'concat(s, x)',
      '(s IN (abc, x))',
      'CASE WHEN (v = 1) THEN one END',
    ]);
    expect(spark.sql('SELECT mean(v), avg(v), MEAN(v), COUNT(v), Upper(k) FROM t GROUP BY k').columns).toEqual(['mean(v)', 'avg(v)', 'mean(v)', 'count(v)', 'upper(k)']);
    expect(df.groupBy('k').agg({ v: 'mean' }).columns).toEqual(['k', 'avg(v)']);
    expect(df.groupBy('k').mean('v').columns).toEqual(['k', 'avg(v)']);
  });

  it('an unknown function is an AnalysisException [UNRESOLVED_ROUTINE] with its position', () => {
    const df = session().createDataFrame([{ id: 1 }], 'id INT');
    expect(() => df.select(F.expr('nope(id)'))).toThrow(AnalysisException);
    expect(() => df.selectExpr('nope(id)')).toThrow(
      '[UNRESOLVED_ROUTINE] Cannot resolve function `nope` on search path [`system`.`builtin`, `system`.`session`, `spark_catalog`.`default`].; line 1 pos 0',
    );
    const spark = kv();
    expect(() => spark.sql('SELECT k FROM t WHERE nope(v) > 1')).toThrow(/Cannot resolve function `nope` .*; line 1 pos 22$/);
  });
});

describe('window() in a select', () => {
  const events = () =>
    session().createDataFrame(
      [
        { ts: '2017-01-01 10:03:00', w: 'a' },
        { ts: null, w: 'c' },
        { ts: '2017-01-01 10:07:30', w: 'b' },
      ],
      'ts TIMESTAMP, w STRING',
    );
  it('drops the rows whose time is NULL (tumbling and sliding)', () => {
    expect(events().select('w', F.window('ts', '10 minutes')).collect().map((r) => r.w)).toEqual(['a', 'b']);
    expect(events().select('w', F.window('ts', '10 minutes', '5 minutes')).collect().map((r) => r.w)).toEqual(['a', 'a', 'b', 'b']);
  });
  it('gives a row its sliding windows latest first, as Spark', () => {
    const starts = events()
      .select(F.window('ts', '10 minutes', '5 minutes').alias('win'))
      .collect()
      .map((r) => (r.win as { start: Date }).start.toISOString().slice(11, 16));
    expect(starts).toEqual(['10:00', '09:55', '10:05', '10:00']);
  });
});

describe('spark.sql forms', () => {
  it('table-qualified columns and table aliases', () => {
    const spark = trips();
    expect(rows(spark.sql('SELECT trips.StartTerminal, count(*) FROM trips GROUP BY trips.StartTerminal ORDER BY 1'))).toEqual([
      [null, 1],
      [7, 2],
      [65, 1],
    ]);
    expect(spark.sql('SELECT trips.StartTerminal, count(*) FROM trips GROUP BY trips.StartTerminal').columns).toEqual(['StartTerminal', 'count(1)']);
    expect(rows(spark.sql('SELECT t.StartStation FROM trips t WHERE t.Duration > 150'))).toEqual([['Townsend at 7th'], ['Paseo']]);
    expect(rows(spark.sql('SELECT x.* FROM trips AS x WHERE x.Duration = 100'))).toEqual([[7, 'Paseo', 100]]);
  });

  it('GROUP BY a select alias (an input column of that name wins)', () => {
    const spark = session();
    spark.createDataFrame([{ k: 'a', v: 1 }, { k: 'A', v: 2 }, { k: 'b', v: 5 }], 'k STRING, v INT').createOrReplaceTempView('t');
    expect(rows(spark.sql('SELECT upper(k) AS u, count(*) c FROM t GROUP BY u ORDER BY u'))).toEqual([['A', 2], ['B', 1]]);
    expect(rows(spark.sql('SELECT upper(k) AS k, count(*) c FROM t GROUP BY k ORDER BY k'))).toEqual([['A', 1], ['A', 1], ['B', 1]]);
  });

  it('ORDER BY an aggregate or a grouping expression, selected or not', () => {
    const spark = trips();
    expect(rows(spark.sql('SELECT StartTerminal, count(*) FROM trips GROUP BY StartTerminal ORDER BY count(*) DESC, 1'))).toEqual([
      [7, 2],
      [null, 1],
      [65, 1],
    ]);
    expect(rows(spark.sql('SELECT StartStation, max(Duration) m FROM trips GROUP BY StartStation ORDER BY max(Duration) DESC'))).toEqual([
      ['Paseo', 300],
      ['Townsend at 7th', 200],
      ['Nowhere', null],
    ]);
    expect(rows(spark.sql('SELECT max(Duration) FROM trips GROUP BY StartStation ORDER BY sum(Duration) DESC NULLS LAST'))).toEqual([[300], [200], [null]]);
    expect(rows(spark.sql('SELECT count(*) FROM trips GROUP BY upper(StartStation) ORDER BY upper(StartStation)'))).toEqual([[1], [2], [1]]);
  });

  it('NULLS FIRST / LAST, and the Column methods', () => {
    const spark = trips();
    expect(rows(spark.sql('SELECT StartStation, Duration FROM trips ORDER BY Duration DESC NULLS FIRST'))).toEqual([
      ['Nowhere', null],
      ['Paseo', 300],
      ['Townsend at 7th', 200],
      ['Paseo', 100],
    ]);
    expect(rows(spark.sql('SELECT Duration FROM trips ORDER BY Duration ASC NULLS LAST'))).toEqual([[100], [200], [300], [null]]);
    const df = spark.table('trips').select('Duration');
    expect(rows(df.orderBy(F.col('Duration').asc_nulls_last()))).toEqual([[100], [200], [300], [null]]);
    expect(rows(df.orderBy(F.col('Duration').desc_nulls_first()))).toEqual([[null], [300], [200], [100]]);
    expect(rows(df.orderBy(F.col('Duration').desc()))).toEqual([[300], [200], [100], [null]]);
  });

  it('-- and /* */ comments', () => {
    const spark = trips();
    expect(spark.sql('SELECT StartStation FROM trips -- comment').count()).toBe(4);
    expect(spark.sql('SELECT 1 /* c /* nested */ */ + 2 a -- trailing').collect()).toEqual([{ a: 3 }]);
  });

  it('LIKE, NOT LIKE, ILIKE, RLIKE / REGEXP, ESCAPE, and Column.like / rlike / ilike / isin', () => {
    const spark = session();
    const df = spark.createDataFrame([{ s: 'abc' }, { s: 'a_c%' }, { s: null }], 's STRING');
    df.createOrReplaceTempView('t');
    const q = spark.sql("SELECT s LIKE 'a%', s RLIKE '^a', s NOT LIKE 'a%', s ILIKE 'A%', s LIKE 'a#_c#%' ESCAPE '#', s REGEXP 'b', NOT s LIKE 'x' FROM t");
    expect(q.columns).toEqual(['s LIKE a%', 'RLIKE(s, ^a)', '(NOT s LIKE a%)', 'ilike(s, A%)', 's LIKE a#_c#%', 'RLIKE(s, b)', '(NOT s LIKE x)']);
    expect(rows(q)).toEqual([
      [true, true, false, true, false, true, true],
      [true, true, false, true, true, false, true],
      [null, null, null, null, null, null, null],
    ]);
    expect(rows(spark.sql("SELECT 'abc' LIKE 'a%' a, 'abc' RLIKE '^a' b, 'a\nb' LIKE 'a_b' c"))).toEqual([[true, true, true]]);
    const cols = df.select(F.col('s').like('a%'), F.col('s').rlike('c$'), F.col('s').ilike('A%'), F.col('s').isin('abc', 'x'), F.col('s').isin(['x']));
    expect(cols.columns).toEqual(['s LIKE a%', 'RLIKE(s, c$)', 'ilike(s, A%)', '(s IN (abc, x))', '(s IN (x))']);
    expect(rows(cols)[0]).toEqual([true, true, true, true, false]);
  });

  it('INTERVAL literals added to or subtracted from a timestamp or date', () => {
    const spark = session();
    spark.createDataFrame([{ ts: '2017-01-01 10:00:00' }, { ts: null }, { ts: '2017-01-31 00:00:00' }], 'ts TIMESTAMP').createOrReplaceTempView('t');
    const q = spark.sql("SELECT ts + INTERVAL 1 HOUR, ts - INTERVAL '2' DAY, ts + INTERVAL 1 MONTH, ts + INTERVAL 1 HOUR 30 MINUTES, CAST(ts AS DATE) + INTERVAL 1 DAY d FROM t");
    expect(q.columns).toEqual(["ts + INTERVAL '01' HOUR", "ts - INTERVAL '2' DAY", "ts + INTERVAL '1' MONTH", "ts + INTERVAL '01:30' HOUR TO MINUTE", 'd']);
    expect(q.schema.fields.map((f) => f.dataType.simpleString())).toEqual(['timestamp', 'timestamp', 'timestamp', 'timestamp', 'date']);
    const iso = (v: unknown) => (v === null ? null : (v as Date).toISOString().replace('.000Z', ''));
    expect(q.collect().map((r) => Object.values(r).map(iso))).toEqual([
      ['2017-01-01T11:00:00', '2016-12-30T10:00:00', '2017-02-01T10:00:00', '2017-01-01T11:30:00', '2017-01-02T00:00:00'],
      [null, null, null, null, null],
      ['2017-01-31T01:00:00', '2017-01-29T00:00:00', '2017-02-28T00:00:00', '2017-01-31T01:30:00', '2017-02-01T00:00:00'],
    ]);
    expect(rows(spark.sql("SELECT CAST('2017-11-04 10:00:00' AS TIMESTAMP) - INTERVAL 1 HOUR a"))).toEqual([[new Date('2017-11-04T09:00:00Z')]]);
    // A date plus whole days is Spark's date_add (so named); a string plus a day-time interval is a string.
    const dates = spark.sql("SELECT CAST(ts AS DATE) d FROM t WHERE ts IS NOT NULL");
    dates.createOrReplaceTempView('d');
    const q2 = spark.sql("SELECT d + INTERVAL 1 DAY, d - INTERVAL 1 DAY, d + INTERVAL 2 HOURS, '2017-01-01' - INTERVAL 1 DAY FROM d");
    expect(q2.columns).toEqual([
      "date_add(d, extractansiintervaldays(INTERVAL '1' DAY))",
      "date_add(d, (- extractansiintervaldays(INTERVAL '1' DAY)))",
      "d + INTERVAL '02' HOUR",
      "2017-01-01 - INTERVAL '1' DAY",
    ]);
    expect(q2.schema.fields.map((f) => f.dataType.simpleString())).toEqual(['date', 'date', 'timestamp', 'string']);
    expect(q2.collect()[0]!["2017-01-01 - INTERVAL '1' DAY"]).toBe('2016-12-31 00:00:00');
    expect(spark.sql('SELECT ts + INTERVAL 1.5 SECONDS FROM t').columns).toEqual(["ts + INTERVAL '01.5' SECOND"]);
  });
});
