/**
 * Spark's lexer has no doubled-quote escape: `'it''s'` is the adjacent literals 'it' and 's', and
 * adjacent string literals are one ('a' 'b' is 'ab'). Expected values: Spark 3.5.3.
 */
import { describe, expect, it } from 'vitest';
import { sparkAnswer } from './spark-answer.js';

describe('adjacent string literals', () => {
  it("a doubled quote ends the literal; the next one is joined to it", () => {
    expect(sparkAnswer("'it''s'")).toEqual({ name: 'its', type: 'string', values: ['its'] });
    expect(sparkAnswer("'a''b''c'")).toEqual({ name: 'abc', type: 'string', values: ['abc'] });
  });

  it("adjacent literals, either quote, are one", () => {
    expect(sparkAnswer("'a' 'b'")).toEqual({ name: 'ab', type: 'string', values: ['ab'] });
    expect(sparkAnswer(`"a" 'b'`)).toEqual({ name: 'ab', type: 'string', values: ['ab'] });
    expect(sparkAnswer(`'a'    "b"   'c'`)).toEqual({ name: 'abc', type: 'string', values: ['abc'] });
    expect(sparkAnswer("concat('x' 'y', 'z')")).toEqual({ name: 'concat(xy, z)', type: 'string', values: ['xyz'] });
    expect(sparkAnswer("s = 'a' 'b'", true)).toEqual({ name: '(s = ab)', type: 'boolean', values: ['false', 'false', 'false', 'false', null, 'false'] });
  });
});
