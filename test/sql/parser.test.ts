import { describe, expect, it } from 'vitest';
import { functions as F } from '../../src/sql/index.js';
import { AnalysisException, ParseException } from '../../src/sql/errors.js';
import { parseExpression, parseNamedExpression } from '../../src/sql/parser.js';
import { session } from './helpers.js';

describe('selectExpr/expr parser: good expressions', () => {
  it('names columns as Spark does', () => {
    const names = [
      'CAST(value AS STRING)',
      'cast(id as long) id',
      'CAST(created_at as timestamp) created_at',
      'a + 1',
      'a * 2 + b',
      'NOT a > 1',
      'count(id)',
      'lower(s)',
      "split(s, ' ')",
      'CAST(a + 1 AS STRING)',
      'lower(CAST(v AS STRING))',
    ].map((t) => parseNamedExpression(t).name);
    expect(names).toEqual([
      'value', // Spark's ResolveAliases: a cast of a column keeps its name
      'id',
      'created_at',
      '(a + 1)',
      '((a * 2) + b)',
      '(NOT (a > 1))',
      'count(id)',
      'lower(s)',
      'split(s,  , -1)',
      'CAST((a + 1) AS STRING)',
      'lower(CAST(v AS STRING))',
    ]);
  });

  it('evaluates arithmetic, comparisons, AND/OR/NOT with SQL NULL semantics', () => {
    const spark = session();
    const df = spark.createDataFrame([{ a: 1, b: 2, s: 'x y', n: null }], 'a INT, b INT, s STRING, n INT');
    const [row] = df
      .selectExpr(
        'a + b * 3 AS x',
        'b / a AS d',
        '7 % 4 AS m',
        'a < b AND NOT (b = 3) AS t',
        'n > 1 OR a = 1 AS o',
        'n > 1 AND a = 1 AS u',
        'n IS NULL AS isn',
        "s || '!' AS c",
        "CASE WHEN a = 1 THEN 'one' ELSE 'other' END AS w",
        'a IN (3, 1) AS inn',
        '-a AS neg',
      )
      .collect();
    expect(row).toEqual({ x: 7, d: 2, m: 3, t: true, o: true, u: null, isn: true, c: 'x y!', w: 'one', inn: true, neg: -1 });
  });

  it('a string compared with a number or timestamp is cast to its type; one that does not convert compares as null', () => {
    const spark = session();
    const df = spark.createDataFrame([{ g: '0' }, { g: '2' }, { g: '' }, { g: 'n/a' }, { g: '1.5' }, { g: null }], 'g STRING');
    const gs = (d: typeof df) => d.collect().map((r) => r.g);
    expect(gs(df.where('g = 0'))).toEqual(['0']);
    expect(gs(df.where(F.col('g').equalTo(0)))).toEqual(['0']);
    expect(gs(df.where('g >= 2'))).toEqual(['2']);
    expect(gs(df.where('g != 0'))).toEqual(['2', '1.5']);
    // Spark casts '1.5' to int (1) to compare it with the int 1.
    expect(gs(df.where('g = 1'))).toEqual(['1.5']);
    expect(df.selectExpr('g = 0 AS eq', 'g <=> 0 AS ns').collect().map((r) => [r.eq, r.ns])).toEqual([
      [true, true], [false, false], [null, false], [null, false], [false, false], [null, false],
    ]);
    // IN promotes to string (findWiderCommonType): '0' is in (0, 2), '1.5' is not in (1).
    expect(gs(df.where('g IN (0, 2)'))).toEqual(['0', '2']);
    expect(gs(df.where('g IN (1)'))).toEqual([]);
    const ts = spark.createDataFrame([{ t: new Date(Date.UTC(2017, 10, 11)) }]);
    expect(ts.where("t = 'not a date'").count()).toBe(0);
    expect(ts.where("t = '2017-11-11'").count()).toBe(1);
    expect(ts.where("t IN ('2017-11-11 00:00:00')").count()).toBe(1);
  });

  it('a string compared with a fractional literal (5.0, 1e1, 5D) is cast to double, not truncated to int', () => {
    const spark = session();
    const df = spark.createDataFrame([{ p: '4.9' }, { p: '5' }, { p: '5.5' }, { p: '10' }], 'p STRING');
    const ps = (d: typeof df) => d.collect().map((r) => r.p);
    expect(ps(df.where('p > 5.0'))).toEqual(['5.5', '10']);
    expect(ps(df.where('p = 5.0'))).toEqual(['5']);
    expect(ps(df.where('p > 5D'))).toEqual(['5.5', '10']);
    expect(ps(df.where('p < 1e1'))).toEqual(['4.9', '5', '5.5']);
    // A whole number is an int, as in Spark: '5.5' = 5 after the cast to int.
    expect(ps(df.where('p = 5'))).toEqual(['5', '5.5']);
  });

  it('NaN equals NaN and sorts above every number; NaN and null group apart', () => {
    const spark = session();
    const df = spark.createDataFrame([{ a: 'x', d: NaN }, { a: 'x', d: null }, { a: 'x', d: 1e308 }, { a: 'x', d: NaN }], 'a STRING, d DOUBLE');
    expect(df.selectExpr('d = d AS eq').collect().map((r) => r.eq)).toEqual([true, null, true, true]);
    expect(df.where("d = CAST('NaN' AS DOUBLE)").count()).toBe(2);
    expect(df.where('d > 1e300').count()).toBe(3);
    expect(df.orderBy('d').collect().map((r) => r.d)).toEqual([null, 1e308, NaN, NaN]);
    expect(df.agg(F.max('d').alias('m')).collect()).toEqual([{ m: NaN }]);
    const groups = df.groupBy('a', 'd').count().collect().map((r) => [r.d, r.count]);
    expect(groups).toEqual([[NaN, 2], [null, 1], [1e308, 1]]);
    expect(df.groupBy('d').count().collect().map((r) => [r.d, r.count])).toEqual([[NaN, 2], [null, 1], [1e308, 1]]);
  });

  it('reads struct fields (a.b), array elements (a[i]) and function calls', () => {
    const spark = session();
    const df = spark
      .createDataFrame([{ raw: '{"venue": {"lat": "1.5"}, "topics": ["a", "b"]}' }])
      .selectExpr("from_json(raw, 'venue STRUCT<lat: STRING>, topics ARRAY<STRING>') AS j");
    expect(df.selectExpr('CAST(j.venue.lat AS DOUBLE) AS lat', 'j.topics[1] AS t', 'upper(j.topics[0]) AS u').collect()).toEqual([
      { lat: 1.5, t: 'b', u: 'A' },
    ]);
  });

  it("reads CAST(n AS TIMESTAMP) as epoch seconds and cast('long') of a timestamp back", () => {
    const spark = session();
    const [r] = spark.createDataFrame([{ v: 10 }]).selectExpr('CAST(v AS TIMESTAMP) AS t', 'CAST(CAST(v AS TIMESTAMP) AS LONG) AS back').collect();
    expect(r!.t).toEqual(new Date(10_000));
    expect(r!.back).toBe(10);
  });
});

describe('selectExpr/expr parser: errors name the bad token and its position', () => {
  const bad: [string, RegExp][] = [
    ['CAST(x AS )', /at or near '\)' \(position 10\).*expected a type name/],
    ['a +', /at or near end of input \(position 3\).*expected an expression/],
    ['(a + b', /end of input \(position 6\).*expected '\)'/],
    ["'unclosed", /unclosed string/],
    ['a # b', /at or near '#' \(position 2\)/],
    ['CAST(x AS notatype)', /at or near 'notatype' \(position 10\)/],
    ['a b c', /at or near 'c' \(position 4\).*expected end of expression/],
  ];
  for (const [text, message] of bad) {
    it(JSON.stringify(text), () => {
      expect(() => parseNamedExpression(text)).toThrow(ParseException);
      expect(() => parseNamedExpression(text)).toThrow(message);
    });
  }

  it("an unknown function fails as Spark's AnalysisException [UNRESOLVED_ROUTINE], with its line and position", () => {
    expect(() => parseNamedExpression('nosuchfn(a)')).toThrow(AnalysisException);
    expect(() => parseNamedExpression('nosuchfn(a)')).toThrow(
      '[UNRESOLVED_ROUTINE] Cannot resolve function `nosuchfn` on search path [`system`.`builtin`, `system`.`session`, `spark_catalog`.`default`].; line 1 pos 0',
    );
    expect(() => parseExpression('a +\n  nosuchfn(a)')).toThrow(/; line 2 pos 2$/);
  });

  it('an unknown column fails at selectExpr, naming the input columns', () => {
    const spark = session();
    const df = spark.createDataFrame([{ a: 1 }]);
    expect(() => df.selectExpr('b + 1')).toThrow("Column 'b' cannot be resolved; input columns: [a]");
    expect(() => parseExpression('a = ')).toThrow(/position 4/);
  });
});
