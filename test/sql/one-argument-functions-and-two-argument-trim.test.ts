// A one-argument string function given two fails as Spark's WRONG_NUM_ARGS (lower('A', 'B') was
// 'a'); trim, ltrim and rtrim of two arguments are Spark's trim(trimStr, str). Spark 3.5.3
// (bench/spark/sql harness):
//   lower('A','B')   -> [WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `lower` requires 1 parameters but the actual number is 2. ...
//   trim('A','B','C') -> ... The `trim` requires [1, 2] parameters but the actual number is 3. ...
//   trim('x','xxaxx')  -> TRIM(BOTH x FROM xxaxx)     | a
//   ltrim('x','xxaxx') -> TRIM(LEADING x FROM xxaxx)  | axx
//   rtrim('x','xxaxx') -> TRIM(TRAILING x FROM xxaxx) | xxa
//   trim('xy','yxaxy') -> a;  trim(NULL,'xxaxx') -> NULL;  trim('','  a  ') -> '  a  ';  trim(1, 11211) -> 2
//   trim('H', s) over 'Hello World' -> ello World (named TRIM(BOTH H FROM s))
import { describe, expect, it } from 'vitest';
import { session } from './helpers.js';

const one = (e: string) => {
  const df = session().sql(`SELECT ${e}`);
  return [df.schema.fields[0]!.name, df.collect()[0]![df.schema.fields[0]!.name]];
};

describe('argument counts of string functions', () => {
  it('a second argument to lower, upper or length fails as Spark', () => {
    for (const fn of ['lower', 'upper', 'length']) {
      expect(() => one(`${fn}('A','B')`)).toThrow(
        `[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The \`${fn}\` requires 1 parameters but the actual number is 2. Please, refer to 'https://spark.apache.org/docs/latest/sql-ref-functions.html' for a fix.`,
      );
    }
    expect(() => one("trim('A','B','C')")).toThrow('The `trim` requires [1, 2] parameters but the actual number is 3.');
  });
});

describe('trim(trimStr, str)', () => {
  it('takes the characters of trimStr off both sides, the start or the end, named as Spark', () => {
    expect(one("trim('x','xxaxx')")).toEqual(['TRIM(BOTH x FROM xxaxx)', 'a']);
    expect(one("ltrim('x','xxaxx')")).toEqual(['TRIM(LEADING x FROM xxaxx)', 'axx']);
    expect(one("rtrim('x','xxaxx')")).toEqual(['TRIM(TRAILING x FROM xxaxx)', 'xxa']);
    expect(one("trim('xy','yxaxy')")[1]).toBe('a');
    expect(one("trim(NULL,'xxaxx')")).toEqual(['TRIM(BOTH NULL FROM xxaxx)', null]);
    expect(one("trim('','  a  ')")[1]).toBe('  a  ');
    expect(one('trim(1, 11211)')[1]).toBe('2');
  });

  it('reads a column', () => {
    const df = session().createDataFrame([{ s: 'Hello World' }, { s: null }], 's STRING').selectExpr("trim('H', s)");
    expect([df.schema.fieldNames, df.collect()]).toEqual([['TRIM(BOTH H FROM s)'], [{ 'TRIM(BOTH H FROM s)': 'ello World' }, { 'TRIM(BOTH H FROM s)': null }]]);
  });
});
