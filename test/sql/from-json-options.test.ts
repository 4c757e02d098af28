/**
 * from_json(col, schema, options) takes Spark's options (before, the third argument was not even in
 * the signature): `mode` PERMISSIVE (default) or FAILFAST — a malformed document fails the query
 * with MALFORMED_RECORD_IN_PARSING — while DROPMALFORMED is refused; `columnNameOfCorruptRecord`
 * (default `_corrupt_record`): a string field so named gets a malformed document's text.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStream, functions as F } from '../../src/sql/index.js';
import { session } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const DOCS = [{ value: '{"a":1}' }, { value: '{oops' }, { value: '{"a":"x","b":"kept"}' }, { value: null }, { value: '' }];

describe('from_json options', () => {
  it('PERMISSIVE (default): a row of nulls or the fields that parsed; the document in _corrupt_record when the schema has it', () => {
    const spark = session();
    const df = spark.createDataFrame(DOCS, 'value STRING');
    const parsed = (schema: string, options?: Record<string, string>) => df.select(F.from_json('value', schema, options).alias('r')).collect().map((r) => r.r);
    expect(parsed('a INT, b STRING')).toEqual([{ a: 1, b: null }, { a: null, b: null }, { a: null, b: 'kept' }, null, null]);
    expect(parsed('a INT, b STRING', { mode: 'PERMISSIVE' })).toEqual(parsed('a INT, b STRING'));
    expect(parsed('a INT, b STRING, _corrupt_record STRING')).toEqual([
      { a: 1, b: null, _corrupt_record: null },
      { a: null, b: null, _corrupt_record: '{oops' },
      { a: null, b: 'kept', _corrupt_record: '{"a":"x","b":"kept"}' },
      null,
      null,
    ]);
    expect(parsed('a INT, bad STRING', { columnNameOfCorruptRecord: 'bad' })[1]).toEqual({ a: null, bad: '{oops' });
    expect(() => parsed('a INT, _corrupt_record INT')).toThrow('The field for corrupt records must be string type and nullable');
  });

  it('FAILFAST: a malformed document (or a value that does not fit) fails; good ones read', () => {
    const spark = session();
    const read = (value: string) => spark.createDataFrame([{ value }], 'value STRING').select(F.from_json('value', 'a INT', { MODE: 'failfast' }).alias('r')).collect();
    expect(read('{"a":2}')).toEqual([{ r: { a: 2 } }]);
    expect(() => read('{oops')).toThrow(/\[MALFORMED_RECORD_IN_PARSING\] Malformed records are detected in record parsing: \{oops\. Parse Mode: FAILFAST/);
    expect(() => read('{"a":"x"}')).toThrow(/MALFORMED_RECORD_IN_PARSING/);
    expect(() => read('[{"a":1}]')).toThrow(/MALFORMED_RECORD_IN_PARSING/);
  });

  it('FAILFAST in a streaming query terminates it', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const q = input
      .toDF()
      .select(F.from_json('value', 'a INT', { mode: 'FAILFAST' }).alias('r'))
      .writeStream.format('memory')
      .queryName('fj')
      .start();
    input.addData('{"a":1}');
    await q.processAllAvailable();
    input.addData('not json');
    await expect(q.processAllAvailable()).rejects.toThrow(/MALFORMED_RECORD_IN_PARSING.*not json/);
    expect(spark.table('fj').collect()).toEqual([{ r: { a: 1 } }]);
  });

  it("DROPMALFORMED is refused: from_json() doesn't support the DROPMALFORMED mode", () => {
    const spark = session();
    const df = spark.createDataFrame(DOCS, 'value STRING');
    expect(() => df.select(F.from_json('value', 'a INT', { mode: 'DROPMALFORMED' }))).toThrow(
      "from_json() doesn't support the DROPMALFORMED mode. Acceptable modes are PERMISSIVE and FAILFAST.",
    );
  });
});
