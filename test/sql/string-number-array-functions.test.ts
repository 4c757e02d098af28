/**
 * substring, concat_ws, regexp_replace, regexp_extract, round, floor, ceil, size, array_contains,
 * collect_list/collect_set and count(DISTINCT a, b): every expected value and column name below
 * is what Spark 3.5.1 printed for the same query (local, UTC, non-ANSI).
 */
import { describe, expect, it } from 'vitest';
import { functions as F } from '../../src/sql/index.js';
import { AnalysisException } from '../../src/sql/errors.js';
import { session } from './helpers.js';

function table() {
  const spark = session();
  spark
    .createDataFrame(
      [
        { k: 'a', s: 'Hello, World', v: 1, d: 2.675, arr: ['x', null, 'y'] },
        { k: 'a', s: 'naïve café', v: null, d: -2.5, arr: ['x'] },
        { k: 'b', s: null, v: 3, d: 0.5, arr: null },
        { k: 'b', s: 'abc123def45', v: 3, d: 1234.5678, arr: [] },
      ],
      'k STRING, s STRING, v INT, d DOUBLE, arr ARRAY<STRING>',
    )
    .createOrReplaceTempView('t');
  return spark;
}

function run(sql: string): { columns: string[]; rows: unknown[][]; types: string[] } {
  const df = table().sql(sql);
  return {
    columns: df.columns,
    rows: df.collect().map((r) => df.columns.map((c) => r[c])),
    types: df.schema.fields.map((f) => f.dataType.simpleString()),
  };
}

describe('string functions as Spark', () => {
  it('substring counts characters from 1, a negative position from the end; a negative length is empty', () => {
    const r = run('SELECT substring(s, 1, 5), substring(s, -3), substr(s, 0, 2), substring(s, 3, -1), substring(s, -20, 22) FROM t');
    expect(r.columns).toEqual(['substring(s, 1, 5)', 'substring(s, -3, 2147483647)', 'substr(s, 0, 2)', 'substring(s, 3, -1)', 'substring(s, -20, 22)']);
    expect(r.rows).toEqual([
      ['Hello', 'rld', 'He', '', 'Hello, World'],
      ['naïve', 'afé', 'na', '', 'naïve café'],
      [null, null, null, null, null],
      ['abc12', 'f45', 'ab', '', 'abc123def45'],
    ]);
  });

  it('concat_ws skips nulls and joins arrays; a null separator gives null', () => {
    const r = run("SELECT concat_ws('-', k, s, v), concat_ws(',', arr), concat_ws(NULL, k), concat_ws('|') FROM t");
    expect(r.columns).toEqual(['concat_ws(-, k, s, v)', 'concat_ws(,, arr)', 'concat_ws(NULL, k)', 'concat_ws(|)']);
    expect(r.rows).toEqual([
      ['a-Hello, World-1', 'x,y', null, ''],
      ['a-naïve café', 'x', null, ''],
      ['b-3', '', null, ''],
      ['b-abc123def45-3', '', null, ''],
    ]);
    expect(run("SELECT concat_ws('-', 1.0, 2, CAST('2017-01-02' AS DATE)) AS c FROM t").rows[0]).toEqual(['1.0-2-2017-01-02']);
  });

  it("regexp_replace takes Java's replacement syntax and a start position", () => {
    const r = run("SELECT regexp_replace(s, '[0-9]+', '#'), regexp_replace(s, '(\\\\w+), (\\\\w+)', '$2 $1'), regexp_replace(s, 'l', 'L', 4) FROM t");
    expect(r.columns).toEqual(['regexp_replace(s, [0-9]+, #, 1)', 'regexp_replace(s, (\\w+), (\\w+), $2 $1, 1)', 'regexp_replace(s, l, L, 4)']);
    expect(r.rows).toEqual([
      ['Hello, World', 'World Hello', 'HelLo, WorLd'],
      ['naïve café', 'naïve café', 'naïve café'],
      [null, null, null],
      ['abc#def#', 'abc123def45', 'abc123def45'],
    ]);
    expect(run("SELECT regexp_replace('a$b', '\\\\$', 'X') AS x, regexp_replace('abc', 'b', '\\\\$') AS y FROM t").rows[0]).toEqual(['aXb', 'a$c']);
    expect(() => run("SELECT regexp_replace('abc', 'b', '$x') FROM t")).toThrow(/Illegal group reference/);
  });

  it("regexp_extract gives the group of the first match, '' when none; a group past the pattern's fails", () => {
    const r = run("SELECT regexp_extract(s, '([a-z]+)([0-9]+)', 2), regexp_extract(s, '([a-z]+)([0-9]+)', 0), regexp_extract(s, 'zzz(.)', 1), regexp_extract(s, '(\\\\w+)') FROM t");
    expect(r.columns).toEqual(['regexp_extract(s, ([a-z]+)([0-9]+), 2)', 'regexp_extract(s, ([a-z]+)([0-9]+), 0)', 'regexp_extract(s, zzz(.), 1)', 'regexp_extract(s, (\\w+), 1)']);
    expect(r.rows).toEqual([
      ['', '', '', 'Hello'],
      ['', '', '', 'na'],
      [null, null, null, null],
      ['123', 'abc123', '', 'abc123def45'],
    ]);
    expect(() => run("SELECT regexp_extract('abc', '(a)', 2) FROM t")).toThrow(
      '[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) `idx` in `regexp_extract` is invalid: Expects group index between 0 and 1, but got 2.',
    );
  });
});

describe("Java's regular expressions, as Spark reads them", () => {
  function one(sql: string): unknown[] {
    const spark = session();
    spark.createDataFrame([{ s: 'Hello, World!' }], 's STRING').createOrReplaceTempView('j');
    const df = spark.sql(sql);
    const row = df.collect()[0]!;
    return df.columns.map((c) => row[c]);
  }

  it('POSIX classes, \\A, \\Q…\\E, a leading (?i) and $0 mean what they mean in Java', () => {
    expect(one("SELECT regexp_replace(s, '\\\\p{Punct}', '') a, regexp_extract(s, '\\\\A(\\\\w+)', 1) b, regexp_replace(s, '\\\\Q, \\\\E', '_') c, regexp_replace(s, 'o', '[$0]') d, regexp_replace(s, '(?i)hello', 'X') e FROM j")).toEqual([
      'Hello World',
      'Hello',
      'Hello_World!',
      'Hell[o], W[o]rld!',
      'X, World!',
    ]);
    expect(one("SELECT split(s, '\\\\p{Punct}') a, s RLIKE '\\\\p{Punct}' b FROM j")).toEqual([['Hello', ' World', ''], true]);
  });

  it('a group the pattern has not, and what JavaScript cannot do, fail by name; an index is checked only on a match', () => {
    expect(() => one("SELECT regexp_replace(s, 'o', '$5') FROM j")).toThrow(/No group 5/);
    expect(() => one("SELECT regexp_replace(s, 'o++', 'x') FROM j")).toThrow(/possessive quantifiers/);
    expect(one("SELECT regexp_extract(s, 'x(y)', 3) a FROM j")).toEqual(['']);
  });
});

describe('number functions as Spark', () => {
  it('round is half away from zero on the decimal text, keeps an integer type; floor and ceil give a bigint', () => {
    const r = run('SELECT round(d), round(d, 2), round(d, -2), round(v, -1), round(v), floor(d), ceil(d), ceiling(d), floor(v) FROM t');
    expect(r.columns).toEqual(['round(d, 0)', 'round(d, 2)', 'round(d, -2)', 'round(v, -1)', 'round(v, 0)', 'FLOOR(d)', 'CEIL(d)', 'ceiling(d)', 'FLOOR(v)']);
    expect(r.types).toEqual(['double', 'double', 'double', 'int', 'int', 'bigint', 'bigint', 'bigint', 'bigint']);
    expect(r.rows).toEqual([
      [3, 2.68, 0, 0, 1, 2, 3, 3, 1],
      [-3, -2.5, 0, null, null, -3, -2, -2, null],
      [1, 0.5, 0, 0, 3, 0, 1, 1, 3],
      [1235, 1234.57, 1200, 0, 3, 1234, 1235, 1235, 3],
    ]);
    expect(Object.is(r.rows[1]![2], -0)).toBe(false); // round(-2.5, -2) is 0.0, not -0.0
    const x = run("SELECT round(CAST(15 AS INT), -1) AS a, round(CAST(-15 AS INT), -1) AS b, round(CAST(25 AS BIGINT), -1) AS c, round(0.125, 2) AS e, round(1.005, 2) AS f, round('2.5') AS g, floor('3.7') AS h FROM t");
    expect(x.rows[0]).toEqual([20, -20, 30, 0.13, 1.01, 3, 3]);
    // A scale past a double's digits leaves the value; floor and ceil give a BIGINT, as Java's (long) cast.
    const y = run("SELECT round(1000.5, 18) AS a, round(12345.678, 17) AS b, floor(CAST('NaN' AS DOUBLE)) AS c, ceil(1e300) AS e FROM t");
    expect(y.rows[0]).toEqual([1000.5, 12345.678, 0, 9223372036854775807n]); // exact: a BIGINT past 2^53 is a bigint
  });
});

describe('array functions as Spark', () => {
  it('size of a null array is -1; array_contains is null when not found but a null is there', () => {
    const r = run("SELECT size(arr), array_contains(arr, 'y'), array_contains(arr, 'z'), size(split(s, ',')) FROM t");
    expect(r.columns).toEqual(['size(arr)', 'array_contains(arr, y)', 'array_contains(arr, z)', 'size(split(s, ,, -1))']);
    expect(r.rows).toEqual([
      [3, true, null, 2],
      [1, false, false, 1],
      [-1, null, null, -1],
      [0, false, false, 1],
    ]);
  });

  it('array_contains of a value of another type is an analysis error', () => {
    expect(() => run("SELECT array_contains(split(s, ','), 2) FROM t")).toThrow(AnalysisException);
    expect(() => run("SELECT array_contains(split(s, ','), 2) FROM t")).toThrow(/ARRAY_FUNCTION_DIFF_TYPES.*\["ARRAY<STRING>", "INT"\]/);
  });
});

describe('collect aggregates and count of several columns as Spark', () => {
  it('collect_list keeps every non-null value, collect_set the distinct ones; count(a, b) counts rows with no null', () => {
    const r = run('SELECT k, collect_list(v), collect_set(v), count(DISTINCT k, v), count(k, v) FROM t GROUP BY k ORDER BY k');
    expect(r.columns).toEqual(['k', 'collect_list(v)', 'collect_set(v)', 'count(DISTINCT k, v)', 'count(k, v)']);
    expect(r.types).toEqual(['string', 'array<int>', 'array<int>', 'bigint', 'bigint']);
    expect(r.rows).toEqual([
      ['a', [1], [1], 1, 1],
      ['b', [3, 3], [3], 1, 2],
    ]);
    expect(run('SELECT count(DISTINCT k, v), collect_list(d) FROM t').rows).toEqual([[2, [2.675, -2.5, 0.5, 1234.5678]]]);
  });

  it('the DataFrame functions give the same names', () => {
    const spark = table();
    const df = spark.table('t');
    expect(
      df.select(F.round('d'), F.ceil('d'), F.floor('d'), F.substring('s', 2, 3), F.concat_ws('-', 'k', 's'), F.regexp_replace('s', 'a', 'b'), F.regexp_extract('s', '(a)', 1), F.size('arr'), F.array_contains('arr', 'x'), F.col('s').substr(2, 3))
        .columns,
    ).toEqual(['round(d, 0)', 'CEIL(d)', 'FLOOR(d)', 'substring(s, 2, 3)', 'concat_ws(-, k, s)', 'regexp_replace(s, a, b, 1)', 'regexp_extract(s, (a), 1)', 'size(arr)', 'array_contains(arr, x)', 'substring(s, 2, 3)']);
  });
});
