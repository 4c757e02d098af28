/**
 * The JSON and CSV file sources (readStream and spark.read) follow Spark's parse modes: option
 * `mode` PERMISSIVE (default: a row of what parsed, the record's text in the corrupt-record column
 * when the schema has one), DROPMALFORMED (no row), FAILFAST (the read fails with
 * MALFORMED_RECORD_IN_PARSING); `columnNameOfCorruptRecord` names that column; an unknown mode
 * warns and is PERMISSIVE; a corrupt-record column that is not a string is refused at load();
 * `multiLine` JSON reads a file as one document. Before, all of these options were ignored.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SparkSession } from '../../src/sql/index.js';
import { session, tempDir } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const BAD_JSON = '{"id":1}\n{oops\n{"id":3}\n';

function dirWith(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The rows a file source query reads from `dir` (a memory sink), sorted by their JSON text. */
async function streamed(spark: SparkSession, format: 'json' | 'csv', schema: string, dir: string, options: Record<string, string>) {
  let reader = spark.readStream.format(format).schema(schema);
  for (const [k, v] of Object.entries(options)) reader = reader.option(k, v);
  const name = `q${Math.random().toString(36).slice(2)}`;
  const q = reader.load(dir).writeStream.format('memory').queryName(name).start();
  await q.processAllAvailable();
  const rows = spark.table(name).collect();
  await q.stop();
  return rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

async function batch(spark: SparkSession, format: 'json' | 'csv', schema: string, dir: string, options: Record<string, string>) {
  let reader = spark.read.format(format).schema(schema);
  for (const [k, v] of Object.entries(options)) reader = reader.option(k, v);
  return (await reader.load(dir)).collect();
}

describe('JSON file source parse modes', () => {
  it('FAILFAST: a malformed line terminates the streaming query with MALFORMED_RECORD_IN_PARSING naming the record', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const spark = session();
    const dir = dirWith({ 'a.json': BAD_JSON });
    const q = spark.readStream.format('json').schema('id INT').option('mode', 'FAILFAST').load(dir).writeStream.format('memory').queryName('ff').start();
    await expect(q.processAllAvailable()).rejects.toThrow(/\[MALFORMED_RECORD_IN_PARSING\] Malformed records are detected in record parsing: \{oops\. Parse Mode: FAILFAST/);
    expect(q.exception()?.message).toMatch(/To process malformed records as null result, try setting the option 'mode' as 'PERMISSIVE'/);
  });

  it('FAILFAST in spark.read rejects; a value that does not fit its type is malformed too', async () => {
    const spark = session();
    await expect(batch(spark, 'json', 'id INT', dirWith({ 'a.json': BAD_JSON }), { mode: 'failfast' })).rejects.toThrow(/MALFORMED_RECORD_IN_PARSING.*\{oops/);
    await expect(batch(spark, 'json', 'id INT', dirWith({ 'a.json': '{"id":1}\n{"id":"two"}\n' }), { mode: 'FAILFAST' })).rejects.toThrow(/\{"id":"two"\}/);
    // Good input reads.
    expect(await batch(spark, 'json', 'id INT', dirWith({ 'a.json': '{"id":1}\n\n{"id":2}\n' }), { mode: 'FAILFAST' })).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('DROPMALFORMED drops the malformed line (syntax, a non-object, a field of the wrong type), streaming and batch', async () => {
    const spark = session();
    const text = `${BAD_JSON}[1]\n{"id":"x"}\n[{"id":4},{"id":5}]\n`;
    const want = [{ id: 1 }, { id: 3 }, { id: 4 }, { id: 5 }];
    expect(await streamed(spark, 'json', 'id INT', dirWith({ 'a.json': text }), { mode: 'DROPMALFORMED' })).toEqual(want);
    expect(await batch(spark, 'json', 'id INT', dirWith({ 'a.json': text }), { MODE: 'dropmalformed' })).toEqual(want);
  });

  it("PERMISSIVE with a _corrupt_record column: the line's text for a malformed record, partial results kept, null for good ones; the JSON's own _corrupt_record key is not read", async () => {
    const spark = session();
    const dir = dirWith({ 'a.json': '{"id":1,"_corrupt_record":"mine"}\r\n{oops\n{"id":"x","name":"a"}\n' });
    const rows = await streamed(spark, 'json', 'id INT, name STRING, _corrupt_record STRING', dir, {});
    expect(rows).toEqual([
      { id: 1, name: null, _corrupt_record: null },
      { id: null, name: 'a', _corrupt_record: '{"id":"x","name":"a"}' },
      { id: null, name: null, _corrupt_record: '{oops' },
    ]);
    // Without the column: nulls and partial results, as before.
    expect(await batch(spark, 'json', 'id INT, name STRING', dir, {})).toEqual([
      { id: 1, name: null },
      { id: null, name: null },
      { id: null, name: 'a' },
    ]);
  });

  it('columnNameOfCorruptRecord names the column (option names case-insensitive)', async () => {
    const spark = session();
    const dir = dirWith({ 'a.json': BAD_JSON });
    const rows = await batch(spark, 'json', 'id INT, bad STRING', dir, { COLUMNNAMEOFCORRUPTRECORD: 'bad' });
    expect(rows).toEqual([
      { id: 1, bad: null },
      { id: null, bad: '{oops' },
      { id: 3, bad: null },
    ]);
  });

  it('an unknown mode warns once ("… is not a valid parse mode. Using PERMISSIVE.") and reads PERMISSIVE', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const spark = session();
    const dir = dirWith({ 'a.json': BAD_JSON, 'b.json': BAD_JSON });
    expect(await batch(spark, 'json', 'id INT', dir, { mode: 'lenient' })).toHaveLength(6);
    expect(warn.mock.calls.map((c) => c[0])).toEqual(['lenient is not a valid parse mode. Using PERMISSIVE.']);
  });

  it('a corrupt-record column that is not a string is refused at load(), streaming and batch', async () => {
    const spark = session();
    const dir = dirWith({ 'a.json': BAD_JSON });
    const message = 'The field for corrupt records must be string type and nullable';
    expect(() => spark.readStream.format('json').schema('id INT, _corrupt_record INT').load(dir)).toThrow(message);
    expect(() => spark.readStream.format('csv').schema('id INT, x INT').option('columnNameOfCorruptRecord', 'x').load(dir)).toThrow(message);
    await expect(batch(spark, 'json', 'id INT, _corrupt_record INT', dir, {})).rejects.toThrow(message);
  });

  it('multiLine: a pretty-printed file is one document (an object a row, an array of objects a row each), under the same modes', async () => {
    const spark = session();
    const pretty = JSON.stringify({ id: 1, name: 'a' }, null, 2);
    const array = JSON.stringify([{ id: 2, name: 'b' }, { id: 3 }], null, 2);
    const broken = '{\n  "id": 4,\n  "name": \n';
    const dir = dirWith({ 'a.json': pretty, 'b.json': array, 'c.json': broken });
    expect(await streamed(spark, 'json', 'id INT, name STRING, _corrupt_record STRING', dir, { multiLine: 'true' })).toEqual([
      { id: 1, name: 'a', _corrupt_record: null },
      { id: 2, name: 'b', _corrupt_record: null },
      { id: 3, name: null, _corrupt_record: null },
      { id: null, name: null, _corrupt_record: broken },
    ]);
    expect(await batch(spark, 'json', 'id INT, name STRING', dir, { MULTILINE: 'TRUE', mode: 'DROPMALFORMED' })).toHaveLength(3);
    await expect(batch(spark, 'json', 'id INT', dir, { multiLine: 'true', mode: 'FAILFAST' })).rejects.toThrow(/MALFORMED_RECORD_IN_PARSING[^]*"name": /);
    await expect(spark.read.format('json').schema('id INT').option('multiLine', 'yes').load(dir)).rejects.toThrow('For input string: "yes"');
  });
});

describe('CSV file source parse modes', () => {
  // Line 2 has too few fields, line 3 one too many, line 4 a value that is not an INT.
  const CSV = '1,a\n2\n3,c,extra\nfour,d\n5,e\n';

  it('PERMISSIVE (default): a row for each record, nulls where a field is missing or does not cast; the line in _corrupt_record', async () => {
    const spark = session();
    const dir = dirWith({ 'a.csv': CSV });
    expect(await streamed(spark, 'csv', 'id INT, name STRING, _corrupt_record STRING', dir, {})).toEqual([
      { id: 1, name: 'a', _corrupt_record: null },
      { id: 2, name: null, _corrupt_record: '2' },
      { id: 3, name: 'c', _corrupt_record: '3,c,extra' },
      { id: 5, name: 'e', _corrupt_record: null },
      { id: null, name: 'd', _corrupt_record: 'four,d' },
    ]);
  });

  it('DROPMALFORMED keeps the good records only; a blank line is no record', async () => {
    const spark = session();
    const dir = dirWith({ 'a.csv': `id,name\n${CSV}\n  \n6,f\n` });
    const want = [
      { id: 1, name: 'a' },
      { id: 5, name: 'e' },
      { id: 6, name: 'f' },
    ];
    expect(await streamed(spark, 'csv', 'id INT, name STRING', dir, { mode: 'DROPMALFORMED', header: 'true' })).toEqual(want);
    expect(await batch(spark, 'csv', 'id INT, name STRING', dir, { Mode: 'DropMalformed', HEADER: 'true' })).toEqual(want);
  });

  it("an integral field must be an integer and a boolean true or false (Spark's toInt/toBoolean, stricter than CAST): '1.5' and 'yes' are malformed", async () => {
    const spark = session();
    const dir = dirWith({ 'a.csv': '1,true\n1.5,false\n 3 ,TRUE\n4,yes\n' });
    // Before: '1.5' read as 1 and 'yes' as true, silently.
    expect(await batch(spark, 'csv', 'id INT, ok BOOLEAN', dir, { mode: 'DROPMALFORMED' })).toEqual([
      { id: 1, ok: true },
      { id: 3, ok: true },
    ]);
    expect(await batch(spark, 'csv', 'id BIGINT, ok BOOLEAN', dir, {})).toEqual([
      { id: 1, ok: true },
      { id: null, ok: false },
      { id: 3, ok: true },
      { id: 4, ok: null },
    ]);
  });

  it('FAILFAST: the first malformed record fails the read (batch) and the query (streaming)', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const spark = session();
    const dir = dirWith({ 'a.csv': CSV });
    await expect(batch(spark, 'csv', 'id INT, name STRING', dir, { mode: 'FAILFAST' })).rejects.toThrow(
      /\[MALFORMED_RECORD_IN_PARSING\] Malformed records are detected in record parsing: 2\. Parse Mode: FAILFAST/,
    );
    const q = spark.readStream.format('csv').schema('id INT, name STRING').option('mode', 'FAILFAST').load(dir).writeStream.format('memory').queryName('csvff').start();
    await expect(q.processAllAvailable()).rejects.toThrow(/MALFORMED_RECORD_IN_PARSING/);
    // Empty fields are nulls, not malformed.
    expect(await batch(spark, 'csv', 'id INT, name STRING', dirWith({ 'a.csv': ',\n7,""\n' }), { mode: 'FAILFAST' })).toEqual([
      { id: null, name: null },
      { id: 7, name: '' },
    ]);
  });
});
