/**
 * Argument checks of the DataFrame API's entry points (DataFrame, GroupedData, the writers), as the
 * DStream operators check theirs: a call from JavaScript with a wrong argument fails naming the
 * method, the argument, what it takes and what it got — not later, inside the plan, as
 * "Cannot read properties of undefined".
 */
import { described } from '../rdd/checks.js';
import { resolveFunction } from './builtins.js';
import { Column, nameExpr, type ColumnOrName } from './Column.js';
import { Star, type Expr } from './expressions.js';

/** What a refused argument was: `a Column`, `the string 'x'`, `5`, `an array of 2 elements`. */
export function shownArg(v: unknown): string {
  return v instanceof Column ? 'a Column' : described(v);
}

/** Why a function is refused where a column is expected: the plan is SQL expressions, evaluated by dstreams. */
const NOT_A_FUNCTION = 'dstreams cannot run a JavaScript function over rows; use col(...) expressions, e.g. col("a").gt(0)';

/** "`method`: `argument` must be `expects`, got …" (a function: why one cannot be). */
export function badArgument(method: string, argument: string, expects: string, got: unknown): TypeError {
  if (typeof got === 'function') return new TypeError(`${method}: ${argument} must be ${expects}, not a function (${NOT_A_FUNCTION})`);
  return new TypeError(`${method}: ${argument} must be ${expects}, got ${shownArg(got)}`);
}

/** A string argument (a column name, a mode, a path). */
export function stringArg(method: string, argument: string, v: unknown, expects = 'a string'): string {
  if (typeof v !== 'string') throw badArgument(method, argument, expects, v);
  return v;
}

/** where/filter's condition: a boolean Column or SQL text (`where('a > 0')`). */
export function conditionArg(method: string, c: unknown): Column | string {
  if (c instanceof Column || typeof c === 'string') return c;
  if (typeof c === 'function') {
    throw new TypeError(`${method} takes a Column or an SQL expression string, not a function (dstreams cannot run a JavaScript predicate over rows; use col(...) expressions, e.g. col("a").gt(0), or SQL text 'a > 0')`);
  }
  throw badArgument(method, 'the condition', "a Column or an SQL expression string (col('a').gt(0), 'a > 0')", c);
}

/** select/groupBy/orderBy/drop's columns: Columns or names, each alone or in arrays (PySpark's `select(['a', 'b'])`). */
export function columnArgs(method: string, cols: readonly unknown[]): ColumnOrName[] {
  const flat = cols.flat();
  flat.forEach((c, i) => {
    if (c instanceof Column || typeof c === 'string') return;
    throw badArgument(method, `column ${i + 1}`, 'a Column or a column name', c);
  });
  return flat as ColumnOrName[];
}

/** withColumn(colName, col): a name, then a Column (a swapped pair is said to be one). */
export function withColumnArgs(name: unknown, col: unknown): { name: string; col: Column } {
  if (typeof name !== 'string') {
    const swapped = name instanceof Column && typeof col === 'string' ? ` — the arguments are swapped: withColumn('${col}', column)` : '';
    throw new TypeError(`withColumn: colName must be the new column's name (a string), got ${shownArg(name)}${swapped}`);
  }
  if (!(col instanceof Column)) {
    if (typeof col === 'function') throw badArgument('withColumn', 'col', 'a Column', col);
    const value = ['number', 'boolean', 'bigint'].includes(typeof col) || col === null || col instanceof Date;
    const hint = typeof col === 'string' ? ` — a column by name is col('${col}'), a text value lit('${col}')` : value ? ' — a value is lit(value)' : '';
    throw new TypeError(`withColumn: col must be a Column, got ${shownArg(col)}${hint}`);
  }
  return { name, col };
}

/** dropDuplicates(subset?): no argument (all columns) or an array of names — as PySpark, which refuses a lone string. */
export function subsetArg(method: string, subset: unknown): string[] | undefined {
  if (subset === undefined || subset === null) return undefined;
  if (typeof subset === 'string') throw new TypeError(`${method}: subset must be an array of column names, got ${shownArg(subset)}: write ${method}(['${subset}'])`);
  if (!Array.isArray(subset)) throw badArgument(method, 'subset', 'an array of column names', subset);
  for (const c of subset) if (typeof c !== 'string') throw badArgument(method, 'subset', 'an array of column names', c);
  return subset as string[];
}

/** join(other, on?, how?): `on` is a name, an array of names, or a Column condition. */
export function joinOnArg(on: unknown): string | string[] | Column | undefined {
  if (on === undefined || on === null) return undefined;
  if (typeof on === 'string' || on instanceof Column) return on;
  if (Array.isArray(on) && on.every((c) => typeof c === 'string')) return on as string[];
  throw badArgument('join', 'on', 'a column name, an array of column names or a Column condition', on);
}

/** limit(num): a whole number of rows, zero or more. */
export function limitArg(n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw badArgument('limit', 'num', 'a whole number of rows ≥ 0', n);
  return n;
}

/**
 * agg's aggregates: Columns (`F.sum('a')`) or dicts `{ column: 'function' }` (Listing 7.16's
 * `{ '*': 'count' }`). A string alone is neither (it was read as a dict, its letters as columns).
 */
export function aggExprs(method: string, aggs: readonly unknown[]): Expr[] {
  const expects = "a Column (F.sum('a')) or a dict { column: 'function' } ({ a: 'sum' })";
  const exprs: Expr[] = [];
  for (const a of aggs) {
    if (a instanceof Column) exprs.push(a.expr);
    else if (a !== null && typeof a === 'object' && !Array.isArray(a)) {
      for (const [c, fn] of Object.entries(a)) {
        if (typeof fn !== 'string') throw new TypeError(`${method}: a dict maps a column name to an aggregate function name ({ a: 'sum' }), got ${shownArg(fn)} for '${c}'`);
        exprs.push(resolveFunction(dictAggregate(fn), [c === '*' ? new Star() : nameExpr(c)]));
      }
    } else throw badArgument(method, 'each aggregate', expects, a);
  }
  return exprs;
}

/** Spark's strToExpr: the dict form's `mean` and `average` are avg (named `avg(v)`), `size` is count. */
function dictAggregate(fn: string): string {
  const f = fn.toLowerCase();
  return f === 'mean' || f === 'average' ? 'avg' : f === 'size' ? 'count' : fn;
}

/** An option's value: text, a number or a boolean (stored as text, as Spark's). */
export function optionArgs(method: string, key: unknown, value: unknown): [string, string] {
  stringArg(method, 'key', key, 'an option name (a string)');
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new TypeError(`${method}('${String(key)}', value): value must be a string, number or boolean, got ${shownArg(value)}`);
  }
  return [key as string, String(value)];
}

/** options({...}): an object of option values. */
export function optionsArg(method: string, opts: unknown): Record<string, unknown> {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw badArgument(method, 'options', 'an object { name: value }', opts);
  return opts as Record<string, unknown>;
}
