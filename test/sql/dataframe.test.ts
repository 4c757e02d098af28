import { describe, expect, it, vi } from 'vitest';
import { functions as F, StructType } from '../../src/sql/index.js';
import { meetupSchema, session } from './helpers.js';

describe('static DataFrames', () => {
  it("show() prints Spark's table: right-aligned, cut at 20 characters, null, doubles with a point", () => {
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
        '|                   x|  1.0|null|false|',
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

  it('printSchema writes the tree to stdout', () => {
    const spark = session();
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    spark.createDataFrame([], new StructType().add('id', 'long')).printSchema();
    expect(write).toHaveBeenCalledWith('root\n |-- id: long (nullable = true)\n\n');
    write.mockRestore();
  });
});
