/**
 * Spark's string → integer and boolean casts (UTF8String.toInt/toLong/trimAll: only ASCII white
 * space and control characters are trimmed; `.` is 0), its string order (UTF8String.binaryCompare:
 * UTF-8 bytes, i.e. code points) and FLOAT in single precision. Expected values as Spark 3.5 gives.
 */
import { describe, expect, it } from 'vitest';
import { Types } from '../../src/sql/types.js';
import { castValue, compareSql, typedString } from '../../src/sql/values.js';
import { showString } from '../../src/sql/show.js';
import { session } from './helpers.js';

function select(...exprs: string[]): unknown[] {
  const spark = session();
  spark.createDataFrame([{ one: 1 }], 'one INT').createOrReplaceTempView('o');
  const row = spark.sql(`SELECT ${exprs.map((e, i) => `${e} AS c${i}`).join(', ')} FROM o`).collect()[0]!;
  return exprs.map((_e, i) => row[`c${i}`]);
}

describe('string → INT / BIGINT / BOOLEAN', () => {
  it('trims ASCII white space and control characters only: NBSP and a BOM give NULL', () => {
    const spark = session();
    const texts = ['\u00a012', '12\ufeff', '\u200912', '\u00a0true', ' \t12\n'];
    const df = spark.createDataFrame(texts.map((s, i) => ({ i, s })), 'i INT, s STRING');
    const rows = df.orderBy('i').selectExpr('CAST(s AS INT) n', 'CAST(s AS BIGINT) l', 'CAST(s AS BOOLEAN) b').collect();
    expect(rows).toEqual([
      { n: null, l: null, b: null },
      { n: null, l: null, b: null },
      { n: null, l: null, b: null },
      { n: null, l: null, b: null },
      { n: 12, l: 12, b: null },
    ]);
    expect(castValue(' \t12\n\u0000', Types.INTEGER)).toBe(12);
    expect(castValue('\u007f-7\r', Types.LONG)).toBe(-7);
    expect(castValue('\t yes \u0001', Types.BOOLEAN)).toBe(true);
  });

  it("takes `.` (and `-.`) as 0, a fraction dropped, leading zeros past 15 digits", () => {
    expect(select("CAST('.' AS INT)", "CAST('-.' AS BIGINT)", "CAST('+' AS INT)", "CAST('' AS INT)", "CAST('1.' AS INT)", "CAST('.9' AS INT)")).toEqual([
      0, 0, null, null, 1, 0,
    ]);
    expect(castValue('00000000000000000000042', Types.INTEGER)).toBe(42);
    expect(castValue('-0000000000000000002147483648', Types.INTEGER)).toBe(-2147483648);
    expect(castValue('2147483648', Types.INTEGER)).toBe(null);
  });
});

describe('string order (UTF-8 bytes, as Spark)', () => {
  it('orders a character past U+FFFF after U+E000-U+FFFF', () => {
    expect(select("'😀' > '！'", "'b' < 'a'")).toEqual([true, false]);
    expect(compareSql('😀', '！')).toBeGreaterThan(0);
    expect(compareSql('a\uffff', 'a😀')).toBeLessThan(0);
    expect(compareSql('ab', 'abc')).toBeLessThan(0);
    expect(compareSql('abc', 'abc')).toBe(0);
    const spark = session();
    const df = spark.createDataFrame(['！', '😀', 'a', '\ue000', 'é'].map((s) => ({ s })), 's STRING');
    expect(df.orderBy('s').collect().map((r) => r.s)).toEqual(['a', 'é', '\ue000', '！', '😀']);
    expect(df.agg({ s: 'max' }).collect()[0]).toEqual({ 'max(s)': '😀' });
  });
});

describe('FLOAT (single precision)', () => {
  it('a cast to FLOAT rounds to single precision, which prints as Java prints a float', () => {
    expect(select('CAST(16777217 AS FLOAT)', 'CAST(CAST(0.1 AS FLOAT) AS DOUBLE)', 'CAST(CAST(0.1 AS FLOAT) AS STRING)', "CAST('3.4e39' AS FLOAT)")).toEqual([
      16777216,
      0.10000000149011612,
      '0.1',
      Infinity,
    ]);
    expect(typedString(Math.fround(1e10), Types.FLOAT)).toBe('1.0E10');
    const spark = session();
    const df = spark.createDataFrame([{ v: '0.1' }], 'v STRING').selectExpr('CAST(v AS FLOAT) f');
    expect(showString(df.schema, df.collect())).toContain('|0.1|');
  });
});
