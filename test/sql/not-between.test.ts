/**
 * `a NOT BETWEEN x AND y` is NOT of the BETWEEN, named as Spark names it; NOT IN and NOT LIKE /
 * ILIKE / RLIKE as well. Expected values: Spark 3.5.3.
 */
import { describe, expect, it } from 'vitest';
import { sparkAnswer } from './spark-answer.js';

describe('NOT BETWEEN', () => {
  it('is NOT of the BETWEEN, as NOT IN and NOT LIKE are', () => {
    expect(sparkAnswer('i NOT BETWEEN 0 AND 10', true)).toEqual({
      name: '(NOT ((i >= 0) AND (i <= 10)))',
      type: 'boolean',
      values: ['false', 'true', 'true', 'false', null, 'true'],
    });
    expect(sparkAnswer('NOT i BETWEEN 0 AND 10', true)).toEqual({
      name: '(NOT ((i >= 0) AND (i <= 10)))',
      type: 'boolean',
      values: ['false', 'true', 'true', 'false', null, 'true'],
    });
    expect(sparkAnswer("dt NOT BETWEEN DATE '1970-01-01' AND DATE '2021-01-01'", true)).toEqual({
      name: "(NOT ((dt >= DATE '1970-01-01') AND (dt <= DATE '2021-01-01')))",
      type: 'boolean',
      values: ['false', 'true', 'true', 'true', null, 'true'],
    });
    // NOT IN and NOT LIKE, which read already, name the same way.
    expect(sparkAnswer('i NOT IN (1, 2)', true)).toEqual({ name: '(NOT (i IN (1, 2)))', type: 'boolean', values: ['false', 'true', 'true', 'true', null, 'true'] });
    expect(sparkAnswer("s NOT LIKE 'H%'", true)).toEqual({ name: '(NOT s LIKE H%)', type: 'boolean', values: ['false', 'true', 'true', 'true', null, 'true'] });
  });
});
