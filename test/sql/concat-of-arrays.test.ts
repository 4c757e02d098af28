// concat of arrays is an array of their elements, as Spark's Concat (it made a string "[x][x]");
// arrays mixed with strings are refused, as Spark refuses them.
import { describe, expect, it } from 'vitest';
import { functions as F } from '../../src/sql/index.js';
import { session } from './helpers.js';

describe('concat of arrays', () => {
  const df = () =>
    session().createDataFrame([{ a: ['x'], b: ['y', 'z'], n: [1], m: [2], s: 'q' }], 'a ARRAY<STRING>, b ARRAY<STRING>, n ARRAY<INT>, m ARRAY<BIGINT>, s STRING');

  it('gives an array of the elements in order, of the wider element type; null when one array is null', () => {
    const c = df().select(F.concat(F.col('a'), F.col('b'), F.col('a')).alias('c'));
    expect([c.schema.simpleString(), c.collect()]).toEqual(['struct<c:array<string>>', [{ c: ['x', 'y', 'z', 'x'] }]]);
    const widened = df().select(F.concat(F.col('n'), F.col('m')).alias('c'));
    expect([widened.schema.simpleString(), widened.collect()]).toEqual(['struct<c:array<bigint>>', [{ c: [1, 2] }]]);
    expect(df().selectExpr('concat(a, NULL) AS c').collect()).toEqual([{ c: null }]);
  });

  it('refuses an array with a string, as Spark', () => {
    expect(() => df().select(F.concat(F.col('a'), F.col('s')))).toThrow(
      '[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve "concat(a, s)" due to data type mismatch: Input to `concat` should all be the same type, but it\'s ("ARRAY<STRING>" or "STRING").',
    );
  });
});
