/**
 * String literals in SQL text unescape as Spark's unescapeSQLString: \uXXXX, \UXXXXXXXX, three
 * octal digits, the one-character escapes (\Z is U+001A), and \% and \_ keep their backslash so
 * that LIKE matches them literally. r'…' is a raw literal.
 */
import { describe, expect, it } from 'vitest';
import { session } from './helpers.js';

describe('string literal escapes', () => {
  const rows = [{ s: '500' }, { s: '50%' }, { s: 'a_b' }, { s: 'axb' }, { s: 'a\\d' }];
  const select = (e: string): unknown[] => session().createDataFrame(rows).selectExpr(`${e} AS v`).collect().map((r) => (r as { v: unknown }).v);

  it('\\% and \\_ in a LIKE pattern match only the character itself', () => {
    expect(select("s LIKE '50\\%'")).toEqual([false, true, false, false, false]);
    expect(select("s LIKE 'a\\_b'")).toEqual([false, false, true, false, false]);
    // Outside LIKE the backslash stays, as in Spark: SELECT '100\%' is 100\%.
    expect(select("'100\\%'")[0]).toBe('100\\%');
  });

  it('unicode and octal escapes are the characters they name', () => {
    expect(select("'\\u0041\\U0001F600\\101\\Z\\0'")[0]).toBe('A\u{1F600}A\u001a\u0000');
    expect(select("length('\\u00e9')")[0]).toBe(1);
    // Not a full escape: the letter itself, as Spark's one-character rule gives.
    expect(select("'\\u00g1'")[0]).toBe('u00g1');
    expect(select("'\\b\\r\\n\\t\\q'")[0]).toBe('\b\r\n\tq');
  });

  it("r'…' is a raw literal: backslashes as typed", () => {
    expect(select("regexp_replace('a1b22', r'\\d+', '#')")[0]).toBe('a#b#');
    expect(select('R"\\n"')[0]).toBe('\\n');
    expect(select("s rlike r'^a\\\\d$'")).toEqual([false, false, false, false, true]);
  });
});
