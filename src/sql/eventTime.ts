/**
 * Which columns carry a watermark: Spark's EventTimeWatermark.delayKey metadata on an attribute.
 * withWatermark puts it on its event-time column (and takes it off any other). A column that is
 * that attribute under another name keeps it — an Alias inherits its child attribute's metadata
 * (`col('t').as('u')`, withColumnRenamed, SQL `t AS u`) — and so does a window over it
 * (TimeWindowing copies the time column's metadata); a computed column (a cast, arithmetic) does
 * not. The stateful operators read it from their input, so late rows and eviction follow the
 * event-time column wherever it was renamed.
 */
import { WindowExpr } from './timeWindow.js';
import { Alias, ColumnRef, type Expr } from './expressions.js';
import { Aggregate, Deduplicate, Filter, Join, Limit, Project, Sort, Watermark, type Plan } from './plan.js';
import type { StructType } from './types.js';

/** The input column (of `schema`) whose watermark `e`'s output keeps: a column, an alias of one, or a window over one. */
export function inheritedColumn(e: Expr, schema: StructType): string | undefined {
  let inner = e;
  while (inner instanceof Alias) inner = inner.child;
  if (inner instanceof WindowExpr) inner = inner.timeColumn;
  if (!(inner instanceof ColumnRef)) return undefined;
  const r = inner.resolveIn(schema);
  return r && r.path.length === 0 ? r.column : undefined;
}

/** The columns of `plan`'s output that carry a watermark, in schema order. */
export function watermarkedColumns(plan: Plan): string[] {
  if (plan instanceof Watermark) return [plan.column];
  if (plan instanceof Filter || plan instanceof Deduplicate || plan instanceof Sort || plan instanceof Limit) {
    return watermarkedColumns(plan.children[0]!);
  }
  if (plan instanceof Project) return inheriting(plan.children[0]!, plan.items.map((i) => [i.name, i.expr]));
  if (plan instanceof Aggregate) return inheriting(plan.children[0]!, plan.agg.groupExprs.map((g, i) => [plan.agg.groupNames[i]!, g]));
  if (plan instanceof Join) {
    // A static side's watermark is ignored (Spark's EliminateEventTimeWatermark).
    const marked = plan.children.filter((c) => c.isStreaming).flatMap(watermarkedColumns);
    return plan.schema.fieldNames.filter((n) => marked.includes(n));
  }
  return [];
}

/** Whether `e`'s output keeps the watermark of one of `marked`, its input's watermarked columns. */
export function keepsWatermark(e: Expr, input: StructType, marked: readonly string[]): boolean {
  const c = inheritedColumn(e, input);
  return c !== undefined && marked.includes(c);
}

function inheriting(child: Plan, outputs: [name: string, expr: Expr][]): string[] {
  const below = watermarkedColumns(child);
  if (below.length === 0) return [];
  return outputs.filter(([, e]) => keepsWatermark(e, child.schema, below)).map(([name]) => name);
}

/**
 * A watermarked value's event time in ms: a timestamp's, or for a window its end — Spark's
 * WatermarkSupport compares `window.end <= watermark`, so a window closes (and a row of it is
 * late) once the watermark reaches its end, not a millisecond before. Null (never late) otherwise.
 */
export function eventTimeOf(v: unknown): number | null {
  if (v instanceof Date) return v.getTime();
  const end = (v as { end?: unknown } | null)?.end;
  return end instanceof Date ? end.getTime() : null;
}
