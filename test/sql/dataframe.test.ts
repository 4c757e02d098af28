import { describe, expect, it, vi } from 'vitest';
import { AnalysisException, functions as F, StructType, type Column } from '../../src/sql/index.js';
import { formatFile } from '../../src/sql/fileFormats.js';
import { meetupSchema, session } from './helpers.js';

describe('static DataFrames', () => {
  it("show() prints Spark's table: right-aligned, cut at 20 characters, NULL, doubles with a point", () => {
    const spark = session();
    const df = spark.createDataFrame(
      [
        { name: 'Nationals teams training session', lat: 30.24, n: 1, ok: true },
        { name: 'x', lat: 1, n: null, ok: false },
      ],
      'name STRING, lat DOUBLE, n INT, ok BOOLEAN',
    );
    expect(df.showString()).toBe(
      [
        '+--------------------+-----+----+-----+',
        '|                name|  lat|   n|   ok|',
        '+--------------------+-----+----+-----+',
        '|Nationals teams t...|30.24|   1| true|',
        '|                   x|  1.0|NULL|false|',
        '+--------------------+-----+----+-----+',
        '',
      ].join('\n'),
    );
    expect(df.showString(1)).toMatch(/\nonly showing top 1 row\n$/);
  });

  it('select, withColumn, withColumnRenamed, drop, where, orderBy, limit, distinct', () => {
    const spark = session();
    const df = spark.createDataFrame([{ a: 3, b: 'x' }, { a: 1, b: 'y' }, { a: 2, b: 'x' }, { a: 2, b: 'x' }]);
    const out = df
      .withColumn('c', F.col('a').multiply(10))
      .withColumnRenamed('b', 'bb')
      .where(F.col('a').gt(1))
      .distinct()
      .orderBy(F.col('a').desc())
      .drop('bb')
      .limit(5)
      .collect();
    expect(out).toEqual([{ a: 3, c: 30 }, { a: 2, c: 20 }]);
    expect(df.where('a >= 2 AND b = "x"').count()).toBe(3);
  });

  it('groupBy().agg() with the column and dict forms (Listing 7.16)', () => {
    const spark = session();
    const trips = spark.createDataFrame([
      { StartTerminal: 7, StartStation: 'Paseo' },
      { StartTerminal: 7, StartStation: 'Paseo' },
      { StartTerminal: 65, StartStation: 'Townsend' },
    ]);
    const result = trips
      .select(trips.col('StartTerminal'), trips.col('StartStation'))
      .groupBy(trips.col('StartTerminal'), trips.col('StartStation'))
      .agg({ '*': 'count' });
    expect(result.columns).toEqual(['StartTerminal', 'StartStation', 'count(1)']);
    expect(result.orderBy('StartTerminal').collect()).toEqual([
      { StartTerminal: 7, StartStation: 'Paseo', 'count(1)': 2 },
      { StartTerminal: 65, StartStation: 'Townsend', 'count(1)': 1 },
    ]);
  });

  it("from_json with seed 004's nested schema; malformed JSON gives all-null fields (PERMISSIVE)", () => {
    const spark = session();
    const raw = spark.createDataFrame([
      { value: JSON.stringify({ venue: { lat: '30.26' }, response: 'yes', mtime: 1629054000000, group: { group_topics: [{ urlkey: 'k', topic_name: 't' }], group_city: 'Austin' } }) },
      { value: '{not json' },
    ]);
    const parsed = raw.select(F.from_json(F.col('value'), meetupSchema()).alias('data')).select('data.*');
    const rows = parsed.collect();
    expect(rows[0]!.response).toBe('yes');
    expect(rows[0]!.mtime).toBe('1629054000000');
    expect((rows[0]!.venue as { lat: string }).lat).toBe('30.26');
    expect(parsed.select(F.col('group.group_topics')).collect()[0]).toEqual({ group_topics: [{ urlkey: 'k', topic_name: 't' }] });
    expect(Object.values(rows[1]!).every((v) => v === null)).toBe(true);
    expect(Object.keys(rows[1]!)).toEqual(meetupSchema().fieldNames);
  });

  it('functions: split/explode, lower/upper, concat, when/otherwise, date_format, to_timestamp, to_json', () => {
    const spark = session();
    const df = spark.createDataFrame([{ s: 'A b', t: '2017-11-11 10:20:30' }]);
    expect(df.select(F.explode(F.split('s', ' ')).alias('w')).collect()).toEqual([{ w: 'A' }, { w: 'b' }]);
    const [r] = df
      .select(
        F.lower('s').alias('l'),
        F.upper(F.col('s')).alias('u'),
        F.concat('s', F.lit('!')).alias('c'),
        F.when(F.col('s').equalTo('A b'), 'yes').otherwise('no').alias('w'),
        F.date_format(F.to_timestamp('t'), 'yyyy/MM/dd HH:mm').alias('d'),
        F.to_timestamp(F.lit('11.11.2017'), 'dd.MM.yyyy').alias('p'),
        F.to_json(F.col('s')).alias('j'),
      )
      .collect();
    expect(r).toEqual({ l: 'a b', u: 'A B', c: 'A b!', w: 'yes', d: '2017/11/11 10:20', p: new Date(Date.UTC(2017, 10, 11)), j: '"A b"' });
  });

  it('joins: inner and left outer on columns', () => {
    const spark = session();
    const a = spark.createDataFrame([{ k: 1, x: 'a' }, { k: 2, x: 'b' }]);
    const b = spark.createDataFrame([{ k: 1, y: 'one' }]);
    expect(a.join(b, 'k').collect()).toEqual([{ k: 1, x: 'a', y: 'one' }]);
    expect(a.join(b, ['k'], 'left').collect()).toEqual([{ k: 1, x: 'a', y: 'one' }, { k: 2, x: 'b', y: null }]);
  });

  it('a join whose sides share a column name other than USING columns is refused, naming it (a row cannot hold both)', () => {
    const spark = session();
    const a = spark.createDataFrame([{ uid: 1, name: 'stream-one' }]);
    const b = spark.createDataFrame([{ id: 1, name: 'static-one' }]);
    expect(() => a.join(b, a.col('uid').equalTo(b.col('id')), 'left_outer')).toThrow(/both sides of the join have the column\(s\) `name`/);
    expect(() => a.join(b, 'name')).not.toThrow();
    // A semi join outputs the left rows, but its condition is evaluated on a merged row too.
    expect(() => a.join(b, a.col('name').equalTo(b.col('name')), 'left_semi')).toThrow(/`name`/);
    expect(a.join(b, 'name', 'left_semi').collect()).toEqual([]);
    expect(a.join(b.withColumnRenamed('name', 'static_name'), a.col('uid').equalTo(F.col('id'))).collect()).toEqual([
      { uid: 1, name: 'stream-one', id: 1, static_name: 'static-one' },
    ]);
  });

  it('count(DISTINCT x), countDistinct and sum(DISTINCT x) count each value once', () => {
    const spark = session();
    const df = spark.createDataFrame([{ k: 'a', x: 1 }, { k: 'a', x: 1 }, { k: 'a', x: 2 }, { k: 'a', x: null }], 'k STRING, x INT');
    expect(df.groupBy('k').agg(F.countDistinct('x').alias('c')).collect()).toEqual([{ k: 'a', c: 2 }]);
    df.createOrReplaceTempView('distinct_t');
    expect(spark.sql('select k, count(distinct x) as c, sum(distinct x) as s, count(x) as n from distinct_t group by k').collect()).toEqual([
      { k: 'a', c: 2, s: 3, n: 3 },
    ]);
  });

  it('spark.sql runs SELECT over temp views: WHERE, GROUP BY, ORDER BY, LIMIT', () => {
    const spark = session();
    spark.createDataFrame([{ loc: 'a', n: 1 }, { loc: 'b', n: 5 }, { loc: 'a', n: 2 }]).createOrReplaceTempView('t');
    expect(spark.sql('select loc, sum(n) as total, count(*) from t where n > 0 group by loc order by total desc limit 1').collect()).toEqual([
      { loc: 'b', total: 5, 'count(1)': 1 },
    ]);
    expect(spark.sql('SELECT * FROM t').count()).toBe(3);
    expect(() => spark.sql('select * from nope')).toThrow('Table or view not found: nope');
    expect(() => spark.sql('select loc from t where')).toThrow(/end of input/);
  });

  it('spark.sql ORDER BY n sorts by the n-th select item; a position out of range fails', () => {
    const spark = session();
    spark.createDataFrame(['b', 'a', 'a', 'c', 'c', 'c'].map((w) => ({ w }))).createOrReplaceTempView('words');
    expect(spark.sql('SELECT w, count(*) AS c FROM words GROUP BY w ORDER BY 2 DESC').collect()).toEqual([
      { w: 'c', c: 3 },
      { w: 'a', c: 2 },
      { w: 'b', c: 1 },
    ]);
    expect(spark.sql('SELECT * FROM words ORDER BY 1 LIMIT 3').collect()).toEqual([{ w: 'a' }, { w: 'a' }, { w: 'b' }]);
    // Not an ordinal: a decimal literal is a constant, so the order stays the input's.
    expect(spark.sql('SELECT w FROM words ORDER BY 1.0').collect().map((r) => r.w)).toEqual(['b', 'a', 'a', 'c', 'c', 'c']);
    expect(() => spark.sql('SELECT w, count(*) FROM words GROUP BY w ORDER BY 3')).toThrow(
      'ORDER BY position 3 is not in select list (valid range is [1, 2])',
    );
    expect(() => spark.sql('SELECT w FROM words ORDER BY 0')).toThrow(AnalysisException);
  });

  it('a grouped SELECT may hold literals and functions of the grouping expressions; a column outside them fails', () => {
    const spark = session();
    spark.createDataFrame([{ a: 'x', c: 1 }, { a: 'x', c: 2 }, { a: 'y', c: 3 }]).createOrReplaceTempView('t');
    expect(spark.sql("SELECT a, 1 AS one, 'k' AS k, upper(a) AS u, count(*) + 1 AS n FROM t GROUP BY a ORDER BY a").collect()).toEqual([
      { a: 'x', one: 1, k: 'k', u: 'X', n: 3 },
      { a: 'y', one: 1, k: 'k', u: 'Y', n: 2 },
    ]);
    expect(spark.sql('SELECT upper(a) AS ua, count(*) AS n FROM t GROUP BY upper(a) ORDER BY ua').collect()).toEqual([
      { ua: 'X', n: 2 },
      { ua: 'Y', n: 1 },
    ]);
    expect(() => spark.sql('SELECT a, c FROM t GROUP BY a')).toThrow("expression 'c' is neither present in the group by, nor is it an aggregate function");
    spark.createDataFrame([{ s: { x: 1, y: 'p' } }, { s: { x: 1, y: 'q' } }]).createOrReplaceTempView('nested');
    expect(spark.sql('SELECT s.x, count(*) AS n FROM nested GROUP BY s.x').collect()).toEqual([{ x: 1, n: 2 }]);
    expect(() => spark.sql('SELECT a, c + sum(c) AS z FROM t GROUP BY a')).toThrow(AnalysisException);
  });

  it('spark.sql ORDER BY may read columns the SELECT does not list, and its aliases', () => {
    const spark = session();
    spark.createDataFrame([{ a: 'x', b: 3, c: 1 }, { a: 'y', b: 1, c: 2 }, { a: 'z', b: 2, c: 3 }]).createOrReplaceTempView('o');
    expect(spark.sql('SELECT a FROM o ORDER BY b').collect()).toEqual([{ a: 'y' }, { a: 'z' }, { a: 'x' }]);
    expect(spark.sql('SELECT a AS name FROM o ORDER BY b + c, name').collect()).toEqual([{ name: 'y' }, { name: 'x' }, { name: 'z' }]);
    expect(spark.sql('SELECT upper(a) AS u FROM o ORDER BY u DESC LIMIT 2').collect()).toEqual([{ u: 'Z' }, { u: 'Y' }]);
    expect(() => spark.sql('SELECT a FROM o ORDER BY nope')).toThrow(/Column 'nope' cannot be resolved/);
    // An ordinal naming an unaliased expression, with a column the SELECT does not list.
    expect(spark.sql('SELECT b + 1, a FROM o ORDER BY 1 DESC, c').collect().map((r) => r.a)).toEqual(['x', 'z', 'y']);
  });

  it('spark.sql HAVING filters groups by aggregates the SELECT need not list', () => {
    const spark = session();
    spark.createDataFrame([{ a: 'x', c: 1 }, { a: 'x', c: 2 }, { a: 'y', c: 3 }]).createOrReplaceTempView('t');
    expect(spark.sql('SELECT a, count(*) AS n FROM t GROUP BY a HAVING count(*) > 1').collect()).toEqual([{ a: 'x', n: 2 }]);
    expect(spark.sql('SELECT a FROM t GROUP BY a HAVING sum(c) > 2 AND max(c) < 3').collect()).toEqual([{ a: 'x' }]);
    expect(spark.sql("SELECT count(*) AS n FROM t GROUP BY a HAVING a <> 'x'").collect()).toEqual([{ n: 1 }]);
    expect(spark.sql('SELECT count(*) AS n FROM t HAVING count(*) > 2').collect()).toEqual([{ n: 3 }]);
    expect(spark.sql('SELECT a, count(*) AS n FROM t GROUP BY a HAVING n > 1').columns).toEqual(['a', 'n']);
  });

  it('spark.sql GROUP BY n groups by the n-th select item; an aggregate or a position out of range fails', () => {
    const spark = session();
    spark.createDataFrame([{ a: 'x', c: 1 }, { a: 'x', c: 2 }, { a: 'y', c: 3 }]).createOrReplaceTempView('t');
    expect(spark.sql('SELECT a AS key, count(*) AS n FROM t GROUP BY 1 ORDER BY 1').collect()).toEqual([
      { key: 'x', n: 2 },
      { key: 'y', n: 1 },
    ]);
    expect(spark.sql('SELECT upper(a) AS u, sum(c) AS s FROM t GROUP BY 1 ORDER BY 1').collect()).toEqual([
      { u: 'X', s: 3 },
      { u: 'Y', s: 3 },
    ]);
    expect(() => spark.sql('SELECT a, sum(c) FROM t GROUP BY 2')).toThrow('GROUP BY 2 refers to an expression that contains an aggregate function');
    expect(() => spark.sql('SELECT a, sum(c) FROM t GROUP BY 3')).toThrow('GROUP BY position 3 is not in select list (valid range is [1, 2])');
  });

  it('a double turned into text is written as Java writes it: 40.0, 1.0E7, 1.0E-4 (CAST, concat, ||, show, CSV)', () => {
    const spark = session();
    spark.createDataFrame([{ a: 'x', b: 40, n: 40 }, { a: 'y', b: 1e7, n: 1e7 }, { a: 'z', b: 0.0001, n: 0 }]).createOrReplaceTempView('d');
    const q = spark.sql("SELECT CAST(CAST(b AS DOUBLE) AS STRING) AS s, concat(a, avg(b)) AS c, a || CAST(b AS DOUBLE) AS p, CAST(n AS STRING) AS i FROM d GROUP BY a, b, n ORDER BY c");
    expect(q.collect()).toEqual([
      { s: '40.0', c: 'x40.0', p: 'x40.0', i: '40' },
      { s: '1.0E7', c: 'y1.0E7', p: 'y1.0E7', i: '10000000' },
      { s: '1.0E-4', c: 'z1.0E-4', p: 'z1.0E-4', i: '0' },
    ]);
    expect(spark.sql('SELECT CAST(40.0 AS STRING) AS s, CAST(1.5E7 AS STRING) AS t').collect()).toEqual([{ s: '40.0', t: '1.5E7' }]);
    // Text to a whole number as Spark's UTF8String.toInt: a fraction dropped, out of range null.
    expect(spark.sql("SELECT CAST('12.9' AS INT) AS a, CAST('3000000000' AS INT) AS b, CAST('3000000000' AS BIGINT) AS c, CAST('99999999999999999999' AS BIGINT) AS d").collect()).toEqual([
      { a: 12, b: null, c: 3_000_000_000, d: null },
    ]);
    // No exponent (UTF8String.toInt), and the long's range compared exactly (2^63 rounds as a double).
    expect(spark.sql("SELECT CAST('1e3' AS INT) AS e, CAST('9223372036854775808' AS BIGINT) AS f, CAST('-9223372036854775809' AS BIGINT) AS g, CAST('-0' AS INT) AS h").collect()).toEqual([
      { e: null, f: null, g: null, h: 0 },
    ]);
    expect(spark.sql("SELECT upper(CAST(b AS DOUBLE)) AS u, length(CAST(b AS DOUBLE)) AS l FROM d WHERE a = 'x'").collect()).toEqual([{ u: '40.0', l: 4 }]);
    const shown = spark.sql('SELECT CAST(b AS DOUBLE) AS v FROM d').showString();
    expect(shown).toContain('|  40.0|');
    expect(shown).toContain('| 1.0E7|');
    expect(shown).toContain('|1.0E-4|');
    const doubles = spark.sql('SELECT a, CAST(b AS DOUBLE) AS v FROM d');
    expect(formatFile(doubles.collect(), 'csv', doubles.schema, {})).toBe('x,40.0\ny,1.0E7\nz,1.0E-4\n');
  });

  it('split with a limit keeps the rest of the text verbatim as the last piece; without one, trailing empty pieces stay', () => {
    const spark = session();
    const df = spark.createDataFrame([{ s: 'a,b;c;d' }, { s: 'k1=v=1' }, { s: 'x,y,,' }]);
    const xs = (c: Column) => df.select(c.alias('x')).collect().map((r) => r.x);
    expect(xs(F.split('s', '[,;]', 2))).toEqual([['a', 'b;c;d'], ['k1=v=1'], ['x', 'y,,']]);
    expect(xs(F.expr("split(s, '\\\\s*[,;=]\\\\s*', 2)"))).toEqual([['a', 'b;c;d'], ['k1', 'v=1'], ['x', 'y,,']]);
    expect(xs(F.split('s', ',', 3))).toEqual([['a', 'b;c;d'], ['k1=v=1'], ['x', 'y', ',']]);
    expect(xs(F.split('s', '[,;]'))).toEqual([['a', 'b', 'c', 'd'], ['k1=v=1'], ['x', 'y', '', '']]);
    expect(xs(F.split('s', ',', 0))).toEqual([['a', 'b;c;d'], ['k1=v=1'], ['x', 'y', '', '']]);
    expect(xs(F.split('s', '', 3))).toEqual([['a', ',', 'b;c;d'], ['k', '1', '=v=1'], ['x', ',', 'y,,']]);
  });

  it('date_format and to_timestamp: MMM/MMMM are month names, E/EEEE day names; an unsupported letter fails naming it', () => {
    const spark = session();
    const df = spark.createDataFrame([{ ts: new Date(Date.UTC(2017, 10, 11, 14, 5, 6, 78)), log: '11/nov/2017:10:20:30' }]);
    const [r] = df
      .select(
        F.date_format('ts', 'dd MMM yyyy').alias('a'),
        F.date_format('ts', 'EEEE, MMMM d').alias('b'),
        F.date_format('ts', "E hh:mm a 'o''clock' yy-M-d H:m:s.SS").alias('c'),
        F.date_format('ts', "yyyy-MM-dd'T'HH:mm:ss.SSS").alias('d'),
        F.to_timestamp('log', 'dd/MMM/yyyy:HH:mm:ss').alias('p'),
        F.to_timestamp(F.lit('November 5, 2017 09:05 PM'), 'MMMM d, yyyy hh:mm a').alias('q'),
        F.to_timestamp(F.lit('2017-11-11T10:20:30.5'), "yyyy-MM-dd'T'HH:mm:ss.SSS").alias('t'),
        F.to_timestamp(F.lit('31/Nov/2017'), 'dd/MMM/yyyy').alias('bad'),
      )
      .collect();
    expect(r).toEqual({
      a: '11 Nov 2017',
      b: 'Saturday, November 11',
      c: "Sat 02:05 PM o'clock 17-11-11 14:5:6.07",
      d: '2017-11-11T14:05:06.078',
      p: new Date(Date.UTC(2017, 10, 11, 10, 20, 30)),
      q: new Date(Date.UTC(2017, 10, 5, 21, 5)),
      t: new Date(Date.UTC(2017, 10, 11, 10, 20, 30, 500)),
      bad: null,
    });
    expect(() => df.select(F.date_format('ts', 'yyyy-MM-dd z'))).toThrow(/pattern letter 'z' is not supported/);
    expect(() => df.select(F.date_format('ts', 'D'))).toThrow(/'D'/);
    expect(() => df.select(F.to_timestamp('log', 'yyyy QQ'))).toThrow(/'Q'/);
    expect(() => df.select(F.date_format('ts', 'MMMMM'))).toThrow(/too many pattern letters: M/);
  });

  it('sum and avg of a string column cast it to double: text that is not a number is skipped', () => {
    const spark = session();
    const df = spark.createDataFrame([{ v: '2' }, { v: ' 4 ' }, { v: '' }, { v: ' ' }, { v: 'n/a' }, { v: '0x10' }, { v: null }], 'v STRING');
    expect(df.agg(F.avg('v').alias('a'), F.sum('v').alias('s'), F.count('v').alias('n')).collect()).toEqual([{ a: 3, s: 6, n: 6 }]);
    const blanks = spark.createDataFrame([{ v: '' }, { v: ' ' }], 'v STRING');
    expect(blanks.agg(F.sum('v').alias('s'), F.avg('v').alias('a')).collect()).toEqual([{ s: null, a: null }]);
  });

  it('trim, ltrim and rtrim remove spaces only, not tabs or newlines', () => {
    const spark = session();
    const df = spark.createDataFrame([{ t: '  \tabc\n  ' }]);
    expect(df.select(F.trim('t').alias('a'), F.ltrim('t').alias('l'), F.rtrim('t').alias('r')).collect()).toEqual([
      { a: '\tabc\n', l: '\tabc\n  ', r: '  \tabc\n' },
    ]);
    expect(df.selectExpr('trim(t) AS a').collect()).toEqual([{ a: '\tabc\n' }]);
  });

  it('length counts characters (code points), not UTF-16 units', () => {
    const spark = session();
    const df = spark.createDataFrame([{ e: '😀x', a: 'abc' }]);
    expect(df.select(F.length('e').alias('e'), F.length('a').alias('a')).collect()).toEqual([{ e: 2, a: 3 }]);
  });

  it('count(NULL) is 0, while count(1) and count(*) count rows', () => {
    const spark = session();
    const df = spark.createDataFrame([{ x: 1 }, { x: null }], 'x INT');
    expect(df.agg(F.count(F.lit(null)).alias('n'), F.count(F.lit(1)).alias('one'), F.count('*').alias('all')).collect()).toEqual([
      { n: 0, one: 2, all: 2 },
    ]);
    df.createOrReplaceTempView('count_null');
    expect(spark.sql('SELECT count(NULL), count(1) FROM count_null').collect()).toEqual([{ 'count(NULL)': 0, 'count(1)': 2 }]);
  });

  it('printSchema writes the tree to stdout', () => {
    const spark = session();
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    spark.createDataFrame([], new StructType().add('id', 'long')).printSchema();
    expect(write).toHaveBeenCalledWith('root\n |-- id: long (nullable = true)\n\n');
    write.mockRestore();
  });
});
