/**
 * Spark's typed literals DATE '…', TIMESTAMP '…' and X'…' (hex binary), with or without a space
 * before the quote, named as Spark names them; a value that does not read fails at parse time
 * (Spark: INVALID_TYPED_LITERAL). Expected values: Spark 3.5.3, session time zone UTC.
 */
import { describe, expect, it } from 'vitest';
import { ParseException } from '../../src/sql/errors.js';
import { sparkAnswer } from './spark-answer.js';

describe('typed literals', () => {
  it('DATE and TIMESTAMP literals, named in Spark SQL form', () => {
    expect(sparkAnswer("DATE '2020-01-01'")).toEqual({ name: "DATE '2020-01-01'", type: 'date', values: ['2020-01-01'] });
    expect(sparkAnswer("DATE'2020-01-01'")).toEqual({ name: "DATE '2020-01-01'", type: 'date', values: ['2020-01-01'] });
    expect(sparkAnswer("date '2020-1-1'")).toEqual({ name: "DATE '2020-01-01'", type: 'date', values: ['2020-01-01'] });
    expect(sparkAnswer("TIMESTAMP '2020-01-01 10:00:00'")).toEqual({ name: "TIMESTAMP '2020-01-01 10:00:00'", type: 'timestamp', values: ['2020-01-01 10:00:00'] });
    expect(sparkAnswer("TIMESTAMP'2020-01-01 10:00:00'")).toEqual({ name: "TIMESTAMP '2020-01-01 10:00:00'", type: 'timestamp', values: ['2020-01-01 10:00:00'] });
    expect(sparkAnswer("TIMESTAMP '2020-01-01'")).toEqual({ name: "TIMESTAMP '2020-01-01 00:00:00'", type: 'timestamp', values: ['2020-01-01 00:00:00'] });
    expect(sparkAnswer("TIMESTAMP '2020-01-01 10:00:00.120'")).toEqual({ name: "TIMESTAMP '2020-01-01 10:00:00.12'", type: 'timestamp', values: ['2020-01-01 10:00:00.12'] });
    expect(sparkAnswer("TIMESTAMP '2020-01-01 10:00:00+02:00'")).toEqual({ name: "TIMESTAMP '2020-01-01 08:00:00'", type: 'timestamp', values: ['2020-01-01 08:00:00'] });
  });

  it('inside other expressions', () => {
    expect(sparkAnswer("CAST(DATE '2020-01-01' AS STRING)")).toEqual({ name: "CAST(DATE '2020-01-01' AS STRING)", type: 'string', values: ['2020-01-01'] });
    expect(sparkAnswer("dt = DATE '2020-02-29'", true)).toEqual({
      name: "(dt = DATE '2020-02-29')",
      type: 'boolean',
      values: ['true', 'false', 'false', 'false', null, 'false'],
    });
  });

  it("X'…' is a binary literal; an odd count of digits gets a 0 in front", () => {
    expect(sparkAnswer("X'4142'")).toEqual({ name: "X'4142'", type: 'binary', values: ['[41 42]'] });
    expect(sparkAnswer("x'4142'")).toEqual({ name: "X'4142'", type: 'binary', values: ['[41 42]'] });
    expect(sparkAnswer("X'414'")).toEqual({ name: "X'0414'", type: 'binary', values: ['[04 14]'] });
    expect(sparkAnswer("X''")).toEqual({ name: "X''", type: 'binary', values: ['[]'] });
  });

  it('a value that does not read is a ParseException (Spark: INVALID_TYPED_LITERAL)', () => {
    for (const [expr, type, value] of [
      ["DATE '2020-13-01'", 'DATE', '2020-13-01'],
      ["DATE 'abc'", 'DATE', 'abc'],
      ["TIMESTAMP 'abc'", 'TIMESTAMP', 'abc'],
      ["X'ZZ'", 'X', 'ZZ'],
    ]) {
      expect(() => sparkAnswer(expr!)).toThrow(ParseException);
      expect(() => sparkAnswer(expr!)).toThrow(`[INVALID_TYPED_LITERAL] The value of the typed literal "${type}" is invalid: '${value}'.(line 1, pos 7)`);
    }
  });
});
