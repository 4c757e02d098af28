/**
 * A wrong argument to the DataFrame API from plain JavaScript fails at the call with a TypeError
 * naming the method, the argument, what it takes and what it got — as the DStream operators do.
 * Before, these failed inside the plan ("Cannot read properties of undefined (reading 'children')",
 * "b.toLowerCase is not a function", "names.map is not a function"), or read a string as a dict
 * (`agg('sum')`: "Cannot resolve function `s`"), or took the table for the save mode
 * (`write.jdbc(url, { user }, 'tbl')`: "Unknown save mode: tbl").
 */
import { describe, expect, it } from 'vitest';
import { MemoryStream, functions as F, type DataFrame } from '../../src/sql/index.js';
import { session } from './helpers.js';

/** The API called as JavaScript would: any argument, no type check. */
type Loose = (...args: unknown[]) => unknown;
const call = (target: object, method: string, ...args: unknown[]) => () => (target as unknown as Record<string, Loose>)[method]!.call(target, ...args);

const stream = (): DataFrame => {
  const m = new MemoryStream<{ a: number; b: string }>(session(), 'a INT, b STRING');
  m.addData({ a: 1, b: 'x' });
  return m.toDF();
};
const table = (): DataFrame => session().createDataFrame([{ a: 1, b: 'x' }, { a: 1, b: 'x' }, { a: 2, b: 'y' }], 'a INT, b STRING');

describe('filter and where', () => {
  it('refuse a JavaScript predicate, saying a Column or SQL text is expected', () => {
    for (const m of ['filter', 'where']) {
      const f = call(stream(), m, (r: { a: number }) => r.a > 0);
      expect(f).toThrow(TypeError);
      expect(f).toThrow(`${m} takes a Column or an SQL expression string, not a function (dstreams cannot run a JavaScript predicate over rows; use col(...) expressions`);
    }
  });

  it('refuse undefined and a number, naming what they got', () => {
    expect(call(stream(), 'where', undefined)).toThrow("where: the condition must be a Column or an SQL expression string (col('a').gt(0), 'a > 0'), got undefined");
    expect(call(stream(), 'filter', 5)).toThrow('filter: the condition must be a Column or an SQL expression string');
  });

  it("still take SQL text and Columns (PySpark's where('a > 1'))", () => {
    expect(table().where('a > 1').collect()).toEqual([{ a: 2, b: 'y' }]);
    expect(table().filter(F.col('a').gt(1)).collect()).toEqual([{ a: 2, b: 'y' }]);
  });
});

describe('withColumn', () => {
  it('refuses a value where the Column goes, saying to use lit', () => {
    expect(call(stream(), 'withColumn', 'c', 5)).toThrow('withColumn: col must be a Column, got 5 — a value is lit(value)');
    expect(call(stream(), 'withColumn', 'c', 'a')).toThrow("withColumn: col must be a Column, got the string 'a' — a column by name is col('a'), a text value lit('a')");
  });

  it('says the arguments are swapped when the Column comes first', () => {
    expect(call(stream(), 'withColumn', F.lit(1), 'c')).toThrow(
      "withColumn: colName must be the new column's name (a string), got a Column — the arguments are swapped: withColumn('c', column)",
    );
  });

  it('withColumnRenamed takes names', () => {
    expect(call(stream(), 'withColumnRenamed', F.col('a'), 'z')).toThrow('withColumnRenamed: existing must be a column name (a string), got a Column');
  });
});

describe('groupBy().agg', () => {
  it('refuses a lone string instead of reading it as a dict of its letters', () => {
    const gd = stream().groupBy('b');
    expect(call(gd, 'agg', 'sum')).toThrow(TypeError);
    expect(call(gd, 'agg', 'sum')).toThrow("agg: each aggregate must be a Column (F.sum('a')) or a dict { column: 'function' } ({ a: 'sum' }), got the string 'sum'");
  });

  it('refuses a dict whose value is not a function name, and undefined', () => {
    expect(call(stream().groupBy('b'), 'agg', { a: 5 })).toThrow("agg: a dict maps a column name to an aggregate function name ({ a: 'sum' }), got 5 for 'a'");
    expect(call(stream().groupBy('b'), 'agg', undefined)).toThrow('agg: each aggregate must be a Column');
  });

  it('groupBy refuses a JavaScript key function', () => {
    expect(call(stream(), 'groupBy', (r: { b: string }) => r.b)).toThrow('groupBy: column 1 must be a Column or a column name, not a function (dstreams cannot run a JavaScript function over rows');
  });

  it('still takes a dict and Columns', () => {
    expect(table().groupBy('b').agg({ a: 'sum' }).orderBy('b').collect()).toEqual([{ b: 'x', 'sum(a)': 2 }, { b: 'y', 'sum(a)': 2 }]);
    expect(table().agg(F.max('a')).collect()).toEqual([{ 'max(a)': 2 }]);
  });
});

describe('dropDuplicates', () => {
  it("refuses a lone string as PySpark does, saying to write ['a']", () => {
    expect(call(stream(), 'dropDuplicates', 'a')).toThrow("dropDuplicates: subset must be an array of column names, got the string 'a': write dropDuplicates(['a'])");
    expect(call(stream(), 'dropDuplicates', [5])).toThrow('dropDuplicates: subset must be an array of column names, got 5');
  });

  it('still takes no argument or an array', () => {
    expect(table().dropDuplicates().count()).toBe(2);
    expect(table().dropDuplicates(['a']).count()).toBe(2);
  });
});

describe('the other column and name arguments', () => {
  it('name the method and what they got', () => {
    expect(call(table(), 'orderBy', (r: { a: number }) => r.a)).toThrow('orderBy: column 1 must be a Column or a column name, not a function');
    expect(call(table(), 'drop', 5)).toThrow('drop: column 1 must be a Column or a column name, got 5');
    expect(call(table(), 'limit', '3')).toThrow("limit: num must be a whole number of rows ≥ 0, got the string '3'");
    expect(call(table(), 'join', {}, 'a')).toThrow('join: other must be a DataFrame, got an object (Object)');
    expect(call(table(), 'join', table(), 5)).toThrow('join: on must be a column name, an array of column names or a Column condition, got 5');
    expect(call(stream(), 'withWatermark', F.col('a'), '1 minute')).toThrow('withWatermark: eventTime must be a column name (a string), got a Column');
    expect(call(table().groupBy('b'), 'sum', F.col('a'))).toThrow('sum: each column must be a column name (for a Column: agg(F.sum(column))), got a Column');
  });
});

describe('df.write', () => {
  const url = 'jdbc:postgresql://127.0.0.1:5432/test';

  it('jdbc with the properties where the table goes says the order is (url, table, mode?, properties?)', async () => {
    const write = table().write;
    await expect(call(write, 'jdbc', url, { user: 'postgres' }, 'tbl')()).rejects.toThrow(TypeError);
    await expect(call(write, 'jdbc', url, { user: 'postgres' }, 'tbl')()).rejects.toThrow(
      "write.jdbc: table (the second argument) must be the table name, got an object (Object) — the connection properties go after the table, as PySpark's jdbc(url, table, mode?, properties?) and Scala's jdbc(url, table, properties): write jdbc(url, 'tbl', properties)",
    );
    await expect(call(write, 'jdbc', url)()).rejects.toThrow('write.jdbc: table must be the table name (a string), got undefined');
    await expect(call(write, 'jdbc', url, 't', 5)()).rejects.toThrow('write.jdbc: the third argument must be a save mode string or the connection properties { user, password }, got 5');
  });

  it('mode and option name a wrong value; mode takes Spark\'s "default"', () => {
    expect(call(table().write, 'mode', 5)).toThrow("write.mode: saveMode must be a save mode ('append', 'overwrite', 'ignore', 'error', 'errorifexists'), got 5");
    expect(call(table().write, 'option', 'k')).toThrow("write.option('k', value): value must be a string, number or boolean, got undefined");
    expect(() => table().write.mode('default')).not.toThrow();
  });
});

describe('df.writeStream', () => {
  it('names a wrong output mode, format, option, query name or path', () => {
    expect(call(stream().writeStream, 'outputMode', 5)).toThrow("writeStream.outputMode: outputMode must be an output mode ('append', 'update', 'complete'), got 5");
    expect(call(stream().writeStream, 'format', undefined)).toThrow("writeStream.format: source must be a sink format name ('console', 'kafka', …), got undefined");
    expect(call(stream().writeStream, 'option', 'k')).toThrow("writeStream.option('k', value): value must be a string, number or boolean, got undefined");
    expect(call(stream().writeStream, 'options', 'x')).toThrow("writeStream.options: options must be an object { name: value }, got the string 'x'");
    expect(call(stream().writeStream, 'queryName', 5)).toThrow('writeStream.queryName: queryName must be a non-empty string, got 5');
    expect(call(stream().writeStream, 'queryName', ' ')).toThrow("writeStream.queryName: queryName must be a non-empty string, got the string ' '");
    expect(call(stream().writeStream, 'start', 5)).toThrow('writeStream.start: path must be a path (a string), got 5');
  });
});
