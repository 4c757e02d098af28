/**
 * Spark's TimeWindowing rule (ResolveTimeWindows) for window() (timeWindow.ts): wherever it is
 * written — a select item or inside one (`window(t, …).start`, a cast), a groupBy key, a filter,
 * a sort — the operator's input gets one window column first (`windowedPlan`): a tumbling window
 * keeps the rows whose time is not NULL and gives each its window, a sliding one gives a row per
 * window (Spark's Expand). Every window() of the operator then reads that column
 * (`WindowColumn`), so `window(t, …).start` is a timestamp. Two different windows in one operator
 * are refused, as Spark's (they would be a cartesian product of rows). Apart from timeWindow.ts
 * because it builds plans, which the expression modules must not import.
 */
import { AnalysisException } from './errors.js';
import { Alias, ColumnRef, columnReader, Expr, transformExpr, walkExpr, type BindContext } from './expressions.js';
import { Project, type Plan, type ProjectItem } from './plan.js';
import { WINDOW_TYPE, WindowExpr } from './timeWindow.js';
import { StructField, StructType } from './types.js';
import type { Row } from './values.js';

/** A window() read from the window column `windowedPlan` added (Spark's window attribute); named as the window() was. */
export class WindowColumn extends ColumnRef {
  constructor(column: string, readonly window: WindowExpr) {
    super([column]);
  }
  override get name(): string {
    return this.window.name;
  }
  override get sql(): string {
    return this.window.sql;
  }
}

/** The one window() that `exprs` (one operator's expressions) use; equal calls are one window, different ones are refused. */
export function timeWindowOf(exprs: Expr[]): WindowExpr | undefined {
  const found = new Map<string, WindowExpr>();
  for (const e of exprs) for (const n of walkExpr(e)) if (n instanceof WindowExpr) found.set(n.key, n);
  if (found.size > 1) {
    throw new AnalysisException('Multiple time/session window expressions would result in a cartesian product of rows, therefore they are currently not supported.');
  }
  return found.values().next().value;
}

/**
 * `child` with `window`'s column added after its columns (Spark's TimeWindowing: Project for a
 * tumbling window — its caller filters out the NULL times first — Expand for a sliding one). The
 * column's name is one no column of `child` has; `readWindow` makes an expression read it.
 */
export function windowedPlan(child: Plan, window: WindowExpr, ctx: BindContext): { plan: Plan; readWindow: (e: Expr) => Expr } {
  let column = '__window';
  for (let i = 1; child.schema.field(column); i++) column = `__window${i}`;
  const items: ProjectItem[] = child.schema.fields.map((f) => ({
    name: f.name,
    expr: new ColumnRef([f.name]),
    bound: { type: f.dataType, eval: columnReader(f.name) },
    generator: false,
  }));
  const windows = window.windows(ctx);
  const eval_ = window.sliding ? windows : (r: Row) => windows(r)?.[0] ?? null;
  items.push({ name: column, expr: window, bound: { type: WINDOW_TYPE, eval: eval_ }, generator: window.sliding });
  const plan = new Project(child, items, new StructType([...child.schema.fields, new StructField(column, WINDOW_TYPE)]));
  const readWindow = (e: Expr) => transformExpr(e, (n) => (n instanceof WindowExpr ? new WindowColumn(column, n) : undefined));
  return { plan, readWindow };
}

/**
 * An aggregation's outputs when a group key is the window itself: outside the aggregates
 * (`isAggregate`, which read the input) the window is that group's column, read by its name.
 */
export function readGroupedWindow(groups: Expr[], outputs: Expr[], isAggregate: (e: Expr) => boolean): Expr[] {
  const key = groups.find((g) => (g instanceof Alias ? g.child : g) instanceof WindowColumn);
  if (key === undefined) return outputs;
  return outputs.map((o) => transformExpr(o, (e) => (isAggregate(e) ? e : e instanceof WindowColumn ? new ColumnRef([key.name]) : undefined)));
}
