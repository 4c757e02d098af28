/**
 * PySpark's `pyspark.sql.functions` (the contract's list, plus a few neighbours): each builds a
 * Column. Column arguments take a Column or a column name, as PySpark's do.
 */
import { resolveFunction } from './builtins.js';
import { Column, nameExpr, valueExpr, type ColumnOrName, type ColumnOrValue } from './Column.js';
import { Literal, Star } from './expressions.js';
import { CaseWhen } from './operators.js';
import { parseNamedExpression } from './parser.js';
import { StructType, type DataType } from './types.js';

function call(name: string, ...args: ColumnOrName[]): Column {
  return new Column(resolveFunction(name, args.map(nameExpr)));
}

export function col(name: string): Column {
  return new Column(nameExpr(name));
}
export const column = col;
export function lit(value: ColumnOrValue): Column {
  return value instanceof Column ? value : new Column(new Literal(value));
}
/** A Spark SQL expression, optionally aliased as Spark's parser allows: `expr('count(*) AS n')`, `expr('v + 1 w')`. */
export function expr(sql: string): Column {
  if (typeof sql !== 'string') throw new TypeError('expr takes an SQL expression as a string');
  return new Column(parseNamedExpression(sql));
}
/**
 * from_json(col, schema, options?): `options` as Spark's — `mode` PERMISSIVE (default) or FAILFAST
 * (DROPMALFORMED is refused), `columnNameOfCorruptRecord` (fromJson.ts).
 */
export function from_json(c: ColumnOrName, schema: StructType | DataType | string, options?: Record<string, string>): Column {
  const args = [nameExpr(c), new Literal(schema)];
  if (options !== undefined) args.push(new Literal({ ...options }));
  return new Column(resolveFunction('from_json', args));
}
export function to_json(c: ColumnOrName): Column {
  return call('to_json', c);
}
/** Event-time windows: `window(col('eventTime'), '10 minutes', '5 minutes')` gives a `{ start, end }` column. */
export function window(timeColumn: ColumnOrName, windowDuration: string, slideDuration?: string, startTime?: string): Column {
  const args = [nameExpr(timeColumn), new Literal(windowDuration)];
  if (slideDuration !== undefined) args.push(new Literal(slideDuration));
  if (startTime !== undefined) {
    if (slideDuration === undefined) args.push(new Literal(windowDuration));
    args.push(new Literal(startTime));
  }
  return new Column(resolveFunction('window', args));
}
/** count('*') counts rows (named `count(1)`, as Spark); count(c) counts non-null values. */
export function count(c: ColumnOrName): Column {
  return new Column(resolveFunction('count', [c === '*' ? new Star() : nameExpr(c)]));
}
/** countDistinct(a, b, …): distinct combinations in which no value is null. */
export function countDistinct(c: ColumnOrName, ...more: ColumnOrName[]): Column {
  return new Column(resolveFunction('count', [c, ...more].map(nameExpr), true));
}
export function collect_list(c: ColumnOrName): Column {
  return call('collect_list', c);
}
export function collect_set(c: ColumnOrName): Column {
  return call('collect_set', c);
}
export function sum(c: ColumnOrName): Column {
  return call('sum', c);
}
export function avg(c: ColumnOrName): Column {
  return call('avg', c);
}
export const mean = avg;
export function min(c: ColumnOrName): Column {
  return call('min', c);
}
export function max(c: ColumnOrName): Column {
  return call('max', c);
}
export function current_date(): Column {
  return call('current_date');
}
export function current_timestamp(): Column {
  return call('current_timestamp');
}
export function to_timestamp(c: ColumnOrName, format?: string): Column {
  const args = [nameExpr(c)];
  if (format !== undefined) args.push(new Literal(format));
  return new Column(resolveFunction('to_timestamp', args));
}
export function timestamp_seconds(c: ColumnOrName): Column {
  return call('timestamp_seconds', c);
}
export function date_format(c: ColumnOrName, format: string): Column {
  return new Column(resolveFunction('date_format', [nameExpr(c), new Literal(format)]));
}
/** to_date(col, format?): CAST(col AS DATE), or with a pattern the day of to_timestamp(col, format). */
export function to_date(c: ColumnOrName, format?: string): Column {
  const args = [nameExpr(c)];
  if (format !== undefined) args.push(new Literal(format));
  return new Column(resolveFunction('to_date', args));
}
export const year = (c: ColumnOrName): Column => call('year', c);
export const quarter = (c: ColumnOrName): Column => call('quarter', c);
export const month = (c: ColumnOrName): Column => call('month', c);
export const dayofmonth = (c: ColumnOrName): Column => call('dayofmonth', c);
export const day = (c: ColumnOrName): Column => call('day', c);
/** 1 = Sunday … 7 = Saturday. */
export const dayofweek = (c: ColumnOrName): Column => call('dayofweek', c);
export const dayofyear = (c: ColumnOrName): Column => call('dayofyear', c);
/** The ISO week (weeks start on Monday; week 1 has more than 3 days). */
export const weekofyear = (c: ColumnOrName): Column => call('weekofyear', c);
export const hour = (c: ColumnOrName): Column => call('hour', c);
export const minute = (c: ColumnOrName): Column => call('minute', c);
export const second = (c: ColumnOrName): Column => call('second', c);
export const last_day = (date: ColumnOrName): Column => call('last_day', date);
/** next_day(date, 'Mon'): the first such day after the date. */
export function next_day(date: ColumnOrName, dayOfWeek: string): Column {
  return new Column(resolveFunction('next_day', [nameExpr(date), new Literal(dayOfWeek)]));
}
/** date_add(start, days): `days` an int or an int column. */
export function date_add(start: ColumnOrName, days: ColumnOrName | number): Column {
  return new Column(resolveFunction('date_add', [nameExpr(start), typeof days === 'number' ? new Literal(days) : nameExpr(days)]));
}
export function date_sub(start: ColumnOrName, days: ColumnOrName | number): Column {
  return new Column(resolveFunction('date_sub', [nameExpr(start), typeof days === 'number' ? new Literal(days) : nameExpr(days)]));
}
/** datediff(end, start): days from start to end. */
export const datediff = (end: ColumnOrName, start: ColumnOrName): Column => call('datediff', end, start);
export function add_months(start: ColumnOrName, months: ColumnOrName | number): Column {
  return new Column(resolveFunction('add_months', [nameExpr(start), typeof months === 'number' ? new Literal(months) : nameExpr(months)]));
}
/** months_between(date1, date2, roundOff = true): positive when date1 is later. */
export function months_between(date1: ColumnOrName, date2: ColumnOrName, roundOff = true): Column {
  return new Column(resolveFunction('months_between', [nameExpr(date1), nameExpr(date2), new Literal(roundOff)]));
}
/** unix_timestamp(): the query's current time; unix_timestamp(col, format = 'yyyy-MM-dd HH:mm:ss'): BIGINT seconds. */
export function unix_timestamp(timestamp?: ColumnOrName, format = 'yyyy-MM-dd HH:mm:ss'): Column {
  if (timestamp === undefined) return call('unix_timestamp');
  return new Column(resolveFunction('unix_timestamp', [nameExpr(timestamp), new Literal(format)]));
}
/** to_unix_timestamp(col, format?): PySpark's takes the format as a Column (`lit('yyyy-MM-dd')`); it must be a literal. */
export function to_unix_timestamp(timestamp: ColumnOrName, format?: Column): Column {
  return new Column(resolveFunction('to_unix_timestamp', format === undefined ? [nameExpr(timestamp)] : [nameExpr(timestamp), format.expr]));
}
export function from_unixtime(timestamp: ColumnOrName, format = 'yyyy-MM-dd HH:mm:ss'): Column {
  return new Column(resolveFunction('from_unixtime', [nameExpr(timestamp), new Literal(format)]));
}
/** date_trunc(format, timestamp): 'year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', … */
export function date_trunc(format: string, timestamp: ColumnOrName): Column {
  return new Column(resolveFunction('date_trunc', [new Literal(format), nameExpr(timestamp)]));
}
/** trunc(date, format): 'year', 'quarter', 'month' or 'week'; another unit gives null. */
export function trunc(date: ColumnOrName, format: string): Column {
  return new Column(resolveFunction('trunc', [nameExpr(date), new Literal(format)]));
}
/** split(str, pattern, limit = -1): `pattern` is a regular expression, as Spark's. */
export function split(c: ColumnOrName, pattern: string, limit = -1): Column {
  return new Column(resolveFunction('split', [nameExpr(c), new Literal(pattern), new Literal(limit)]));
}
export function explode(c: ColumnOrName): Column {
  return call('explode', c);
}
export function lower(c: ColumnOrName): Column {
  return call('lower', c);
}
export function upper(c: ColumnOrName): Column {
  return call('upper', c);
}
export function trim(c: ColumnOrName): Column {
  return call('trim', c);
}
export function ltrim(c: ColumnOrName): Column {
  return call('ltrim', c);
}
export function rtrim(c: ColumnOrName): Column {
  return call('rtrim', c);
}
export function length(c: ColumnOrName): Column {
  return call('length', c);
}
export function concat(...cols: ColumnOrName[]): Column {
  return call('concat', ...cols);
}
export function coalesce(...cols: ColumnOrName[]): Column {
  return call('coalesce', ...cols);
}
/** `when(cond, value).when(…).otherwise(value)`: values are literals unless Columns. */
export function when(condition: Column, value: ColumnOrValue): Column {
  return new Column(new CaseWhen([[condition.expr, valueExpr(value)]]));
}
export function asc(name: string): Column {
  return col(name).asc();
}
export function desc(name: string): Column {
  return col(name).desc();
}
/** substring(str, pos, len): 1-based; a negative position counts from the end. */
export function substring(c: ColumnOrName, pos: number, len: number): Column {
  return new Column(resolveFunction('substring', [nameExpr(c), new Literal(pos), new Literal(len)]));
}
/** concat_ws(sep, ...cols): null values are skipped; arrays of strings are joined too. */
export function concat_ws(sep: string, ...cols: ColumnOrName[]): Column {
  return new Column(resolveFunction('concat_ws', [new Literal(sep), ...cols.map(nameExpr)]));
}
/** regexp_replace(str, pattern, replacement): Java's replacement syntax (`$1`, `\\$`). */
export function regexp_replace(c: ColumnOrName, pattern: string | Column, replacement: string | Column): Column {
  return new Column(resolveFunction('regexp_replace', [nameExpr(c), valueExpr(pattern), valueExpr(replacement)]));
}
/** regexp_extract(str, pattern, idx): group `idx` of the first match, '' when nothing matches. */
export function regexp_extract(c: ColumnOrName, pattern: string, idx: number): Column {
  return new Column(resolveFunction('regexp_extract', [nameExpr(c), new Literal(pattern), new Literal(idx)]));
}
/** round(col, scale = 0): half away from zero, as Spark's HALF_UP. */
export function round(c: ColumnOrName, scale = 0): Column {
  return new Column(resolveFunction('round', [nameExpr(c), new Literal(scale)]));
}
export function floor(c: ColumnOrName): Column {
  return call('floor', c);
}
export function ceil(c: ColumnOrName): Column {
  return call('ceil', c);
}
export function size(c: ColumnOrName): Column {
  return call('size', c);
}
export function array_contains(c: ColumnOrName, value: ColumnOrValue): Column {
  return new Column(resolveFunction('array_contains', [nameExpr(c), valueExpr(value)]));
}
