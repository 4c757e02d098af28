// to_timestamp(col, fmt) of a DATE is its midnight and of a TIMESTAMP the timestamp itself, as
// Spark's GetTimestamp (both gave NULL: the value's text was parsed with the pattern); years 0-99
// are those years, not 1900-1999 (Date.UTC's reading).
import { describe, expect, it } from 'vitest';
import { session } from './helpers.js';

describe('to_timestamp', () => {
  it('of a date is its midnight, of a timestamp itself; text is parsed with the pattern', () => {
    const df = session().createDataFrame([{ t: '2017-11-04 10:00:00' }], 't STRING');
    const [row] = df
      .selectExpr(
        "to_timestamp(CAST('2017-11-04' AS DATE), 'yyyy-MM-dd') AS d",
        "to_timestamp(CAST(t AS TIMESTAMP), 'yyyy') AS ts",
        "to_timestamp('2017-11-04', 'yyyy-MM-dd') AS text",
      )
      .collect();
    expect(row).toEqual({ d: new Date('2017-11-04T00:00:00Z'), ts: new Date('2017-11-04T10:00:00Z'), text: new Date('2017-11-04T00:00:00Z') });
  });

  it('reads years 0-99 as themselves, and a day the month lacks as null', () => {
    const [row] = session()
      .createDataFrame([{ x: 1 }], 'x INT')
      .selectExpr(
        "to_timestamp('0050-01-01', 'yyyy-MM-dd') AS y50",
        "to_timestamp('0001-03-01 12:30:15', 'yyyy-MM-dd HH:mm:ss') AS y1",
        "to_timestamp('2016-02-29', 'yyyy-MM-dd') AS leap",
        "to_timestamp('2017-02-29', 'yyyy-MM-dd') AS none",
        "CAST('0050-01-31 10:00:00' AS TIMESTAMP) + INTERVAL 1 MONTH AS plus",
      )
      .collect();
    const at = (y: number, iso: string): Date => {
      const d = new Date(iso);
      d.setUTCFullYear(y);
      return d;
    };
    expect(row).toEqual({
      y50: at(50, '2000-01-01T00:00:00Z'),
      y1: at(1, '2000-03-01T12:30:15Z'),
      leap: new Date('2016-02-29T00:00:00Z'),
      none: null,
      plus: at(50, '2001-02-28T10:00:00Z'),
    });
  });
});
