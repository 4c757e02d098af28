// `dt + n`, `n + dt` and `dt - n` are Spark's date_add and date_sub (they failed: "date is not a
// number"); a date or timestamp less another is an interval, which dstreams cannot hold, and fails
// saying so. Spark 3.5.3 (bench/spark/sql harness, dt over 2020-02-29, 1969-12-31, NULL):
//   dt + 1  -> date_add(dt, 1) | date | 2020-03-01, 1970-01-01, NULL
//   1 + dt  -> date_add(dt, 1) | date | the same
//   dt - 1  -> date_sub(dt, 1) | date | 2020-02-28, 1969-12-30, NULL
//   dt + l (bigint) -> [DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "date_add(dt, l)" ... Parameter 2 requires the ("INT" or "SMALLINT" or "TINYINT") type, however "l" has the type "BIGINT"
//   ts + 1  -> [DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] ... ("TIMESTAMP" and "INT")
//   dt - dt -> (dt - dt) | interval day;  ts - dt -> (ts - dt) | interval day to second
import { describe, expect, it } from 'vitest';
import { session } from './helpers.js';

const table = () =>
  session().createDataFrame(
    [{ dt: '2020-02-29', l: 1, ts: '2020-02-29 12:34:56' }, { dt: '1969-12-31', l: 1, ts: null }, { dt: null, l: 1, ts: null }],
    'dt DATE, l BIGINT, ts TIMESTAMP',
  );

describe('date plus or minus days', () => {
  it('is date_add and date_sub, a date, named as Spark names it', () => {
    const df = table().selectExpr('dt + 1', '1 + dt AS b', 'dt - 1');
    expect(df.schema.simpleString()).toBe('struct<date_add(dt, 1):date,b:date,date_sub(dt, 1):date>');
    expect(df.collect().map((r) => Object.values(r).map((v) => (v === null ? null : (v as Date).toISOString().slice(0, 10))))).toEqual([
      ['2020-03-01', '2020-03-01', '2020-02-28'],
      ['1970-01-01', '1970-01-01', '1969-12-30'],
      [null, null, null],
    ]);
  });

  it('refuses a bigint number of days and a timestamp plus a number, as Spark', () => {
    expect(() => table().selectExpr('dt + l')).toThrow(
      '[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "date_add(dt, l)" due to data type mismatch: Parameter 2 requires the ("INT" or "SMALLINT" or "TINYINT") type, however "l" has the type "BIGINT".',
    );
    expect(() => table().selectExpr('ts + 1')).toThrow('[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve "(ts + 1)"');
  });

  it('a date less a date (an interval) fails naming the operation', () => {
    expect(() => table().selectExpr('dt - dt')).toThrow(/\(dt - dt\).*INTERVAL DAY, and dstreams has no interval column type/);
    expect(() => table().selectExpr('ts - dt')).toThrow(/\(ts - dt\).*INTERVAL DAY TO SECOND/);
  });
});
