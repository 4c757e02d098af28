/**
 * Function-call expressions: scalar functions (lower, split, from_json, date_format, …),
 * aggregates (count, sum, avg, min, max — bound by the aggregation operator), generators
 * (explode) and the event-time `window` (timeWindow.ts). `resolveFunction` is what the SQL parser and the
 * `functions` module both build calls with, so `expr('lower(x)')` and `lower(col('x'))` agree.
 */
import { AnalysisException } from './errors.js';
import { Expr, Literal, Star, type BindContext, type Bound } from './expressions.js';
import { branchType, castTo, widerCommonType } from './coercion.js';
import { concatValues } from './operators.js';
import { fromJsonReader } from './fromJson.js';
import { toJsonText } from './jsonWrite.js';
import { WindowExpr } from './timeWindow.js';
import { ArrayType, DataType, DateValue, StructType, Types, isNumeric, toSchema } from './types.js';
import { compileFormatter, compileParser } from './datetimePatterns.js';
import { castValue, longAbs } from './values.js';
import { arity, literalArg, strict1, text1, type ScalarImpl } from './scalarKit.js';
import { TEXT_FUNCTIONS, trimName } from './textFunctions.js';
import { NUMBER_FUNCTIONS } from './numberFunctions.js';
import { ARRAY_FUNCTIONS } from './arrayFunctions.js';
import { DATE_FUNCTIONS, DATE_NAMED_DEFAULTS } from './dateFunctions.js';
import { DEFAULT_PATTERN, patternArg } from './dateKit.js';

const SCALARS: Record<string, ScalarImpl> = {
  lower: text1('lower', Types.STRING, (s) => s.toLowerCase()),
  upper: text1('upper', Types.STRING, (s) => s.toUpperCase()),
  // Characters (code points), as Spark counts them, not UTF-16 units; bytes of a binary.
  length: (args, ctx, raw) => {
    const text = text1('length', Types.INTEGER, (s) => codePoints(s))(args, ctx, raw);
    const ae = args[0]!.eval;
    return { type: Types.INTEGER, eval: (r) => { const v = ae(r); return Buffer.isBuffer(v) ? v.length : text.eval(r); } };
  },
  concat: (args, _ctx, raw) => {
    const types = args.map((a) => a.type);
    // Spark's Concat of arrays: an array of all their elements (null when one is null).
    if (types.some((t) => t instanceof ArrayType) && types.every((t) => t instanceof ArrayType || t === Types.NULL)) return concatArrays(args, new ScalarCall('concat', raw).name);
    if (types.some((t) => t instanceof ArrayType)) {
      const listed = types.map((t) => `"${t.simpleString().toUpperCase()}"`).join(' or ');
      throw new AnalysisException(
        `[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve "${new ScalarCall('concat', raw).name}" due to data type mismatch: Input to \`concat\` should all be the same type, but it's (${listed}).`,
      );
    }
    return { type: Types.STRING, eval: (r) => concatValues(args.map((a) => a.eval(r)), types) };
  },
  coalesce: coalesce('coalesce'),
  // nvl and ifnull are coalesce of two, named as written (`nvl(a, b)`).
  nvl: coalesce('nvl', 2),
  ifnull: coalesce('ifnull', 2),
  from_json: (args, _ctx, raw) => {
    arity('from_json', raw, 2, 3);
    const s = literalArg(raw[1], 'from_json', 'the schema');
    const schema = s instanceof StructType ? s : toSchema(String(s));
    const o = raw[2] === undefined ? {} : literalArg(raw[2], 'from_json', 'the options');
    if (o === null || typeof o !== 'object') throw new AnalysisException('from_json: the options must be a map of strings');
    const read = fromJsonReader(schema, o as Record<string, unknown>);
    const ae = args[0]!.eval;
    return {
      type: schema,
      eval: (r) => {
        const v = ae(r);
        if (v === null || v === undefined) return null;
        return read(Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
      },
    };
  },
  to_json: (args) => {
    arity('to_json', args, 1);
    const a = args[0];
    const ae = a!.eval;
    const t = a!.type; // a double 2.0 is written 2.0, as Spark does
    return {
      type: Types.STRING,
      eval: (r) => {
        const v = ae(r);
        return v === null || v === undefined ? null : toJsonText(v, t);
      },
    };
  },
  current_timestamp: (_a, ctx) => ({ type: Types.TIMESTAMP, eval: () => new Date(ctx.now()) }),
  current_date: (_a, ctx) => ({
    type: Types.DATE,
    eval: () => new DateValue(Math.floor(ctx.now() / 86_400_000) * 86_400_000),
  }),
  to_timestamp: (args, _ctx, raw) => {
    const ae = args[0]!.eval;
    if (raw[1] === undefined) return { type: Types.TIMESTAMP, eval: (r) => castValue(ae(r), Types.TIMESTAMP) };
    arity('to_timestamp', raw, 1, 2);
    const pattern = patternArg(raw, 1, 'to_timestamp', DEFAULT_PATTERN);
    if (pattern === null) return { type: Types.TIMESTAMP, eval: () => null }; // a NULL format: NULL, as Spark
    const parse = compileParser(pattern);
    return {
      type: Types.TIMESTAMP,
      eval: (r) => {
        const v = ae(r);
        if (v === null || v === undefined) return null;
        // Spark's GetTimestamp: a date is its midnight, a timestamp itself; only text is parsed.
        if (v instanceof DateValue) return castValue(v, Types.TIMESTAMP);
        if (v instanceof Date) return v;
        const ms = parse(String(v));
        return ms === null ? null : new Date(ms);
      },
    };
  },
  timestamp_seconds: strict1('timestamp_seconds', Types.TIMESTAMP, (v) => castValue(Number(v), Types.TIMESTAMP)),
  date_format: (args, _ctx, raw) => {
    arity('date_format', raw, 2);
    const pattern = patternArg(raw, 1, 'date_format', DEFAULT_PATTERN);
    if (pattern === null) return { type: Types.STRING, eval: () => null }; // a NULL format: NULL, as Spark
    const format = compileFormatter(pattern);
    const ae = args[0]!.eval;
    return {
      type: Types.STRING,
      eval: (r) => {
        const v = castValue(ae(r), Types.TIMESTAMP) as Date | null;
        return v === null ? null : format(v);
      },
    };
  },
  // Spark's abs keeps a number's type (an int wraps: abs(-2^31) is -2^31); a string is read as a double.
  abs: (args, _ctx, raw) => {
    arity('abs', raw, 1);
    const a = args[0];
    const t = a!.type;
    if (t === Types.STRING) return strict1('abs', Types.DOUBLE, (v) => { const d = castValue(v, Types.DOUBLE) as number | null; return d === null ? null : Math.abs(d); })([a!], _ctx, raw);
    if (!isNumeric(t) && t !== Types.NULL) throw new AnalysisException(`abs: the argument must be a number, got ${t.simpleString()}`);
    if (t === Types.INTEGER) return strict1('abs', t, (v) => Math.abs(v as number) | 0)([a!], _ctx, raw);
    if (t === Types.LONG) return strict1('abs', t, (v) => longAbs(v as number | bigint))([a!], _ctx, raw);
    return strict1('abs', t === Types.NULL ? Types.DOUBLE : t, (v) => Math.abs(Number(v)))([a!], _ctx, raw);
  },
  ...TEXT_FUNCTIONS,
  substr: TEXT_FUNCTIONS.substring!,
  ...NUMBER_FUNCTIONS,
  ceiling: NUMBER_FUNCTIONS.ceil!,
  ...ARRAY_FUNCTIONS,
  ...DATE_FUNCTIONS,
};

/** Arguments Spark writes into a call's generated name when they were left out (`round(v, 0)`). */
const NAMED_DEFAULTS: Record<string, string[]> = {
  substring: ['', '', '2147483647'],
  substr: ['', '', '2147483647'],
  regexp_replace: ['', '', '', '1'],
  regexp_extract: ['', '', '1'],
  round: ['', '0'],
  ...DATE_NAMED_DEFAULTS,
};

/** Spark's coalesce coercion: every argument is cast to their wider common type (coalesce(int, 0.5) is a double). */
function coalesce(fn: string, count?: number): ScalarImpl {
  return (args, _ctx, raw) => {
    if (count !== undefined) arity(fn, raw, count);
    const type = branchType(args.map((a) => a.type), fn, new ScalarCall(fn, raw).name);
    const evals = args.map((a) => castTo(a, type));
    return {
      type,
      eval: (r) => {
        for (const e of evals) {
          const v = e(r);
          if (v !== null && v !== undefined) return v;
        }
        return null;
      },
    };
  };
}

/** concat of arrays: their elements in order, as an array of their wider element type; null when one is null. */
function concatArrays(args: Bound[], name: string): Bound {
  const elements = args.filter((a) => a.type instanceof ArrayType).map((a) => (a.type as ArrayType).elementType);
  const element = widerCommonType(elements);
  if (element === undefined) {
    const listed = args.map((a) => `"${a.type.simpleString().toUpperCase()}"`).join(' or ');
    throw new AnalysisException(
      `[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve "${name}" due to data type mismatch: Input to \`concat\` should all be the same type, but it's (${listed}).`,
    );
  }
  const evals = args.map((a) => castTo(a, a.type === Types.NULL ? undefined : new ArrayType(element)));
  return {
    type: new ArrayType(element),
    eval: (r) => {
      const out: unknown[] = [];
      for (const e of evals) {
        const v = e(r);
        if (v === null || v === undefined) return null;
        for (const x of v as unknown[]) out.push(x);
      }
      return out;
    },
  };
}

function codePoints(s: string): number {
  let n = 0;
  for (const _c of s) n++;
  return n;
}

/** A call of a scalar function. */
export class ScalarCall extends Expr {
  constructor(readonly fn: string, readonly args: Expr[]) {
    super();
  }
  get name(): string {
    const args = this.args.map((a) => a.sql); // a literal as Spark prints it: text bare, NULL, 1.0E10, DATE '2020-01-01'
    if (this.fn === 'split') return `split(${args.join(', ')}${this.args.length < 3 ? ', -1' : ''})`;
    if (this.fn === 'from_json') return `from_json(${this.args[0]!.sql})`;
    const trimmed = trimName(this.fn, args);
    if (trimmed !== undefined) return trimmed;
    const defaults = NAMED_DEFAULTS[this.fn];
    if (defaults) for (let i = args.length; i < defaults.length; i++) args.push(defaults[i]!);
    // Spark 3 names these two in capitals (`FLOOR(v)`).
    const fn = this.fn === 'floor' || this.fn === 'ceil' ? this.fn.toUpperCase() : this.fn;
    return `${fn}(${args.join(', ')})`;
  }
  bind(ctx: BindContext): Bound {
    const impl = SCALARS[this.fn]!;
    const bound = this.args.map((a) => (a instanceof Literal && !(a.value === null) ? a.bind() : a.bind(ctx)));
    return impl(bound, ctx, this.args);
  }
  override children(): Expr[] {
    return this.args;
  }
  override withChildren(c: Expr[]): Expr {
    return new ScalarCall(this.fn, c);
  }
}

export type AggregateFunction = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'collect_list' | 'collect_set';
const AGGREGATES = new Set<string>(['count', 'sum', 'avg', 'mean', 'min', 'max', 'collect_list', 'collect_set']);

/** count's several arguments (`count(DISTINCT a, b)`): their values, or null when any is null (Spark counts such rows not). */
export class ArgsTuple extends Expr {
  constructor(readonly args: Expr[]) {
    super();
  }
  get name(): string {
    return this.args.map((a) => a.sql).join(', ');
  }
  bind(ctx: BindContext): Bound {
    const evals = this.args.map((a) => a.bind(ctx).eval);
    return {
      type: new ArrayType(Types.STRING),
      eval: (r) => {
        const out = evals.map((e) => e(r));
        return out.some((v) => v === null || v === undefined) ? null : out;
      },
    };
  }
  override children(): Expr[] {
    return this.args;
  }
  override withChildren(c: Expr[]): Expr {
    return new ArgsTuple(c);
  }
}

/** An aggregate call: only the aggregation operator binds it (`aggregateType` gives its result type). */
export class AggregateCall extends Expr {
  readonly fn: AggregateFunction;
  /** The name the call was written with: SQL's `mean(v)` is avg, named `mean(v)` as Spark's alias is. */
  private readonly written: string;
  constructor(fn: string, readonly child: Expr, readonly distinct = false) {
    super();
    this.fn = (fn === 'mean' ? 'avg' : fn) as AggregateFunction;
    this.written = fn === 'mean' ? 'mean' : this.fn;
  }
  get name(): string {
    const arg = this.child instanceof Star ? '1' : this.child.sql;
    return `${this.written}(${this.distinct ? 'DISTINCT ' : ''}${arg})`;
  }
  bind(): Bound {
    throw new AnalysisException(`aggregate function ${this.name} can only be used in groupBy(...).agg(...) or select over a whole table`);
  }
  override containsAggregate(): boolean {
    return true;
  }
  override children(): Expr[] {
    return this.child instanceof Star ? [] : [this.child];
  }
  override withChildren(c: Expr[]): Expr {
    return c.length === 0 ? this : new AggregateCall(this.written, c[0]!, this.distinct);
  }
  resultType(input: DataType): DataType {
    if (this.fn === 'count') return Types.LONG;
    if (this.fn === 'collect_list' || this.fn === 'collect_set') return new ArrayType(input === Types.NULL ? Types.STRING : input);
    if (this.fn === 'avg') return Types.DOUBLE;
    if (this.fn === 'sum') {
      // Spark casts a string to double for sum.
      if (input === Types.STRING) return Types.DOUBLE;
      if (!isNumeric(input) && input !== Types.NULL) throw new AnalysisException(`${this.name}: sum needs a number, got ${input.simpleString()}`);
      return input === Types.DOUBLE || input === Types.FLOAT ? Types.DOUBLE : Types.LONG;
    }
    return input;
  }
}

/** explode(array): one output row per element (column `col`). */
export class Explode extends Expr {
  constructor(readonly child: Expr) {
    super();
  }
  get name(): string {
    return 'col';
  }
  bind(ctx: BindContext): Bound {
    const c = this.child.bind(ctx);
    if (!(c.type instanceof ArrayType)) throw new AnalysisException(`explode needs an array, got ${c.type.simpleString()}`);
    return { type: c.type.elementType, eval: c.eval };
  }
  override children(): Expr[] {
    return [this.child];
  }
  override withChildren(c: Expr[]): Expr {
    return new Explode(c[0]!);
  }
}

/** Spark's error for a function it does not know (the SQL parser adds `; line 1 pos N`). */
export function unresolvedRoutine(name: string): AnalysisException {
  return new AnalysisException(
    `[UNRESOLVED_ROUTINE] Cannot resolve function \`${name}\` on search path [\`system\`.\`builtin\`, \`system\`.\`session\`, \`spark_catalog\`.\`default\`].`,
  );
}

/** Builds a call by name (SQL text and `functions` share it); unknown names fail clearly. */
export function resolveFunction(name: string, args: Expr[], distinct = false): Expr {
  const fn = name.toLowerCase();
  if (AGGREGATES.has(fn)) {
    if (fn === 'count' && args.length > 1) return new AggregateCall(fn, new ArgsTuple(args), distinct);
    if (args.length !== 1) throw new AnalysisException(`${fn} takes one argument, got ${args.length}`);
    let a = args[0]!;
    // count(1) counts rows; count(NULL) counts nothing (a null literal is never non-null).
    if (fn === 'count' && a instanceof Literal && a.value !== null && a.value !== undefined) a = new Star();
    return new AggregateCall(fn, a, distinct);
  }
  if (fn === 'explode') {
    if (args.length !== 1) throw new AnalysisException(`explode takes one argument, got ${args.length}`);
    return new Explode(args[0]!);
  }
  if (fn === 'window') {
    const lit = (i: number) => (args[i] === undefined ? undefined : String(literalArg(args[i], 'window', 'a duration')));
    if (args.length < 2 || args.length > 4) throw new AnalysisException('window takes (timeColumn, windowDuration[, slideDuration[, startTime]])');
    return new WindowExpr(args[0]!, lit(1)!, lit(2), lit(3));
  }
  if (fn === 'now') return new ScalarCall('current_timestamp', []);
  if (!(fn in SCALARS)) throw unresolvedRoutine(name);
  return new ScalarCall(fn, args);
}
