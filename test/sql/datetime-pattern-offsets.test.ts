/**
 * The zone-offset pattern letters X, x and Z in date_format, to_timestamp and unix_timestamp, as
 * Spark 3.5.3 gives them with the session time zone UTC (each expected value below is what real
 * Spark printed for the same expression, bench/spark/sql's harness, Dec 5): an offset formats as
 * UTC's, and an offset parsed moves the instant to UTC.
 */
import { describe, expect, it } from 'vitest';
import { session } from './helpers.js';

const one = (e: string): unknown => (session().createDataFrame([{ x: 1 }]).selectExpr(`${e} AS v`).collect()[0] as { v: unknown }).v;
const utc = (e: string): string | null => {
  const v = one(e);
  return v instanceof Date ? v.toISOString() : (v as null);
};

describe('zone offsets in datetime patterns', () => {
  it('format as UTC: Z for X, digits for x, +0000 / GMT / Z for Z', () => {
    // Spark: Z +0000 +00:00 +0000 GMT Z
    expect(one("date_format(CAST('2020-02-29 13:04:05.678' AS TIMESTAMP), 'X xx xxx Z ZZZZ ZZZZZ')")).toBe('Z +0000 +00:00 +0000 GMT Z');
    // Spark: 2020-02-29T13:04:05.678Z
    expect(one(`date_format(CAST('2020-02-29 13:04:05.678' AS TIMESTAMP), "yyyy-MM-dd'T'HH:mm:ss.SSSXXX")`)).toBe('2020-02-29T13:04:05.678Z');
  });

  it('parse each form its pattern reads, moving the instant to UTC', () => {
    // Spark: 2020-02-29 12:04:05.678
    expect(utc(`to_timestamp('2020-02-29T13:04:05.678+01:00', "yyyy-MM-dd'T'HH:mm:ss.SSSXXX")`)).toBe('2020-02-29T12:04:05.678Z');
    expect(utc(`to_timestamp('2020-02-29T13:04:05.678Z', "yyyy-MM-dd'T'HH:mm:ss.SSSXXX")`)).toBe('2020-02-29T13:04:05.678Z');
    // Spark: 2020-02-29 18:34:05, 2020-02-29 08:04:05, 2020-02-29 12:04:05, 2020-02-29 11:34:05
    expect(utc("to_timestamp('2020-02-29 13:04:05 -0530', 'yyyy-MM-dd HH:mm:ss Z')")).toBe('2020-02-29T18:34:05.000Z');
    expect(utc("to_timestamp('2020-02-29 13:04:05 +05', 'yyyy-MM-dd HH:mm:ss x')")).toBe('2020-02-29T08:04:05.000Z');
    expect(utc("to_timestamp('2020-02-29 13:04:05 GMT+01:00', 'yyyy-MM-dd HH:mm:ss ZZZZ')")).toBe('2020-02-29T12:04:05.000Z');
    expect(utc("to_timestamp('2020-02-29 13:04:05 +01:30', 'yyyy-MM-dd HH:mm:ss XXX')")).toBe('2020-02-29T11:34:05.000Z');
    expect(one(`unix_timestamp('2020-01-01T00:00:00+02:00', "yyyy-MM-dd'T'HH:mm:ssXXX")`)).toBe(1577829600);
  });

  it('x reads no Z (Spark: null), and six letters are too many', () => {
    expect(utc("to_timestamp('2020-02-29 13:04:05 Z', 'yyyy-MM-dd HH:mm:ss x')")).toBeNull();
    expect(() => one("date_format(CAST('2020-02-29 13:04:05' AS TIMESTAMP), 'XXXXXX')")).toThrow(/too many pattern letters: X/);
  });
});
