/**
 * Spark's date and time functions (to_date, year … second, last_day, next_day, date_add/date_sub,
 * datediff, add_months, months_between, unix_timestamp, to_unix_timestamp, from_unixtime,
 * date_trunc, trunc) with Spark 3.5's semantics, ANSI off, session time zone UTC. Quoted values are
 * the examples of Spark's SQL function reference (`> SELECT …` in datetimeExpressions.scala) and of
 * its sql-tests (date.sql.out); the others follow DateTimeUtils' rules, as each test says.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStream, functions as F } from '../../src/sql/index.js';
import { typedString } from '../../src/sql/values.js';
import { session } from './helpers.js';

/** One row of `exprs` over a one-row table: values as Spark prints them (a DATE `2016-12-31`, a TIMESTAMP `2015-03-05 09:32:05.123`). */
function one(...exprs: string[]): { columns: string[]; values: unknown[]; types: string[] } {
  const df = session().createDataFrame([{ x: 1 }], 'x INT').selectExpr(...exprs);
  const [row] = df.collect();
  const values = df.columns.map((c, i) => {
    const v = row![c];
    return v instanceof Date ? typedString(v, df.schema.fields[i]!.dataType) : v;
  });
  return { columns: df.columns, values, types: df.schema.fields.map((f) => f.dataType.simpleString()) };
}

describe('to_date', () => {
  it("casts text to a date and parses with a pattern (doc: to_date('2009-07-30 04:17:52') → 2009-07-30, to_date('2016-12-31', 'yyyy-MM-dd') → 2016-12-31)", () => {
    const r = one("to_date('2009-07-30 04:17:52')", "to_date('2016-12-31', 'yyyy-MM-dd')", "to_date('16', 'dd')", 'to_date(NULL)');
    expect(r.columns).toEqual(['to_date(2009-07-30 04:17:52)', 'to_date(2016-12-31, yyyy-MM-dd)', 'to_date(16, dd)', 'to_date(NULL)']);
    // date.sql.out: to_date("16", "dd") → 1970-01-16.
    expect(r.values).toEqual(['2009-07-30', '2016-12-31', '1970-01-16', null]);
    expect(r.types).toEqual(['date', 'date', 'date', 'date']);
  });

  it("gives null for a malformed string, a day the calendar lacks and text the pattern does not match (date.sql.out: to_date('02-29', 'MM-dd') → NULL)", () => {
    const r = one("to_date('soon')", "to_date('2023-02-29')", "to_date('2024-13-01')", "to_date('02-29', 'MM-dd')", "to_date('2016/12/31', 'yyyy-MM-dd')");
    expect(r.values).toEqual([null, null, null, null, null]);
  });

  it("of a timestamp is the timestamp's day, whatever the pattern", () => {
    const r = one("to_date(CAST('2024-03-01 23:59:59' AS TIMESTAMP)) AS a", "to_date(CAST('2024-03-01 23:59:59' AS TIMESTAMP), 'yyyy') AS b");
    expect(r.values).toEqual(['2024-03-01', '2024-03-01']);
  });
});

describe('date fields', () => {
  it("year, quarter, month, dayofmonth, day, dayofyear (doc: year('2016-07-30') → 2016, quarter('2016-08-31') → 3, month('2016-07-30') → 7, dayofmonth('2009-07-30') → 30, dayofyear('2016-04-09') → 100)", () => {
    const spark = session();
    spark.createDataFrame([{ s: '2016-07-30' }], 's STRING').createOrReplaceTempView('t');
    const df = spark.sql("SELECT year(s), quarter('2016-08-31'), month(s), dayofmonth('2009-07-30'), day('2009-07-30'), dayofyear('2016-04-09') FROM t");
    expect(df.columns).toEqual(['year(s)', 'quarter(2016-08-31)', 'month(s)', 'dayofmonth(2009-07-30)', 'day(2009-07-30)', 'dayofyear(2016-04-09)']);
    expect(df.schema.fields.map((f) => f.dataType.simpleString())).toEqual(['int', 'int', 'int', 'int', 'int', 'int']);
    expect(Object.values(df.collect()[0]!)).toEqual([2016, 3, 7, 30, 30, 100]);
  });

  it("dayofweek is 1 for Sunday … 7 for Saturday (doc: dayofweek('2009-07-30') → 5; date.sql.out: '2007-02-03' → 7, '1582-10-15 13:10:15' → 6)", () => {
    const r = one("dayofweek('2009-07-30') AS a", "dayofweek('2007-02-03') AS b", "dayofweek('1582-10-15 13:10:15') AS c", "dayofweek('2024-03-03') AS sunday", "dayofweek('1969-12-28') AS before");
    expect(r.values).toEqual([5, 7, 6, 1, 1]);
  });

  it("weekofyear is the ISO week (doc: weekofyear('2008-02-20') → 8): early January can be week 52 or 53, late December week 1", () => {
    const r = one("weekofyear('2008-02-20') AS a", "weekofyear('2021-01-01') AS b", "weekofyear('2023-01-01') AS c", "weekofyear('2024-12-30') AS d", "weekofyear('2026-01-01') AS e");
    expect(r.values).toEqual([8, 53, 52, 1, 1]);
  });

  it("dayofyear counts February 29 in a leap year", () => {
    const r = one("dayofyear('2024-12-31') AS leap", "dayofyear('2023-12-31') AS common", "dayofyear('2000-03-01') AS y2000", "dayofyear('1900-03-01') AS y1900");
    expect(r.values).toEqual([366, 365, 61, 60]);
  });

  it("hour, minute, second of text or a timestamp (doc: '2009-07-30 12:58:59' → 12, 58, 59); of a date 0; before the epoch", () => {
    const r = one(
      "hour('2009-07-30 12:58:59')",
      "minute('2009-07-30 12:58:59')",
      "second('2009-07-30 12:58:59')",
      "hour(CAST('2009-07-30' AS DATE)) AS d",
      "hour('1969-12-31 23:30:15') AS h0",
      "minute('1969-12-31 23:30:15') AS m0",
      "second('1969-12-31 23:30:15.999') AS s0",
    );
    expect(r.columns.slice(0, 3)).toEqual(['hour(2009-07-30 12:58:59)', 'minute(2009-07-30 12:58:59)', 'second(2009-07-30 12:58:59)']);
    expect(r.values).toEqual([12, 58, 59, 0, 23, 30, 15]);
    expect(r.types).toEqual(Array(7).fill('int'));
  });

  it('reads a time with an offset in the session time zone (UTC); CAST to DATE keeps the written day', () => {
    // 23:30 at -02:00 is 01:30 UTC the next day. year/dayofmonth cast the text to DATE, which
    // (Spark's stringToDate) reads only the date part.
    const ts = "'2024-02-29T23:30:00-02:00'";
    const r = one(`hour(${ts}) AS h`, `dayofmonth(${ts}) AS d`, `to_date(to_timestamp(${ts})) AS next`, `dayofmonth(to_timestamp(${ts})) AS dn`);
    expect(r.values).toEqual([1, 29, '2024-03-01', 1]);
  });
});

describe('last_day and next_day', () => {
  it("last_day (doc: last_day('2009-01-12') → 2009-01-31) knows leap years", () => {
    const r = one("last_day('2009-01-12') AS a", "last_day('2024-02-10') AS b", "last_day('2023-02-10') AS c", "last_day('2000-02-01') AS d", "last_day('1900-02-01') AS e", "last_day(CAST('2024-12-31 10:00:00' AS TIMESTAMP)) AS f");
    expect(r.values).toEqual(['2009-01-31', '2024-02-29', '2023-02-28', '2000-02-29', '1900-02-28', '2024-12-31']);
    expect(r.types[0]).toBe('date');
  });

  it("next_day (doc: next_day('2015-01-14', 'TU') → 2015-01-20; date.sql.out: next_day('2015-07-23', 'Mon') → 2015-07-27, 'xx' → NULL)", () => {
    const r = one(
      "next_day('2015-01-14', 'TU')",
      "next_day('2015-07-23', 'Mon')",
      "next_day('2015-07-23', 'xx')",
      "next_day('2015-07-23 12:12:12', 'Mon') AS ts",
      "next_day('2015-07-27', 'monday') AS same",
      "next_day('xx', 'Mon') AS bad",
    );
    expect(r.columns.slice(0, 3)).toEqual(['next_day(2015-01-14, TU)', 'next_day(2015-07-23, Mon)', 'next_day(2015-07-23, xx)']);
    expect(r.values).toEqual(['2015-01-20', '2015-07-27', null, '2015-07-27', '2015-08-03', null]);
  });
});

describe('date arithmetic', () => {
  it("date_add and date_sub (doc: date_add('2016-07-30', 1) → 2016-07-31, date_sub('2016-07-30', 1) → 2016-07-29) across a leap day", () => {
    const r = one(
      "date_add('2016-07-30', 1)",
      "date_sub('2016-07-30', 1)",
      "date_add('2024-02-28', 1) AS leap",
      "date_sub('2024-03-01', 1) AS back",
      "date_add('2024-01-01', -1) AS neg",
      "date_add(CAST('2011-11-11 12:12:12' AS TIMESTAMP), 1) AS ts",
      "date_add('2011-11-11', '1') AS text",
    );
    expect(r.columns.slice(0, 2)).toEqual(['date_add(2016-07-30, 1)', 'date_sub(2016-07-30, 1)']);
    expect(r.values).toEqual(['2016-07-31', '2016-07-29', '2024-02-29', '2024-02-29', '2023-12-31', '2011-11-12', '2011-11-12']);
    expect(r.types[0]).toBe('date');
  });

  it("date_add refuses a BIGINT or DOUBLE day count and a string that is no integer (date.sql.out)", () => {
    expect(() => one('date_add(\'2011-11-11\', 3000000000)')).toThrow(
      /\[DATATYPE_MISMATCH\.UNEXPECTED_INPUT_TYPE\] Cannot resolve "date_add\(2011-11-11, 3000000000\)" due to data type mismatch: Parameter 2 requires the \("INT" or "SMALLINT" or "TINYINT"\) type, however "3000000000" has the type "BIGINT"\./,
    );
    expect(() => one("date_sub('2011-11-11', 1.5)")).toThrow(/UNEXPECTED_INPUT_TYPE.*"DOUBLE"/);
    expect(() => one("date_add('2011-11-11', '1.2')")).toThrow('[SECOND_FUNCTION_ARGUMENT_NOT_INTEGER] The second argument of `date_add` function needs to be an integer.');
  });

  it("datediff (doc: datediff('2009-07-31', '2009-07-30') → 1, datediff('2009-07-30', '2009-07-31') → -1) counts days, a leap year's 366", () => {
    const r = one("datediff('2009-07-31', '2009-07-30')", "datediff('2009-07-30', '2009-07-31')", "datediff('2024-03-01', '2023-03-01') AS leap", "datediff('2024-03-01 23:59:59', '2024-03-01 00:00:00') AS same");
    expect(r.columns.slice(0, 2)).toEqual(['datediff(2009-07-31, 2009-07-30)', 'datediff(2009-07-30, 2009-07-31)']);
    expect(r.values).toEqual([1, -1, 366, 0]);
    expect(r.types[0]).toBe('int');
  });

  it("add_months (doc: add_months('2016-08-31', 1) → 2016-09-30) keeps the day of month, clamped to a shorter month", () => {
    const r = one(
      "add_months('2016-08-31', 1)",
      "add_months('2024-01-31', 1) AS leap",
      "add_months('2023-01-31', 1) AS common",
      // Spark 3 no longer moves a month's last day to the last day: 2019-02-28 + 1 month is 2019-03-28.
      "add_months('2019-02-28', 1) AS not_end",
      "add_months('2024-02-29', 12) AS year",
      "add_months('2024-03-31', -1) AS back",
      "add_months('2024-01-15', '2') AS text",
      "add_months('2024-01-15', 'x') AS bad",
    );
    expect(r.columns[0]).toBe('add_months(2016-08-31, 1)');
    expect(r.values).toEqual(['2016-09-30', '2024-02-29', '2023-02-28', '2019-03-28', '2025-02-28', '2024-02-29', '2024-03-15', null]);
  });

  it("months_between (doc: months_between('1997-02-28 10:30:00', '1996-10-30') → 3.94959677, with false → 3.9495967741935485)", () => {
    const r = one("months_between('1997-02-28 10:30:00', '1996-10-30')", "months_between('1997-02-28 10:30:00', '1996-10-30', false)");
    expect(r.columns).toEqual(['months_between(1997-02-28 10:30:00, 1996-10-30, true)', 'months_between(1997-02-28 10:30:00, 1996-10-30, false)']);
    expect(r.values).toEqual([3.94959677, 3.9495967741935485]);
    expect(r.types).toEqual(['double', 'double']);
  });

  it('months_between gives whole months for the same day of month or two month ends (the time ignored), else 31-day months', () => {
    const r = one(
      "months_between('2024-03-31', '2024-02-29') AS ends",
      "months_between('2024-03-15 10:00:00', '2024-01-15 23:00:00') AS same_day",
      "months_between('2024-01-01', '2024-03-01') AS negative",
      "months_between('2024-03-30', '2024-02-29') AS not_end",
      "months_between(CAST('2024-03-30' AS DATE), NULL) AS none",
    );
    expect(r.values).toEqual([1, 2, -2, 1.03225806, null]);
  });
});

describe('Unix time', () => {
  it("unix_timestamp parses text with the pattern (doc: unix_timestamp('2016-04-08', 'yyyy-MM-dd') → 1460041200 in the docs' +09:00 zone, 1460073600 in UTC)", () => {
    const r = one(
      "unix_timestamp('2016-04-08', 'yyyy-MM-dd')",
      "to_unix_timestamp('2016-04-08', 'yyyy-MM-dd')",
      "unix_timestamp('2016-04-08 10:00:00')",
      "unix_timestamp('2016-04-08') AS short",
      "unix_timestamp('soon', 'yyyy-MM-dd') AS bad",
    );
    expect(r.columns.slice(0, 3)).toEqual(['unix_timestamp(2016-04-08, yyyy-MM-dd)', 'to_unix_timestamp(2016-04-08, yyyy-MM-dd)', 'unix_timestamp(2016-04-08 10:00:00, yyyy-MM-dd HH:mm:ss)']);
    // The default pattern is yyyy-MM-dd HH:mm:ss: a date alone does not match it.
    expect(r.values).toEqual([1460073600, 1460073600, 1460109600, null, null]);
    expect(r.types[0]).toBe('bigint');
  });

  it("of a date is its midnight, of a timestamp its seconds truncated toward zero, before the epoch too", () => {
    const r = one(
      "unix_timestamp(CAST('1969-12-31' AS DATE)) AS d",
      "unix_timestamp(CAST('1969-12-31 23:59:58.5' AS TIMESTAMP)) AS ts",
      // Spark divides microseconds by 1000000 (Java's /): -0.5 s is 0, not -1.
      "unix_timestamp(CAST('1969-12-31 23:59:59.5' AS TIMESTAMP)) AS half",
      'unix_timestamp(NULL) AS none',
    );
    expect(r.values).toEqual([-86400, -1, 0, null]);
    expect(Object.is(r.values[2], 0)).toBe(true);
  });

  it("unix_timestamp() is the query's current timestamp, as current_timestamp()", () => {
    const df = session().createDataFrame([{ x: 1 }, { x: 2 }], 'x INT').selectExpr('unix_timestamp()', 'current_timestamp() AS now');
    expect(df.columns[0]).toBe('unix_timestamp(current_timestamp(), yyyy-MM-dd HH:mm:ss)');
    const rows = df.collect();
    for (const row of rows) expect(row['unix_timestamp(current_timestamp(), yyyy-MM-dd HH:mm:ss)']).toBe(Math.floor((row.now as Date).getTime() / 1000));
  });

  it("from_unixtime (doc: from_unixtime(0, 'yyyy-MM-dd HH:mm:ss') → 1970-01-01 00:00:00 in UTC) with the default pattern, negative seconds, text", () => {
    const r = one("from_unixtime(0, 'yyyy-MM-dd HH:mm:ss')", 'from_unixtime(-1)', "from_unixtime(1460073600, 'yyyy/MM/dd') AS slash", "from_unixtime('86400') AS text", 'from_unixtime(1.9) AS fraction', 'from_unixtime(NULL) AS none');
    expect(r.columns.slice(0, 2)).toEqual(['from_unixtime(0, yyyy-MM-dd HH:mm:ss)', 'from_unixtime(-1, yyyy-MM-dd HH:mm:ss)']);
    expect(r.values).toEqual(['1970-01-01 00:00:00', '1969-12-31 23:59:59', '2016/04/08', '1970-01-02 00:00:00', '1970-01-01 00:00:01', null]);
    expect(r.types[0]).toBe('string');
  });

  it('unix_timestamp of a number fails at analysis, as Spark (it takes a string, a date or a timestamp)', () => {
    expect(() => one('unix_timestamp(1)')).toThrow(
      '[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "unix_timestamp(1, yyyy-MM-dd HH:mm:ss)" due to data type mismatch: Parameter 1 requires the ("STRING" or "DATE" or "TIMESTAMP" or "TIMESTAMP_NTZ") type, however "1" has the type "INT".',
    );
  });
});

describe('truncation', () => {
  it("date_trunc (doc: 'YEAR', 'MM', 'DD', 'HOUR' of '2015-03-05T09:32:05.359'; 'MILLISECOND' of '2015-03-05T09:32:05.123456' → 2015-03-05 09:32:05.123)", () => {
    const t = "'2015-03-05T09:32:05.359'";
    const r = one(`date_trunc('YEAR', ${t})`, `date_trunc('MM', ${t})`, `date_trunc('DD', ${t})`, `date_trunc('HOUR', ${t})`, "date_trunc('MILLISECOND', '2015-03-05T09:32:05.123456')");
    expect(r.columns[0]).toBe('date_trunc(YEAR, 2015-03-05T09:32:05.359)');
    expect(r.values).toEqual(['2015-01-01 00:00:00', '2015-03-01 00:00:00', '2015-03-05 00:00:00', '2015-03-05 09:00:00', '2015-03-05 09:32:05.123']);
    expect(r.types).toEqual(Array(5).fill('timestamp'));
  });

  it('date_trunc to a week (Monday), quarter, minute, second, before the epoch; an unknown unit gives null', () => {
    const t = "'2015-03-05 09:32:05.359'"; // a Thursday
    const r = one(
      `date_trunc('week', ${t}) AS w`,
      `date_trunc('quarter', ${t}) AS q`,
      `date_trunc('minute', ${t}) AS mi`,
      `date_trunc('second', ${t}) AS s`,
      "date_trunc('hour', '1969-12-31 23:30:00') AS before",
      `date_trunc('decade', ${t}) AS decade`,
      "date_trunc('day', CAST('2015-03-05' AS DATE)) AS d",
    );
    expect(r.values).toEqual(['2015-03-02 00:00:00', '2015-01-01 00:00:00', '2015-03-05 09:32:00', '2015-03-05 09:32:05', '1969-12-31 23:00:00', null, '2015-03-05 00:00:00']);
  });

  it("trunc (doc: trunc('2019-08-04', 'week') → 2019-07-29, 'quarter' → 2019-07-01, trunc('2009-02-12', 'MM') → 2009-02-01, trunc('2015-10-27', 'YEAR') → 2015-01-01); a unit below a week gives null", () => {
    const r = one(
      "trunc('2019-08-04', 'week')",
      "trunc('2019-08-04', 'quarter')",
      "trunc('2009-02-12', 'MM')",
      "trunc('2015-10-27', 'YEAR')",
      "trunc('2015-10-27', 'DAY') AS day",
      "trunc('2015-10-27', 'hour') AS hour",
      "trunc('2015-10-27', 'xx') AS bad",
    );
    expect(r.columns[0]).toBe('trunc(2019-08-04, week)');
    expect(r.values).toEqual(['2019-07-29', '2019-07-01', '2009-02-01', '2015-01-01', null, null, null]);
    expect(r.types[0]).toBe('date');
  });
});

describe('nulls and types', () => {
  it('a null argument gives null, in a column as in a literal', () => {
    const df = session()
      .createDataFrame([{ d: null, s: null, n: null }], 'd DATE, s STRING, n INT')
      .selectExpr('year(d)', 'hour(s)', 'to_date(s)', "to_date(s, 'yyyy')", 'last_day(d)', "next_day(d, 'Mon')", 'date_add(d, n)', 'datediff(d, s)', 'add_months(s, n)', 'months_between(d, s)', 'unix_timestamp(s)', 'from_unixtime(n)', "date_trunc('year', s)", "trunc(d, 'MM')", 'weekofyear(NULL)');
    expect(Object.values(df.collect()[0]!)).toEqual(Array(15).fill(null));
  });

  it('an argument of a type Spark does not cast to a date fails at analysis', () => {
    expect(() => one('year(1)')).toThrow(
      '[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "year(1)" due to data type mismatch: Parameter 1 requires the "DATE" type, however "1" has the type "INT".',
    );
    expect(() => one('date_trunc(\'year\', 1)')).toThrow(/Parameter 2 requires the "TIMESTAMP" type/);
  });
});

describe('the functions module', () => {
  it("takes PySpark's names and argument orders", () => {
    const df = session().createDataFrame([{ s: '1997-02-28 10:30:00', e: '1996-10-30', n: 86400 }], 's STRING, e STRING, n BIGINT');
    const row = df
      .select(
        F.to_date('s').alias('d'),
        F.to_date(F.col('e'), 'yyyy-MM-dd').alias('e2'),
        F.date_trunc('month', 's').alias('m'),
        F.trunc('s', 'year').alias('y'),
        F.months_between('s', 'e', false).alias('mb'),
        F.datediff('s', 'e').alias('dd'),
        F.date_add('e', 1).alias('plus'),
        F.date_sub('e', 1).alias('minus'),
        F.add_months('e', 4).alias('am'),
        F.next_day('e', 'Sun').alias('nd'),
        F.unix_timestamp('e', 'yyyy-MM-dd').alias('u'),
        F.to_unix_timestamp('e', F.lit('yyyy-MM-dd')).alias('tu'),
        F.from_unixtime('n').alias('fu'),
        F.dayofweek('e').alias('dw'),
        F.weekofyear('e').alias('wy'),
        F.second('s').alias('sec'),
      )
      .collect()[0]!;
    const text = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? typedString(v) : v]));
    expect(text).toEqual({
      d: '1997-02-28',
      e2: '1996-10-30',
      m: '1997-02-01 00:00:00',
      y: '1997-01-01',
      mb: 3.9495967741935485,
      dd: 121,
      plus: '1996-10-31',
      minus: '1996-10-29',
      am: '1997-02-28',
      nd: '1996-11-03',
      u: 846633600,
      tu: 846633600,
      fu: '1970-01-02 00:00:00',
      dw: 4,
      wy: 44,
      sec: 0,
    });
    expect(df.select(F.months_between('s', 'e'), F.unix_timestamp(), F.from_unixtime('n')).columns).toEqual([
      'months_between(s, e, true)',
      'unix_timestamp(current_timestamp(), yyyy-MM-dd HH:mm:ss)',
      'from_unixtime(n, yyyy-MM-dd HH:mm:ss)',
    ]);
  });
});

describe('in a streaming query', () => {
  it('counts rows per to_date(ts) across batches; a string that is no date groups as null', async () => {
    const spark = session();
    const input = new MemoryStream<{ ts: string | null }>(spark, 'ts STRING');
    const q = input.toDF().groupBy(F.to_date('ts')).count().writeStream.format('memory').queryName('per_day').outputMode('complete').start();
    const counts = () =>
      spark
        .table('per_day')
        .collect()
        .map((r) => [r['to_date(ts)'] === null ? null : typedString(r['to_date(ts)']), r.count])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    input.addData({ ts: '2024-02-28 23:59:59' }, { ts: '2024-02-29 00:00:00' }, { ts: '2024-02-29T12:00:00' });
    await q.processAllAvailable();
    expect(counts()).toEqual([
      ['2024-02-28', 1],
      ['2024-02-29', 2],
    ]);
    input.addData({ ts: '2024-02-29 23:00:00' }, { ts: '2024-03-01' }, { ts: 'soon' });
    await q.processAllAvailable();
    expect(counts()).toEqual([
      ['2024-02-28', 1],
      ['2024-02-29', 3],
      ['2024-03-01', 1],
      [null, 1],
    ]);
  });
});
