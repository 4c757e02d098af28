// show() and the console sink print a SQL NULL as Spark 3.5 does, `NULL` (dstreams printed `null`),
// inside arrays and structs too. Spark 3.5.3's cells (bench/spark/sql harness, df.getRows):
//   array('a', NULL)                                 -> [a, NULL]
//   named_struct('a', 1, 'b', CAST(NULL AS STRING))  -> {1, NULL}
import { describe, expect, it } from 'vitest';
import { consoleBatchText } from '../../src/sql/sinks/console.js';
import { session } from './helpers.js';

describe('a null cell in show() and the console sink', () => {
  const df = () =>
    session().createDataFrame(
      [{ s: null, a: ['a', null], st: { a: 1, b: null } }],
      's STRING, a ARRAY<STRING>, st STRUCT<a: INT, b: STRING>',
    );
  const table = [
    '+----+---------+---------+',
    '|   s|        a|       st|',
    '+----+---------+---------+',
    '|NULL|[a, NULL]|{1, NULL}|',
    '+----+---------+---------+',
    '',
  ].join('\n');

  it('is NULL in show(), also as an array element and a struct field', () => {
    expect(df().showString()).toBe(table);
  });

  it('is NULL in the console sink', () => {
    const d = df();
    expect(consoleBatchText({ batchId: 0, rows: d.collect(), schema: d.schema, mode: 'append' })).toBe(
      `-------------------------------------------\nBatch: 0\n-------------------------------------------\n${table}\n`,
    );
  });
});
