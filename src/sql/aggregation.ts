/**
 * groupBy(...).agg(...) bound once: the grouping key of a row (a sliding window gives a row one
 * key per window), per-group aggregation buffers, and the output row of a group. Static
 * DataFrames and the streaming state store (execution/StateStoreDStream) use the same buffers,
 * so a streaming count and a static count agree by construction.
 *
 * Buffers are plain JSON-able arrays (the state checkpoint stores them): count → n, sum → s|null,
 * avg → [s, n], min/max → v|null, collect_list → [v, …]; DISTINCT and collect_set keep a Map of the values.
 */
import { AggregateCall } from './builtins.js';
import { AnalysisException } from './errors.js';
import { Alias, ColumnRef, Expr, Star, transformExpr, walkExpr, type BindContext, type Bound } from './expressions.js';
import { StructField, StructType, Types, type DataType } from './types.js';
import { castValue, compareSql, keyOf, longValue, type Row } from './values.js';

/** A group's aggregate results read by the output expressions under these names. */
const SLOT = '\u0000agg';

export interface GroupState {
  /** The grouping values, in groupBy order. */
  key: unknown[];
  bufs: unknown[];
}

interface AggFn {
  init(): unknown;
  update(buf: unknown, v: unknown): unknown;
  /** Two partial buffers of the same group into one (a batch's partial aggregate into the state). */
  merge(a: unknown, b: unknown): unknown;
  result(buf: unknown): unknown;
}

function aggFn(call: AggregateCall, resultType: DataType): AggFn {
  // collect_set is collect_list of the distinct values.
  const fn = call.fn === 'sum' && resultType === Types.LONG ? LONG_SUM : plainAggFn(call);
  return call.distinct || call.fn === 'collect_set' ? distinctOf(fn) : fn;
}

/**
 * sum of integers (a BIGINT): exact, as a Java long (wrapping on overflow, Spark's non-ANSI
 * Add) — number arithmetic while the sum is a safe integer, a bigint past 2^53.
 */
const LONG_SUM: AggFn = {
  init: () => null,
  update: (b, v) => (v === null || v === undefined ? b : b === null ? v : addLong(b, v)),
  merge: (a, b) => (a === null ? b : b === null ? a : addLong(a, b)),
  result: (b) => b,
};

function addLong(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b;
    if (Number.isSafeInteger(s)) return s;
  }
  return longValue(BigInt(a as number | bigint) + BigInt(b as number | bigint));
}

/** `fn(DISTINCT x)`: the distinct non-null values, by value (keyOf), folded by `fn` at the end. */
function distinctOf(fn: AggFn): AggFn {
  return {
    init: () => new Map<unknown, unknown>(),
    update: (b, v) => (v === null || v === undefined ? b : (b as Map<unknown, unknown>).set(keyOf([v]), v)),
    merge: (a, b) => {
      for (const [k, v] of b as Map<unknown, unknown>) (a as Map<unknown, unknown>).set(k, v);
      return a;
    },
    result: (b) => {
      let buf = fn.init();
      for (const v of (b as Map<unknown, unknown>).values()) buf = fn.update(buf, v);
      return fn.result(buf);
    },
  };
}

function plainAggFn(call: AggregateCall): AggFn {
  switch (call.fn) {
    case 'count':
      return {
        init: () => 0,
        update: (b, v) => (v === null || v === undefined ? b : (b as number) + 1),
        merge: (a, b) => (a as number) + (b as number),
        result: (b) => b,
      };
    case 'sum':
      return {
        init: () => null,
        update: (b, v) => {
          const n = toDouble(v);
          return n === null ? b : ((b as number | null) ?? 0) + n;
        },
        merge: (a, b) => (a === null ? b : b === null ? a : (a as number) + (b as number)),
        result: (b) => b,
      };
    case 'avg':
      return {
        init: () => [0, 0],
        update: (b, v) => {
          const n = toDouble(v);
          if (n === null) return b;
          const a = b as [number, number];
          a[0] += n;
          a[1]++;
          return a;
        },
        merge: (a, b) => [(a as [number, number])[0] + (b as [number, number])[0], (a as [number, number])[1] + (b as [number, number])[1]],
        result: (b) => ((b as [number, number])[1] === 0 ? null : (b as [number, number])[0] / (b as [number, number])[1]),
      };
    case 'collect_list':
    case 'collect_set':
      return {
        init: () => [],
        update: (b, v) => {
          if (v !== null && v !== undefined) (b as unknown[]).push(v);
          return b;
        },
        merge: (a, b) => (a as unknown[]).concat(b as unknown[]),
        // A copy: the buffer grows on, and a row already emitted must not change with it.
        result: (b) => (b as unknown[]).slice(),
      };
    case 'min':
    case 'max': {
      const sign = call.fn === 'min' ? -1 : 1;
      return {
        init: () => null,
        update: (b, v) => (v === null || v === undefined ? b : b === null || compareSql(v, b) * sign > 0 ? v : b),
        merge: (a, b) => (b === null ? a : a === null || compareSql(b, a) * sign > 0 ? b : a),
        result: (b) => b,
      };
    }
  }
}

/** A sum (of doubles) or avg input as a number: Spark's implicit CAST(x AS DOUBLE) for anything else (a bigint; '', 'n/a', '0x10' → null, skipped). */
function toDouble(v: unknown): number | null {
  return typeof v === 'number' ? v : (castValue(v, Types.DOUBLE) as number | null);
}

/** What an aggregate reads of a row: sum/avg of a string column cast to double, as Spark's PromoteStrings does. */
function argEval(call: AggregateCall, arg: Bound): (row: Row) => unknown {
  const e = arg.eval;
  if ((call.fn === 'sum' || call.fn === 'avg') && arg.type === Types.STRING) return (row) => castValue(e(row), Types.DOUBLE);
  return e;
}

export class BoundAggregate {
  readonly schema: StructType;
  /** Evaluates the grouping values of a row (one key a row: a window is already a column of the input). */
  readonly keysOf: (row: Row, push: (key: unknown[]) => void) => void;
  /** Index of the grouping column that is the watermarked event-time column, if any. */
  readonly groupNames: string[];
  private readonly calls: AggregateCall[];
  private readonly fns: AggFn[];
  private readonly argEvals: ((row: Row) => unknown)[];
  private readonly outputs: Bound[];
  private readonly outputNames: string[];
  readonly hasDistinct: boolean;
  private readonly direct: number[] | undefined;
  /** The aggregation buffers' result types, in call order. */
  private readonly slotTypes: DataType[];

  constructor(readonly groupExprs: Expr[], aggs: Expr[], ctx: BindContext) {
    const groupBy = groupExprs;
    const groups = groupBy.map((g) => ({ expr: g, name: g.name, bound: bindGroup(g, ctx) }));
    this.groupNames = groups.map((g) => g.name);
    // A window() key is a column by now (windowRewrite.ts added it below the aggregation): each row has one key.
    const evals = groups.map((g) => g.bound.eval);
    if (evals.length === 1) {
      const e = evals[0]!;
      this.single = e;
      this.keysOf = (row, push) => push([e(row)]);
    } else {
      this.keysOf = (row, push) => push(evals.map((e) => e(row)));
    }

    // Replace each aggregate call by a slot the group's output row carries, and each grouping
    // expression (`upper(a)` grouped by `upper(a)`) by its group column.
    this.calls = [];
    const groupBySql = new Map(groups.map((g) => [unalias(g.expr).sql.toLowerCase(), g.name]));
    const outExprs = aggs.map((a) =>
      transformExpr(a, (e) => {
        if (e instanceof AggregateCall) {
          const i = this.calls.length;
          this.calls.push(e);
          return new SlotRef(`${SLOT}${i}`, e.name);
        }
        // A plain column binds to its group column by name; a struct field (`s.x`) by its text.
        const group = e instanceof Alias || (e instanceof ColumnRef && e.parts.length === 1) ? undefined : groupBySql.get(e.sql.toLowerCase());
        return group === undefined ? undefined : new SlotRef(group, e.name);
      }),
    );
    // Spark's CheckAnalysis: what is left may read only group columns (literals and functions of
    // them are fine: `SELECT a, 1, upper(a) ... GROUP BY a`).
    const groupSchema = new StructType(groups.map((g) => new StructField(g.name, g.bound.type)));
    for (const out of outExprs) {
      for (const e of walkExpr(out)) {
        if (e instanceof ColumnRef && !(e instanceof SlotRef) && !groupSchema.field(e.parts[0]!) && !groupSchema.field(e.sql)) {
          throw new AnalysisException(`expression '${e.sql}' is neither present in the group by, nor is it an aggregate function`);
        }
      }
    }
    this.hasDistinct = this.calls.some((c) => c.distinct);
    const slotFields = this.calls.map((c, i) => {
      const inType = c.child instanceof Star ? Types.INTEGER : c.child.bind(ctx).type;
      return new StructField(`${SLOT}${i}`, c.resultType(inType), c.fn !== 'count');
    });
    this.fns = this.calls.map((c, i) => aggFn(c, slotFields[i]!.dataType));
    this.argEvals = this.calls.map((c) => (c.child instanceof Star ? () => 1 : argEval(c, c.child.bind(ctx))));
    const groupFields = groups.map((g) => new StructField(g.name, g.bound.type));
    this.slotTypes = slotFields.map((f) => f.dataType);
    const slotSchema = new StructType([...groupFields, ...slotFields]);
    this.outputs = outExprs.map((e) => e.bind({ ...ctx, schema: slotSchema }));
    this.outputNames = aggs.map((a) => a.name);
    // Outputs that are plain aggregates (`count(x)`, `sum(y) AS s`) read their buffer directly.
    const slotOf = (e: Expr): number => {
      const inner = e instanceof Alias ? e.child : e;
      return inner instanceof SlotRef && inner.parts[0]!.startsWith(SLOT) ? Number(inner.parts[0]!.slice(SLOT.length)) : -1;
    };
    const slots = outExprs.map(slotOf);
    const groupNameSet = new Set(this.groupNames);
    this.direct = slots.every((i) => i >= 0) && !this.outputNames.some((n) => groupNameSet.has(n)) ? slots : undefined;
    this.schema = new StructType([
      ...groupFields,
      ...outExprs.map((_e, i) => {
        const a = unalias(aggs[i]!);
        return new StructField(this.outputNames[i]!, this.outputs[i]!.type, !(a instanceof AggregateCall && a.fn === 'count'));
      }),
    ]);
  }

  /**
   * What the state's keys and buffers are, for a restarted query to check its checkpoint against
   * (Spark's state schema check): the grouping columns and their types, and each aggregate.
   */
  get stateSchema(): string {
    // Types and functions, not names, as Spark's check ignores names: renaming a column or an
    // alias keeps the state; count becoming sum, or a key of another type, does not.
    const keys = this.schema.fields.slice(0, this.groupNames.length).map((f) => f.dataType.simpleString());
    const bufs = this.calls.map((c, i) => `${c.fn}${c.distinct ? ' distinct' : ''} ${this.slotTypes[i]!.simpleString()}`);
    return `key (${keys.join(', ')}), aggregates (${bufs.join(', ')})`;
  }

  /** One group value and no window: the key is that value (the state store's fast path). */
  get singleKey(): ((row: Row) => unknown) | undefined {
    return this.single;
  }
  private single: ((row: Row) => unknown) | undefined;

  newBuffers(): unknown[] {
    return this.fns.map((f) => f.init());
  }

  /** Adds one row to a group's buffers, in place (`update` without the return, specialised for one count). */
  get step(): (bufs: unknown[], row: Row) => void {
    if (this.calls.length === 1 && this.calls[0]!.fn === 'count' && this.calls[0]!.child instanceof Star) {
      return (bufs) => void (bufs[0] = (bufs[0] as number) + 1);
    }
    return (bufs, row) => void this.update(bufs, row);
  }

  /** Folds the partial buffers `b` into `a`, in place. */
  merge(a: unknown[], b: readonly unknown[]): void {
    const fns = this.fns;
    for (let i = 0; i < fns.length; i++) a[i] = fns[i]!.merge(a[i], b[i]);
  }

  /** Adds one row to a group's buffers (in place; returns them). */
  update(bufs: unknown[], row: Row): unknown[] {
    const fns = this.fns;
    const args = this.argEvals;
    for (let i = 0; i < fns.length; i++) bufs[i] = fns[i]!.update(bufs[i], args[i]!(row));
    return bufs;
  }

  /** The output row of a group. */
  output(g: GroupState): Row {
    const direct = this.direct;
    if (direct) {
      const out: Row = {};
      const names = this.groupNames;
      for (let i = 0; i < names.length; i++) out[names[i]!] = g.key[i];
      for (let i = 0; i < direct.length; i++) out[this.outputNames[i]!] = this.fns[direct[i]!]!.result(g.bufs[direct[i]!]);
      return out;
    }
    const slots: Row = {};
    const names = this.groupNames;
    for (let i = 0; i < names.length; i++) slots[names[i]!] = g.key[i];
    for (let i = 0; i < this.fns.length; i++) slots[`${SLOT}${i}`] = this.fns[i]!.result(g.bufs[i]);
    const out: Row = {};
    for (let i = 0; i < names.length; i++) out[names[i]!] = g.key[i];
    for (let i = 0; i < this.outputs.length; i++) out[this.outputNames[i]!] = this.outputs[i]!.eval(slots);
    return out;
  }

  /** Aggregates a whole collection (static DataFrames, a complete table). */
  aggregateAll(rows: Iterable<Row>, globalIfEmpty: boolean): Row[] {
    const groups = new Map<unknown, GroupState>();
    for (const row of rows) {
      this.keysOf(row, (key) => {
        const k = keyOf(key);
        let g = groups.get(k);
        if (g === undefined) groups.set(k, (g = { key, bufs: this.newBuffers() }));
        this.update(g.bufs, row);
      });
    }
    if (groups.size === 0 && globalIfEmpty && this.groupNames.length === 0) groups.set('', { key: [], bufs: this.newBuffers() });
    return [...groups.values()].map((g) => this.output(g));
  }
}

function unalias(e: Expr): Expr {
  return e instanceof Alias ? e.child : e;
}

function bindGroup(e: Expr, ctx: BindContext): Bound {
  for (const n of walkExpr(e)) if (n instanceof AggregateCall) throw new AnalysisException(`aggregate functions are not allowed in GROUP BY: ${e.name}`);
  return e.bind(ctx);
}

/** Reads an aggregate's result from the slot row. */
class SlotRef extends ColumnRef {
  constructor(
    slot: string,
    private readonly display: string,
  ) {
    super([slot]);
  }
  override get name(): string {
    return this.display;
  }
  override get sql(): string {
    return this.display;
  }
}
