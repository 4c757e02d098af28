/**
 * show()'s table, checked against Spark 3.5.1's showString: each expected table is what Spark
 * printed (Spark 3.5 writes a null cell as NULL, inside arrays and structs too).
 */
import { describe, expect, it } from 'vitest';
import { displayWidth, showString } from '../../src/sql/show.js';
import { StructType, toSchema } from '../../src/sql/types.js';
import { session } from './helpers.js';

const table = (lines: string[]) => lines.join('\n') + '\n';

function data() {
  const spark = session();
  return spark.createDataFrame(
    [
      { name: 'a very long name that exceeds twenty', x: 1.0, f: 0.1, b: true, ts: '2017-01-01 10:00:00.120', d: '2017-01-01', arr: [1.0, null, 1e7] },
      { name: '東京都渋谷区', x: 12345678.9, f: 1e10, b: false, ts: '2017-01-01 00:00:00', d: null, arr: [] },
      { name: 'ab', x: -0.0, f: null, b: null, ts: null, d: '1999-12-31', arr: null },
      { name: '', x: 1e-5, f: 3.4028235e38, b: true, ts: '1969-12-31 23:59:59.999', d: '0001-01-01', arr: [0.1] },
    ],
    'name STRING, x DOUBLE, f FLOAT, b BOOLEAN, ts TIMESTAMP, d DATE, arr ARRAY<DOUBLE>',
  );
}

describe('show()', () => {
  it('pads CJK by display width and prints year 1 as 0001 (show.sql)', () => {
    expect(data().showString()).toBe(
      table([
        '+--------------------+------------+------------+-----+--------------------+----------+------------------+',
        '|                name|           x|           f|    b|                  ts|         d|               arr|',
        '+--------------------+------------+------------+-----+--------------------+----------+------------------+',
        '|a very long name ...|         1.0|         0.1| true|2017-01-01 10:00:...|2017-01-01|[1.0, NULL, 1.0E7]|',
        '|        東京都渋谷区|1.23456789E7|      1.0E10|false| 2017-01-01 00:00:00|      NULL|                []|',
        '|                  ab|        -0.0|        NULL| NULL|                NULL|1999-12-31|              NULL|',
        '|                    |      1.0E-5|3.4028235E38| true|1969-12-31 23:59:...|0001-01-01|             [0.1]|',
        '+--------------------+------------+------------+-----+--------------------+----------+------------------+',
      ]),
    );
  });

  it('never cuts a header', () => {
    const df = data().selectExpr('name AS `a column name longer than twenty chars`', 'x');
    expect(df.showString()).toBe(
      table([
        '+--------------------------------------+------------+',
        '|a column name longer than twenty chars|           x|',
        '+--------------------------------------+------------+',
        '|                  a very long name ...|         1.0|',
        '|                          東京都渋谷区|1.23456789E7|',
        '|                                    ab|        -0.0|',
        '|                                      |      1.0E-5|',
        '+--------------------------------------+------------+',
      ]),
    );
  });

  it('escapes control characters and pads full-width text, truncated or not', () => {
    const schema = toSchema('v STRING, `東京都の列` STRING') as StructType;
    const rows = ['a\nb', '東京', 'tab\there', 'ｱｲｳ', '한국어', 'x\u0007y'].map((v) => ({ v, 東京都の列: v }));
    expect(showString(schema, rows)).toBe(
      table([
        '+---------+----------+',
        '|        v|東京都の列|',
        '+---------+----------+',
        '|     a\\nb|      a\\nb|',
        '|     東京|      東京|',
        '|tab\\there| tab\\there|',
        '|      ｱｲｳ|       ｱｲｳ|',
        '|   한국어|    한국어|',
        '|     x\\ay|      x\\ay|',
        '+---------+----------+',
      ]),
    );
    expect(showString(schema, rows, 20, false)).toBe(
      table([
        '+---------+----------+',
        '|v        |東京都の列|',
        '+---------+----------+',
        '|a\\nb     |a\\nb      |',
        '|東京     |東京      |',
        '|tab\\there|tab\\there |',
        '|ｱｲｳ      |ｱｲｳ       |',
        '|한국어   |한국어    |',
        '|x\\ay     |x\\ay      |',
        '+---------+----------+',
      ]),
    );
    expect(showString(toSchema('`a\nb` STRING, `東京` STRING') as StructType, [{ 'a\nb': 'x', 東京: 'y' }])).toBe(
      table(['+----+----+', '|a\\nb|東京|', '+----+----+', '|   x|   y|', '+----+----+']),
    );
    expect(displayWidth('東京都渋谷区')).toBe(12);
  });
});
