// A NULL pattern, format, limit or separator gives NULL, as Spark, and the column is named with
// NULL (split('a,b', NULL) read the pattern as the text "null"; date_format(d, NULL) failed).
// Spark 3.5.3 (bench/spark/sql harness), each a single NULL row:
//   split('a,b', NULL)              -> split(a,b, NULL, -1)             array<string>
//   split('a,b', ',', NULL)         -> split(a,b, ,, NULL)              array<string>
//   split(NULL, ',')                -> split(NULL, ,, -1)               array<string>
//   date_format(dt, NULL)           -> date_format(dt, NULL)            string
//   to_timestamp('2020-01-01', NULL)-> to_timestamp(2020-01-01, NULL)   timestamp
//   to_date('2020-01-01', NULL)     -> to_date(2020-01-01, NULL)        date
//   from_unixtime(0, NULL)          -> from_unixtime(0, NULL)           string
//   unix_timestamp('2020-01-01', NULL) -> unix_timestamp(2020-01-01, NULL) bigint
//   regexp_replace('abc', NULL, 'x')-> regexp_replace(abc, NULL, x, 1)  string
//   regexp_extract('abc', 'b', NULL)-> regexp_extract(abc, b, NULL)     string
//   concat_ws(NULL, 'a', 'b')       -> concat_ws(NULL, a, b)            string
import { describe, expect, it } from 'vitest';
import { session } from './helpers.js';

describe('a NULL pattern argument', () => {
  it('gives NULL, named with NULL, as Spark', () => {
    const df = session()
      .createDataFrame([{ dt: '2020-02-29' }], 'dt DATE')
      .selectExpr(
        "split('a,b', NULL)", "split('a,b', ',', NULL)", "split(NULL, ',')", 'date_format(dt, NULL)', "to_timestamp('2020-01-01', NULL)",
        "to_date('2020-01-01', NULL)", 'from_unixtime(0, NULL)', "unix_timestamp('2020-01-01', NULL)", "regexp_replace('abc', NULL, 'x')",
        "regexp_extract('abc', 'b', NULL)", "concat_ws(NULL, 'a', 'b')",
      );
    expect(df.schema.fields.map((f) => `${f.name} ${f.dataType.simpleString()}`)).toEqual([
      'split(a,b, NULL, -1) array<string>',
      'split(a,b, ,, NULL) array<string>',
      'split(NULL, ,, -1) array<string>',
      'date_format(dt, NULL) string',
      'to_timestamp(2020-01-01, NULL) timestamp',
      'to_date(2020-01-01, NULL) date',
      'from_unixtime(0, NULL) string',
      'unix_timestamp(2020-01-01, NULL) bigint',
      'regexp_replace(abc, NULL, x, 1) string',
      'regexp_extract(abc, b, NULL) string',
      'concat_ws(NULL, a, b) string',
    ]);
    expect(Object.values(df.collect()[0]!)).toEqual(new Array(11).fill(null));
  });
});
