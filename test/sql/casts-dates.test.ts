/**
 * CAST between strings, dates, timestamps and numbers, checked against Spark 3.5.1 (local,
 * session time zone UTC, non-ANSI): each expected value is what Spark printed for the same
 * text. dstreams keeps milliseconds where Spark keeps microseconds (noted where it shows).
 */
import { describe, expect, it } from 'vitest';
import { ArrayType, DateValue, StructField, StructType, Types } from '../../src/sql/types.js';
import { stringToDate, stringToTimestamp } from '../../src/sql/datetime.js';
import { castValue, typedString } from '../../src/sql/values.js';
import { session } from './helpers.js';

/** Each text's CAST AS TIMESTAMP and CAST AS DATE, as strings (null for NULL), through spark.sql. */
function castTexts(texts: string[]): [string, string | null, string | null][] {
  const spark = session();
  spark.createDataFrame(texts.map((v, i) => ({ i, v })), 'i INT, v STRING').createOrReplaceTempView('s');
  return spark
    .sql('SELECT v, CAST(CAST(v AS TIMESTAMP) AS STRING) t, CAST(CAST(v AS DATE) AS STRING) d FROM s ORDER BY i')
    .collect()
    .map((r) => [r.v as string, r.t as string | null, r.d as string | null]);
}

describe('string → TIMESTAMP / DATE (Spark stringToTimestamp, stringToDate)', () => {
  it('takes Spark forms, partial dates included, and gives NULL for days the calendar lacks', () => {
    const cases: [string, string | null, string | null][] = [
      ['2017-01-01T10:00:00Z', '2017-01-01 10:00:00', '2017-01-01'],
      ['2017-01-01 10:00', '2017-01-01 10:00:00', '2017-01-01'],
      ['2017-1-1', '2017-01-01 00:00:00', '2017-01-01'],
      ['2017', '2017-01-01 00:00:00', '2017-01-01'],
      ['2017-01', '2017-01-01 00:00:00', '2017-01-01'],
      ['2017-1', '2017-01-01 00:00:00', '2017-01-01'],
      ['2017-02-30', null, null],
      ['2017-02-29', null, null],
      ['2017-13-01', null, null],
      ['2016-02-29 23:59:59.999999', '2016-02-29 23:59:59.999', '2016-02-29'], // Spark: .999999
      ['2017-01-01 10:00:00.1234567', '2017-01-01 10:00:00.123', '2017-01-01'], // Spark: .123456
      ['2017-01-01 10:00Z', null, '2017-01-01'],
      ['2017-01-01 10', '2017-01-01 10:00:00', '2017-01-01'],
      ['2017-01-01T', null, '2017-01-01'],
      [' 2017-01-01 ', '2017-01-01 00:00:00', '2017-01-01'],
      ['\t2017-01-01\n', '2017-01-01 00:00:00', '2017-01-01'],
      ['2017-1-1 1:2:3', '2017-01-01 01:02:03', '2017-01-01'],
      ['2017-01-01 24:00:00', null, '2017-01-01'],
      ['2017-01-01 10:00:00.', '2017-01-01 10:00:00', '2017-01-01'],
      ['2017-01-01 garbage', null, '2017-01-01'],
      ['2017-01-01Tjunk', null, '2017-01-01'],
      ['2017-01-01  10:00:00', null, '2017-01-01'],
      ['2017/01/01', null, null],
      ['17', null, null],
      ['1500000000', null, null],
      ['T10:00:00x', null, null],
      ['+2017-01-01', '2017-01-01 00:00:00', '2017-01-01'],
      ['-0001-01-01', '-0001-01-01 00:00:00', '-0001-01-01'],
      ['0001-01-01', '0001-01-01 00:00:00', '0001-01-01'],
      ['0000-06-01', '0000-06-01 00:00:00', '0000-06-01'],
      ['10000-01-01', '+10000-01-01 00:00:00', '+10000-01-01'],
      ['20170-01-01', '+20170-01-01 00:00:00', '+20170-01-01'],
      ['123456-01-01', '+123456-01-01 00:00:00', '+123456-01-01'],
      ['1234567-01-01', null, null], // Spark's DATE: +1234567-01-01, past a JS Date's range
      ['1969-12-31 23:59:59.9995', '1969-12-31 23:59:59.999', '1969-12-31'], // Spark: .9995
      ['2017-01-01 10:00:00.000000001', '2017-01-01 10:00:00', '2017-01-01'],
    ];
    expect(castTexts(cases.map((c) => c[0]))).toEqual(cases);
  });

  it('reads the zone after the seconds as Spark getZoneId does', () => {
    const cases: [string, string | null][] = [
      ['2017-01-01 10:00:00+02:00', '2017-01-01 08:00:00'],
      ['2017-01-01 10:00:00 UTC', '2017-01-01 10:00:00'],
      ['2017-01-01 10:00:00 UT', '2017-01-01 10:00:00'],
      ['2017-01-01 10:00:00 GMT0', '2017-01-01 10:00:00'],
      ['2017-01-01 10:00:00 America/Los_Angeles', '2017-01-01 18:00:00'],
      ['2017-07-01 10:00:00 America/Los_Angeles', '2017-07-01 17:00:00'],
      // A local time in the spring-forward gap moves forward; one in the fall-back overlap takes the earlier instant.
      ['2017-03-12 02:30:00 America/Los_Angeles', '2017-03-12 10:30:00'],
      ['2017-11-05 01:30:00 America/Los_Angeles', '2017-11-05 08:30:00'],
      ['2017-01-01 10:00:00 america/los_angeles', null],
      ['2017-01-01 10:00:00+0200', '2017-01-01 08:00:00'],
      ['2017-01-01 10:00:00+2', '2017-01-01 08:00:00'],
      ['2017-01-01 10:00:00-2:30', '2017-01-01 12:30:00'],
      ['2017-01-01 10:00:00+02:3', '2017-01-01 07:57:00'],
      ['2017-01-01 10:00:00 +05:30:15', '2017-01-01 04:29:45'],
      ['2017-01-01 10:00:00 +053015', '2017-01-01 04:29:45'],
      ['2017-01-01 10:00:00 +05:30:1', null],
      ['2017-01-01 10:00:00+18:01', null],
      ['2017-01-01T10:00:00 -08', '2017-01-01 18:00:00'],
      ['2017-01-01 10:00:00 PST', '2017-01-01 18:00:00'],
      ['2017-01-01 10:00:00 CET', '2017-01-01 09:00:00'],
      ['2017-01-01 10:00:00 EST5EDT', '2017-01-01 15:00:00'],
      ['2017-01-01 10:00:00 Asia/Calcutta', '2017-01-01 04:30:00'],
      ['2017-01-01 10:00:00GMT+01:00', '2017-01-01 09:00:00'],
      ['2017-01-01 10:00:00 UTC+1', '2017-01-01 09:00:00'],
      ['2017-01-01 10:00:00.5+14:00', '2016-12-31 20:00:00.5'],
      ['2017-01-01 10:00:00 z', null],
      ['2017-01-01 10:00:00 garbage', null],
    ];
    expect(castTexts(cases.map((c) => c[0])).map(([v, t]) => [v, t])).toEqual(cases);
  });

  it('a time alone is today in UTC', () => {
    const before = Date.now();
    const ms = stringToTimestamp('T10:00:00')!;
    const day = (t: number) => Math.floor(t / 86_400_000) * 86_400_000;
    expect([day(before) + 36_000_000, day(Date.now()) + 36_000_000]).toContain(ms);
    expect(stringToTimestamp('10:00')).toBe(ms);
    expect(stringToDate('10:00:00')).toBeNull();
  });
});

describe('DATE and TIMESTAMP as text', () => {
  it('a DATE made a string is yyyy-MM-dd, in CAST, concat, length and upper', () => {
    const spark = session();
    const row = spark
      .sql(
        "SELECT CAST(CAST('2017-01-01' AS DATE) AS STRING) a, concat('d=', CAST('2017-01-01' AS DATE)) b, " +
          "CAST(CAST('2017-01-01 10:00:00.5' AS TIMESTAMP) AS STRING) c, length(CAST('2017-11-04' AS DATE)) l, upper(CAST('2017-11-04' AS DATE)) u",
      )
      .collect()[0]!;
    expect(row).toEqual({ a: '2017-01-01', b: 'd=2017-01-01', c: '2017-01-01 10:00:00.5', l: 10, u: '2017-11-04' });
  });

  it('typedString follows the type: arrays and structs too, null inside as null', () => {
    const d = castValue('2017-01-01', Types.DATE);
    expect(d).toBeInstanceOf(DateValue);
    expect(typedString(d, Types.DATE)).toBe('2017-01-01');
    expect(typedString(new Date(Date.UTC(2017, 0, 1)), Types.DATE)).toBe('2017-01-01');
    expect(typedString(new Date(Date.UTC(2017, 10, 4, 10)), Types.TIMESTAMP)).toBe('2017-11-04 10:00:00');
    expect(typedString([d, null])).toBe('[2017-01-01, null]');
    expect(typedString([1, 1e10], new ArrayType(Types.DOUBLE))).toBe('[1.0, 1.0E10]');
    expect(typedString({ d, x: 1.5, n: null })).toBe('{2017-01-01, 1.5, null}');
    const st = new StructType([new StructField('d', Types.DATE), new StructField('x', Types.DOUBLE), new StructField('n', Types.INTEGER)]);
    expect(typedString({ d, x: 1, n: null }, st)).toBe('{2017-01-01, 1.0, null}');
    expect(typedString(castValue('-0001-01-01', Types.DATE))).toBe('-0001-01-01');
  });
});

describe('CAST to numbers (non-ANSI)', () => {
  it('double → int saturates, long → int wraps, a DATE is NULL (with the source type)', () => {
    const { INTEGER: I, LONG: L, DOUBLE: D, FLOAT: F, DATE, TIMESTAMP: TS, BOOLEAN: B } = Types;
    expect(castValue(1e10, I, D)).toBe(2147483647);
    expect(castValue(-1e10, I, D)).toBe(-2147483648);
    expect(castValue(2.9e9, I, D)).toBe(2147483647);
    expect(castValue(1e10, I, F)).toBe(2147483647);
    expect(castValue(NaN, I, D)).toBe(0);
    expect(castValue(Infinity, I, D)).toBe(2147483647);
    expect(castValue(-Infinity, L, D)).toBe(-9223372036854775808n); // exact: a BIGINT past 2^53 is a bigint
    expect(castValue(1e10, L, D)).toBe(10000000000);
    expect(castValue(-1.5, I, D)).toBe(-1);
    expect(castValue(3000000000, I, L)).toBe(-1294967296);
    expect(castValue(-3000000000, I, L)).toBe(1294967296);
    const date = castValue('2017-01-01', DATE);
    for (const to of [I, L, D, B]) expect(castValue(date, to, DATE)).toBeNull();
    const ts = (s: string) => castValue(s, TS);
    expect(castValue(ts('2017-01-01 10:00:00'), I, TS)).toBe(1483264800);
    expect(castValue(ts('2100-01-01'), I, TS)).toBe(-192522496);
    expect(castValue(ts('1969-12-31 23:59:59.5'), L, TS)).toBe(-1);
    expect(castValue(ts('1969-12-31 23:59:59.5'), D, TS)).toBe(-0.5);
    expect(castValue(ts('2017-01-01'), B, TS)).toBe(true);
    expect(castValue(true, D, B)).toBe(1);
  });

  it('through spark.sql', () => {
    const spark = session();
    expect(
      spark.sql("SELECT CAST(3000000000L AS INT) b, CAST(-1.5 AS INT) c, CAST(true AS INT) d, CAST(CAST('2017-01-01' AS DATE) AS INT) e").collect(),
    ).toEqual([{ b: -1294967296, c: -1, d: 1, e: null }]);
  });

  it('text → DOUBLE as Java parseDouble, then inf/infinity/nan in any case', () => {
    const cases: [string, number | null, number | null][] = [
      ['1.5d', 1.5, null], ['1.5f', 1.5, null], ['1.5D', 1.5, null], ['0x10', null, null], [' 1.5 ', 1.5, 1],
      ['1.', 1, 1], ['.5', 0.5, 0], ['1e', null, null], ['+1.5', 1.5, 1], ['1_000', null, null], ['1e5d', 100000, null],
      ['inf', Infinity, null], ['INF', Infinity, null], ['-inF', -Infinity, null], ['Infinityx', null, null],
      ['1.5e3F', 1500, null], ['\t1.5\n', 1.5, 1], ['1.5dd', null, null], ['d', null, null], ['0x1p3', 8, null],
      ['NaN', NaN, null], ['-Infinity', -Infinity, null], ['1e3', 1000, null], ['abc', null, null],
    ];
    for (const [text, d, i] of cases) {
      expect([text, castValue(text, Types.DOUBLE), castValue(text, Types.INTEGER)]).toEqual([text, d, i]);
    }
  });
});
