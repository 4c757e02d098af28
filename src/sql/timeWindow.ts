/**
 * The event-time `window(timeColumn, windowDuration, slideDuration?, startTime?)` (Spark's
 * TimeWindow): the windows `{ start, end }` containing each row's time. Its durations follow
 * Spark's rules (interval.ts and TimeWindow.checkInputDataTypes): a string that does not parse, a
 * month, a duration or slide that is not positive, a slide longer than the duration or a start
 * time whose absolute value is not less than the slide are refused when the window is made.
 *
 * Wherever window() is written — a select item or inside one (`window(t, …).start`, a cast), a
 * groupBy key, a filter, a sort — the operator's input gets one window column first, as Spark's
 * TimeWindowing rule (ResolveTimeWindows) adds it below the operator (`windowedPlan`): a tumbling
 * window keeps the rows whose time is not NULL and gives each its window, a sliding one gives a
 * row per window (Spark's Expand). Every window() of the operator then reads that column
 * (`WindowColumn`), so `window(t, …).start` is a timestamp. Two different windows in one operator
 * are refused, as Spark's (they would be a cartesian product of rows).
 */
import { castTo } from './coercion.js';
import { AnalysisException } from './errors.js';
import { Alias, ColumnRef, columnReader, Expr, transformExpr, walkExpr, type BindContext, type Bound } from './expressions.js';
import { windowIntervalMs } from './interval.js';
import { Project, type Plan, type ProjectItem } from './plan.js';
import { StructField, StructType, Types } from './types.js';
import type { Row } from './values.js';

export const WINDOW_TYPE = new StructType([new StructField('start', Types.TIMESTAMP), new StructField('end', Types.TIMESTAMP)]);

/**
 * Tumbling gives one window; sliding gives duration/slide of them, so like explode it multiplies
 * rows (Spark expands rows the same way). It only binds through `windowedPlan`.
 */
export class WindowExpr extends Expr {
  readonly durationMs: number;
  readonly slideMs: number;
  readonly startMs: number;
  constructor(readonly timeColumn: Expr, duration: string, slide?: string, start?: string) {
    super();
    this.durationMs = windowIntervalMs(duration);
    this.slideMs = slide === undefined ? this.durationMs : windowIntervalMs(slide);
    this.startMs = start === undefined ? 0 : windowIntervalMs(start);
    // TimeWindow.checkInputDataTypes, in its order and words (durations in microseconds).
    const us = (ms: number): number => Math.round(ms * 1000);
    const outOfRange = (param: string, ms: number): AnalysisException =>
      new AnalysisException(
        `[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] Cannot resolve "window(${timeColumn.sql}, ${us(this.durationMs)}, ${us(this.slideMs)}, ${us(this.startMs)})" ` +
          `due to data type mismatch: The \`${param}\` must be between (0, 9223372036854775807] (current value = ${us(ms)}L).`,
      );
    if (!(this.durationMs > 0)) throw outOfRange('window_duration', this.durationMs);
    if (!(this.slideMs > 0)) throw outOfRange('slide_duration', this.slideMs);
    const violation = (left: string, lv: number, op: string, right: string, rv: number): AnalysisException =>
      new AnalysisException(
        `[DATATYPE_MISMATCH.PARAMETER_CONSTRAINT_VIOLATION] Cannot resolve "window(${timeColumn.sql}, ${us(this.durationMs)}, ${us(this.slideMs)}, ${us(this.startMs)})" ` +
          `due to data type mismatch: The \`${left}\`(${us(lv)}L) must be ${op} the \`${right}\`(${us(rv)}L).`,
      );
    if (this.slideMs > this.durationMs) throw violation('slide_duration', this.slideMs, '<=', 'window_duration', this.durationMs);
    if (Math.abs(this.startMs) >= this.slideMs) throw violation('abs(start_time)', Math.abs(this.startMs), '<', 'slide_duration', this.slideMs);
  }
  /** What makes two window() calls the same window (Spark's semantic equality): the time column and the durations. */
  get key(): string {
    return `${this.timeColumn.sql.toLowerCase()}|${this.durationMs}|${this.slideMs}|${this.startMs}`;
  }
  get name(): string {
    return 'window';
  }
  get sliding(): boolean {
    return this.slideMs !== this.durationMs;
  }
  bind(_ctx?: BindContext): Bound {
    throw new AnalysisException(
      `window(${this.timeColumn.sql}, …) can only be used in select, selectExpr, withColumn, where/filter, groupBy/agg and orderBy`,
    );
  }
  /** The windows of a row's time, latest first (an array; null for a null time). */
  windows(ctx: BindContext): (row: Row) => Row[] | null {
    const t = this.timeColumn.bind(ctx);
    // Spark's ImplicitCastInputTypes: a string (or null) time is cast to a timestamp; one that does
    // not parse is null, and its row has no window.
    if (t.type !== Types.TIMESTAMP && t.type !== Types.DATE && t.type !== Types.STRING && t.type !== Types.NULL) {
      throw new AnalysisException(`window: the time column ${this.timeColumn.sql} must be a timestamp, got ${t.type.simpleString()}`);
    }
    const { durationMs: d, slideMs: s, startMs: o } = this;
    const te = t.type === Types.STRING || t.type === Types.NULL ? castTo(t, Types.TIMESTAMP) : t.eval;
    return (r) => {
      const v = te(r) as Date | null;
      if (v === null || v === undefined) return null;
      const ts = v.getTime();
      const last = ts - ((((ts - o) % s) + s) % s);
      const out: Row[] = [];
      // Spark's order (TimeWindowing's Expand): the latest window first.
      const n = Math.ceil(d / s);
      for (let i = 0, start = last; i < n; i++, start -= s) {
        if (start + d > ts) out.push({ start: new Date(start), end: new Date(start + d) });
      }
      return out;
    };
  }
  override children(): Expr[] {
    return [this.timeColumn];
  }
  override withChildren(c: Expr[]): Expr {
    const w = Object.create(WindowExpr.prototype) as WindowExpr;
    Object.assign(w, this, { timeColumn: c[0]! });
    return w;
  }
}

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
