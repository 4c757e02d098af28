/**
 * functions.expr() parses a named expression, as Spark's (its parser's singleExpression is a
 * namedExpression): `expr('count(*) AS n')`, `expr('v + 1 AS w')` and `expr('v + 1 w')` name the column.
 */
import { describe, expect, it } from 'vitest';
import { functions as F } from '../../src/sql/index.js';
import { session } from './helpers.js';

describe('expr() takes an alias', () => {
  it('an aggregate with AS names the aggregate column', () => {
    const df = session().createDataFrame([{ k: 'a', v: 1 }, { k: 'a', v: 2 }, { k: 'b', v: 5 }]);
    const rows = df.groupBy('k').agg(F.expr('count(*) AS n')).orderBy('k').collect();
    expect(rows).toEqual([{ k: 'a', n: 2 }, { k: 'b', n: 1 }]);
  });

  it('an expression with AS, or with a bare alias, names the column', () => {
    const df = session().createDataFrame([{ v: 1 }, { v: 2 }]);
    expect(df.select(F.expr('v + 1 AS w')).collect()).toEqual([{ w: 2 }, { w: 3 }]);
    expect(df.select(F.expr('v + 1 w')).collect()).toEqual([{ w: 2 }, { w: 3 }]);
    expect(df.select(F.expr('v + 1 AS w')).columns).toEqual(['w']);
  });

  it('without an alias the column keeps the expression\'s name', () => {
    const df = session().createDataFrame([{ v: 1 }]);
    expect(df.select(F.expr('v + 1')).columns).toEqual(['(v + 1)']);
  });
});
