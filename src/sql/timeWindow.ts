/**
 * The event-time `window(timeColumn, windowDuration, slideDuration?, startTime?)` (Spark's
 * TimeWindow): the windows `{ start, end }` containing each row's time. Its durations follow
 * Spark's rules (interval.ts and TimeWindow.checkInputDataTypes): a string that does not parse, a
 * month, a duration or slide that is not positive, a slide longer than the duration or a start
 * time whose absolute value is not less than the slide are refused when the window is made.
 * Where a plan reads it, windowRewrite.ts says.
 */
import { castTo } from './coercion.js';
import { AnalysisException } from './errors.js';
import { Expr, type BindContext, type Bound } from './expressions.js';
import { windowIntervalMs } from './interval.js';
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
