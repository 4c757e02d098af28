// substring's position and length are cast to INT as Spark's implicit casts do (a string, a
// fractional or a bigint position threw "position must be an integer"). Spark 3.5.3 (bench/spark/sql harness):
//   substring('Spark SQL', '2', '3')  -> substring(Spark SQL, 2, 3)   | par
//   substr('Spark SQL', '2', '3')     -> substr(Spark SQL, 2, 3)      | par
//   substring('Spark SQL', 1.9, 2)    -> Sp;  -1.5, 2 -> L;  2.5 -> park SQL;  '2.7', 2 -> pa;  'x', 2 -> NULL
//   substring('Spark SQL', 2, 1e10)   -> substring(Spark SQL, 2, 1.0E10) | park SQL
//   substring(s, l, 2), l bigint 10000000000 over 'Hello World' -> '' (the cast wraps)
//   substring('Spark SQL', true, 2)   -> [DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] ... Parameter 2 requires the "INT" type, however "true" has the type "BOOLEAN".
import { describe, expect, it } from 'vitest';
import { session } from './helpers.js';

const one = (e: string) => {
  const df = session().sql(`SELECT ${e}`);
  return [df.schema.fields[0]!.name, df.collect()[0]![df.schema.fields[0]!.name]];
};

describe('substring positions', () => {
  it('are cast to INT as Spark casts them', () => {
    expect(one("substring('Spark SQL', '2', '3')")).toEqual(['substring(Spark SQL, 2, 3)', 'par']);
    expect(one("substr('Spark SQL', '2', '3')")).toEqual(['substr(Spark SQL, 2, 3)', 'par']);
    expect(one("substring('Spark SQL', 1.9, 2)")[1]).toBe('Sp');
    expect(one("substring('Spark SQL', -1.5, 2)")[1]).toBe('L');
    expect(one("substring('Spark SQL', 2.5)")[1]).toBe('park SQL');
    expect(one("substring('Spark SQL', '2.7', 2)")[1]).toBe('pa');
    expect(one("substring('Spark SQL', 'x', 2)")[1]).toBe(null);
    expect(one("substring('Spark SQL', 2, 1e10)")).toEqual(['substring(Spark SQL, 2, 1.0E10)', 'park SQL']);
    const df = session().createDataFrame([{ s: 'Hello World', l: 10000000000 }], 's STRING, l BIGINT').selectExpr('substring(s, l, 2)');
    expect(df.collect()).toEqual([{ 'substring(s, l, 2)': '' }]);
  });

  it('refuses a boolean, as Spark', () => {
    expect(() => one("substring('Spark SQL', true, 2)")).toThrow('Parameter 2 requires the "INT" type, however "true" has the type "BOOLEAN".');
  });
});
