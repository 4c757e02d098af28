// nvl and ifnull are named as written, as Spark names them (they were named coalesce(…)).
// Spark 3.5.3 (bench/spark/sql harness): nvl(NULL, 'x') -> nvl(NULL, x) | x; ifnull(NULL, 2) -> ifnull(NULL, 2) | 2.
import { describe, expect, it } from 'vitest';
import { session } from './helpers.js';

describe('nvl and ifnull', () => {
  it('keep their names and give the first non-null of two', () => {
    const df = session().sql("SELECT nvl(NULL, 'x'), ifnull(NULL, 2)");
    expect([df.schema.simpleString(), df.collect()]).toEqual([
      'struct<nvl(NULL, x):string,ifnull(NULL, 2):int>',
      [{ 'nvl(NULL, x)': 'x', 'ifnull(NULL, 2)': 2 }],
    ]);
    expect(() => session().sql('SELECT nvl(1, 2, 3)')).toThrow('The `nvl` requires 2 parameters but the actual number is 3.');
  });
});
