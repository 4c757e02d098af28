/**
 * from_json / to_json and the JSON and CSV file formats, checked against Spark 3.5.1 (local,
 * session time zone UTC): each expected value is what Spark gave for the same document.
 */
import { describe, expect, it } from 'vitest';
import { formatFile, parseFile } from '../../src/sql/fileFormats.js';
import { parseJsonRow } from '../../src/sql/json.js';
import { toJsonText } from '../../src/sql/jsonWrite.js';
import { StructType, Types, toSchema } from '../../src/sql/types.js';
import { castValue, typedString } from '../../src/sql/values.js';
import { session } from './helpers.js';

const ts = (s: string) => new Date(s);
/** A row's values as CAST(x AS STRING) text under `schema` (null stays null). */
function texts(row: Record<string, unknown> | null, schema: StructType): (string | null)[] | null {
  return row === null ? null : schema.fields.map((f) => (row[f.name] === null ? null : typedString(row[f.name], f.dataType)));
}

describe('from_json (PERMISSIVE, Spark 3.5 partial results)', () => {
  const schema = toSchema('a INT, b STRING, c DOUBLE, t TIMESTAMP, arr ARRAY<INT>, o STRUCT<p: BOOLEAN>') as StructType;

  it('a value that does not fit its type is NULL and the rest of the row is kept (json.sql)', () => {
    const docs = [
      '{"a": 1, "b": "x", "c": 1.5, "t": "2017-01-01 10:00:00", "arr": [1,2], "o": {"p": true}}',
      '{"a": "12", "b": 7, "c": "2.5", "t": 1500000000, "arr": null, "o": {"p": "true"}}',
      '{"a": 12.5, "b": {"z": 1.0}, "c": 3, "t": "2017-01-01T10:00:00.5Z", "arr": [1, "x"], "o": null}',
      '{bad json',
      '{"a": 99999999999, "b": [1, 2.50], "c": null, "t": "2017-02-30"}',
      '{"a": 2, "b": "ok", "c": 2.0, "t": "2017-02-30"}',
    ];
    expect(docs.map((d) => parseJsonRow(d, schema))).toEqual([
      { a: 1, b: 'x', c: 1.5, t: ts('2017-01-01T10:00:00Z'), arr: [1, 2], o: { p: true } },
      { a: null, b: '7', c: null, t: ts('2017-07-14T02:40:00Z'), arr: null, o: { p: null } },
      { a: null, b: '{"z":1.0}', c: 3, t: ts('2017-01-01T10:00:00.500Z'), arr: null, o: null },
      { a: null, b: null, c: null, t: null, arr: null, o: null },
      { a: null, b: '[1,2.5]', c: null, t: null, arr: null, o: null },
      { a: 2, b: 'ok', c: 2, t: null, arr: null, o: null },
    ]);
    expect(parseJsonRow(null, schema)).toBeNull();
  });

  it('through spark.sql, with to_json of the result', () => {
    const spark = session();
    spark
      .createDataFrame([{ v: '{"a": "12", "b": 7, "c": "2.5", "t": 1500000000, "arr": null, "o": {"p": "true"}}' }], 'v STRING')
      .createOrReplaceTempView('j');
    const r = spark.sql("SELECT from_json(v, 'a INT, b STRING, c DOUBLE, t TIMESTAMP, arr ARRAY<INT>, o STRUCT<p: BOOLEAN>') j FROM j").collect()[0]!;
    expect(r.j).toEqual({ a: null, b: '7', c: null, t: ts('2017-07-14T02:40:00Z'), arr: null, o: { p: null } });
    expect(spark.sql("SELECT to_json(from_json(v, 'b STRING, t TIMESTAMP, o STRUCT<p: BOOLEAN>')) x FROM j").collect()[0]!.x).toBe(
      '{"b":"7","t":"2017-07-14T02:40:00.000Z","o":{}}',
    );
  });

  it('the document: the first value only; blank text NULL; not an object, or malformed, a row of NULLs', () => {
    const s = toSchema('a INT, b BIGINT') as StructType;
    const cases: [string, unknown][] = [
      ['{"a": 1} trailing', { a: 1, b: null }],
      ['{"a": 1}{"a": 2}', { a: 1, b: null }],
      ['', null],
      ['   ', null],
      ['[{"a": 1}, {"a": 2}]', { a: null, b: null }],
      ['5', { a: null, b: null }],
      ['"x"', { a: null, b: null }],
      ['null', { a: null, b: null }],
      ["{'a': 3}", { a: 3, b: null }],
      ['{"a": 01}', { a: null, b: null }],
      ['{"a": 1.0}', { a: null, b: null }],
      ['{"a": -0}', { a: 0, b: null }],
      ['{"a": 2147483647, "b": 2147483648}', { a: 2147483647, b: 2147483648 }],
      ['{"a": 2147483648}', { a: null, b: null }],
      ['{"a": 1, "a": "x"}', { a: 1, b: null }],
      ['{"a": "x", "a": 4}', { a: 4, b: null }],
      ['{"a": 1e2}', { a: null, b: null }],
      ['{"a": true}', { a: null, b: null }],
      ['{"a": 1,}', { a: null, b: null }],
      ['{a: 1}', { a: null, b: null }],
    ];
    for (const [doc, want] of cases) expect([doc, parseJsonRow(doc, s)]).toEqual([doc, want]);
  });

  it('a field the schema does not name is read past, not built — and a malformed one still makes the document malformed', () => {
    const s = toSchema('a INT') as StructType;
    expect(parseJsonRow('{"x": {"y": [1, "two", {"z": null}], "w": \'q\'}, "a": 7}', s)).toEqual({ a: 7 });
    expect(parseJsonRow('{"x": {"y": [1, 2,]}, "a": 7}', s)).toEqual({ a: null });
    expect(parseJsonRow('{"x": "bad \\q escape", "a": 7}', s)).toEqual({ a: null });
    expect(parseJsonRow('{"x": 01, "a": 7}', s)).toEqual({ a: null });
    // A field named __proto__ is a field, not the row's prototype.
    const p = parseJsonRow('{"__proto__": 5, "a": 1}', toSchema('`__proto__` INT, a INT') as StructType)!;
    expect(Object.keys(p)).toEqual(['__proto__', 'a']);
    expect(p['__proto__']).toBe(5);
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
  });

  it('a document nested deeper than the stack is malformed (a row of NULLs), not the end of the query', () => {
    const s = toSchema('id LONG') as StructType;
    const deep = `{"id": 1, "x": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    expect(parseJsonRow(deep, s)).toEqual({ id: null });
    expect(parseJsonRow('{"id": 2, "x": [[[1]]]}', s)).toEqual({ id: 2 });
  });

  it('a STRING field takes any value as Jackson writes it', () => {
    const s = toSchema('s STRING') as StructType;
    const cases: [string, string | null][] = [
      ['{"s": 12345678901234567890123}', '12345678901234567890123'],
      ['{"s": 1e2}', '100.0'],
      ['{"s": -0}', '0'],
      ['{"s": -0.0}', '-0.0'],
      ['{"s": 1.5E-7}', '1.5E-7'],
      ['{"s": 1e400}', '"Infinity"'],
      ['{"s": {"k": "a\\"b\\u0001c/\\u00e9", "n": null, "t": [true, false, 1.25e10]}}', '{"k":"a\\"b\\u0001c/é","n":null,"t":[true,false,1.25E10]}'],
      ['{"s": NaN}', '"NaN"'],
      ['{"s": "plain"}', 'plain'],
      ['{"s": [ 1 , 2 ]}', '[1,2]'],
      ['{"s": 0.1}', '0.1'],
      ['{"s": 123456789012345678}', '123456789012345678'],
      ['{"s": 1.0E10}', '1.0E10'],
      ['{"s": -Infinity}', '"-Infinity"'],
      ["{\"s\": 'sq'}", 'sq'],
    ];
    for (const [doc, want] of cases) expect([doc, parseJsonRow(doc, s)!.s]).toEqual([doc, want]);
  });

  it('DATE, TIMESTAMP and DOUBLE fields', () => {
    const s = toSchema('d DATE, t TIMESTAMP, x DOUBLE') as StructType;
    const cases: [string, (string | null)[]][] = [
      ['{"d": "100", "t": 1500000000.5, "x": "NaN"}', ['1970-04-11', null, 'NaN']],
      ['{"d": "2017-01-01T10:00:00", "t": "", "x": "Infinity"}', ['2017-01-01', null, 'Infinity']],
      ['{"d": "2017-01-01 garbage", "t": "2017-01-01 10:00:00 GMT", "x": "-INF"}', ['2017-01-01', '2017-01-01 10:00:00', '-Infinity']],
      ['{"d": "-5", "t": "2017-01-01 10:00:00 PST", "x": "inf"}', ['1969-12-27', '2017-01-01 18:00:00', null]],
      ['{"d": 17000, "t": true, "x": NaN}', [null, null, 'NaN']],
      ['{"d": "17000", "t": "1500000000", "x": " 1.5"}', ['+17000-01-01', null, null]],
      ['{"d": "", "t": "2017-01-01 10:00Z", "x": 1}', [null, null, '1.0']],
      ['{"d": "2017", "t": "2017", "x": 1e400}', ['2017-01-01', '2017-01-01 00:00:00', 'Infinity']],
      ['{"d": " 2017-01-05", "x": "+Infinity"}', ['2017-01-05', null, 'Infinity']],
      ['{"d": "2017-1-5", "x": -0.0}', ['2017-01-05', null, '-0.0']],
      ['{"t": "2017-01-01T10:00:00.123456789+01:00"}', [null, '2017-01-01 09:00:00.123', null]], // Spark: .123456
      // Spark fails the query here (SparkUpgradeException: the pre-3.0 parser read these); dstreams gives NULL.
      ['{"d": "2017-02-29", "t": "2017-02-29 10:00:00"}', [null, null, null]],
    ];
    for (const [doc, want] of cases) expect([doc, texts(parseJsonRow(doc, s), s)]).toEqual([doc, want]);
  });

  it('arrays: one bad element makes the array NULL; a struct keeps the fields that fit', () => {
    const s = toSchema('arr ARRAY<STRUCT<p: INT, q: INT>>, aa ARRAY<ARRAY<INT>>, o STRUCT<i: STRUCT<p: INT, q: INT>, r: ARRAY<INT>>') as StructType;
    expect(parseJsonRow('{"arr": [{"p": 1, "q": "bad"}, {"p": "bad", "q": 2}], "aa": [[1, 2], [3, "x"]], "o": {"i": {"p": "x", "q": 1}, "r": [1, "z"]}}', s)).toEqual({
      arr: [{ p: 1, q: null }, { p: null, q: 2 }],
      aa: null,
      o: { i: { p: null, q: 1 }, r: null },
    });
    expect(parseJsonRow('{"arr": [1, {"p": 1}], "aa": [1], "o": [1]}', s)).toEqual({ arr: null, aa: null, o: null });
    expect(parseJsonRow('{"arr": [null, {}], "aa": [[], null], "o": {}}', s)).toEqual({
      arr: [null, { p: null, q: null }],
      aa: [[], null],
      o: { i: null, r: null },
    });
  });
});

describe('to_json and the JSON / CSV writers', () => {
  it('dates, timestamps (3 fraction digits), doubles as Java writes them, null fields left out (tojson.sql)', () => {
    const s = toSchema('d DATE, t TIMESTAMP, x DOUBLE, n INT') as StructType;
    const row = parseJsonRow('{"d": "2017-01-01", "t": "2017-01-01 10:00:00.5", "x": 2.0, "n": null}', s);
    expect(toJsonText(row, s)).toBe('{"d":"2017-01-01","t":"2017-01-01T10:00:00.500Z","x":2.0}');
    // Without the type a DATE still writes as a date (a DateValue), a timestamp as a timestamp.
    expect(toJsonText(row)).toBe('{"d":"2017-01-01","t":"2017-01-01T10:00:00.500Z","x":2}');
  });

  it('the rest of Spark to_json', () => {
    const s = toSchema(
      'd DATE, t TIMESTAMP, x DOUBLE, y DOUBLE, f FLOAT, s STRING, ad ARRAY<DATE>, st ARRAY<STRUCT<x: INT, d: DATE>>, t2 TIMESTAMP, z DOUBLE',
    ) as StructType;
    const row = parseJsonRow(
      '{"d": "0001-01-01", "t": "2017-01-01 10:00:00.123456", "x": 1e10, "y": "NaN", "f": 0.1, "s": "a\\u0001b\\"c\\nd/é\\u2028", ' +
        '"ad": ["2017-01-01", null], "st": [{"x": null, "d": "2017-01-02"}], "t2": "0001-01-01 00:00:00", "z": -0.0}',
      s,
    );
    expect(toJsonText(row, s)).toBe(
      '{"d":"0001-01-01","t":"2017-01-01T10:00:00.123Z","x":1.0E10,"y":"NaN","f":0.1,"s":"a\\u0001b\\"c\\nd/é\u2028",' +
        '"ad":["2017-01-01",null],"st":[{"d":"2017-01-02"}],"t2":"0001-01-01T00:00:00.000Z","z":-0.0}',
    );
    const row2 = parseJsonRow('{"t": "1969-12-31 23:59:59.9995", "x": 1e-5, "y": "-Infinity", "t2": "10000-01-01T00:00:00Z"}', s);
    expect(toJsonText(row2, s)).toBe('{"t":"1969-12-31T23:59:59.999Z","x":1.0E-5,"y":"-Infinity","t2":"+10000-01-01T00:00:00.000Z"}');
    const ctl = parseJsonRow('{"s": "a\\u001fb\\u007f\\b\\f\\t\\r\\u0000 \\ud83d\\ude00"}', s);
    expect(toJsonText(ctl, s)).toBe('{"s":"a\\u001Fb\u007f\\b\\f\\t\\r\\u0000 😀"}');
  });

  it('the JSON and CSV file sinks write as Spark', () => {
    const s = toSchema('d DATE, t TIMESTAMP, x DOUBLE, s STRING, t0 TIMESTAMP, a INT, y DOUBLE') as StructType;
    const row = {
      d: castValue('0001-01-01', Types.DATE),
      t: ts('2017-01-01T10:00:00.500Z'),
      x: 2,
      s: 'a\u001fb',
      t0: ts('2017-01-01T10:00:00Z'),
      a: null,
      y: NaN,
    };
    expect(formatFile([row], 'json', s, {})).toBe(
      '{"d":"0001-01-01","t":"2017-01-01T10:00:00.500Z","x":2.0,"s":"a\\u001Fb","t0":"2017-01-01T10:00:00.000Z","y":"NaN"}\n',
    );
    const c = toSchema('d DATE, t TIMESTAMP, x DOUBLE, s STRING, t0 TIMESTAMP, a INT') as StructType;
    expect(formatFile([{ ...row, s: 'a,b' }], 'csv', c, { sep: ',' })).toBe('0001-01-01,2017-01-01T10:00:00.500Z,2.0,"a,b",2017-01-01T10:00:00.000Z,\n');
    // And read back.
    const back = parseFile('0001-01-01,2017-01-01T10:00:00.500Z,2.0,"a,b",2017-01-01T10:00:00.000Z,\n', 'csv', c, { sep: ',' });
    expect(back.map((r) => texts(r, c))).toEqual([['0001-01-01', '2017-01-01 10:00:00.5', '2.0', 'a,b', '2017-01-01 10:00:00', null]]);
  });

  it('the JSON file source: a line holding an array of objects is a row each', () => {
    const s = toSchema('a INT') as StructType;
    expect(parseFile('[{"a": 1}, {"a": 2}]\n{"a": 3}\n[]\n[1]\n[{"a": 4}, 5]\n"x"\n', 'json', s, {})).toEqual([
      { a: 1 }, { a: 2 }, { a: 3 }, { a: null }, { a: null }, { a: null },
    ]);
  });
});
