/**
 * What start() checks and what the executor needs to know about a streaming plan, with Spark's
 * rules (UnsupportedOperationChecker): the one stream scan; the stateful operator (one, or a
 * dropDuplicates below an aggregation); the watermarks (one per stream: not redefined) and which
 * of the operator's input columns carry one (eventTime.ts); append on an aggregation needs a
 * watermark on a grouping column (or its window); complete needs an aggregation; sorting only
 * after an aggregation in complete mode; a limit in append mode counts across batches (Spark's
 * StreamingGlobalLimitExec), after an aggregation in complete mode it cuts each batch's table, in
 * update mode it is refused; and seed 002's table of sinks × modes.
 */
import { AnalysisException } from '../errors.js';
import { eventTimeOf, keepsWatermark, watermarkedColumns } from '../eventTime.js';
import type { Expr } from '../expressions.js';
import { Aggregate, Deduplicate, Join, Limit, Sort, StreamScan, Watermark, type Plan } from '../plan.js';
import { SINK_MODES, type OutputModeName } from '../sinks/Sink.js';
import type { StructType } from '../types.js';
import type { Row } from '../values.js';

export interface StreamingShape {
  scan: StreamScan;
  stateful: Aggregate | Deduplicate | undefined;
  /** A dropDuplicates below the aggregation `stateful`: a state operator of its own, whose output the aggregation reads. */
  dedupBelow: Deduplicate | undefined;
  /** Every withWatermark on the streaming side, in plan order (Spark's EventTimeWatermarkExec operators). */
  watermarks: Watermark[];
  /** Of a state key (an Aggregate's grouping values, a Deduplicate's row): the event time that evicts it, in ms. */
  evictionTime: ((keyOrRow: unknown[] | Row) => number | null) | undefined;
  /** Of a Deduplicate's input row: its event time, when the input carries a watermarked column (late rows are dropped). */
  lateTime: ((row: Row) => number | null) | undefined;
  /** In append mode, the limits whose counts are state (each passes `n` rows over the query's life), in plan order. */
  globalLimits: Limit[];
}

const MODE_NAME: Record<OutputModeName, string> = { append: 'Append', update: 'Update', complete: 'Complete' };

export function analyzeStreaming(root: Plan, mode: OutputModeName, sinkFormat: string): StreamingShape {
  const scans: StreamScan[] = [];
  const statefuls: Plan[] = [];
  const watermarks: Watermark[] = [];
  const sorts: Plan[] = [];
  const limits: Limit[] = [];
  const visit = (p: Plan): void => {
    if (p instanceof StreamScan) scans.push(p);
    if (p instanceof Watermark) watermarks.push(p);
    if (p instanceof Aggregate || p instanceof Deduplicate) {
      if (p.isStreaming) statefuls.push(p);
    }
    if (p instanceof Sort && p.isStreaming) sorts.push(p);
    if (p instanceof Limit && p.isStreaming) limits.push(p);
    if (p instanceof Join) {
      // The static side runs as a static query each batch.
      const [l, r] = p.children as [Plan, Plan];
      visit(l.isStreaming ? l : r);
      return;
    }
    for (const c of p.children) visit(c);
  };
  visit(root);
  if (scans.length !== 1) throw new AnalysisException(`a streaming query reads exactly one streaming source, found ${scans.length}`);
  for (const w of watermarks) {
    if (w.children.some(hasWatermark)) {
      throw new AnalysisException(
        `Redefining watermark is disallowed: withWatermark('${w.column}') is over another withWatermark of the same stream. ` +
          'Define one watermark per stream (on the column the stateful operator keys or windows by)',
      );
    }
  }
  const stateful = statefuls[0] as Aggregate | Deduplicate | undefined;
  const dedupBelow = statefulChain(statefuls as (Aggregate | Deduplicate)[]);
  const isAgg = stateful instanceof Aggregate;

  const allowed = SINK_MODES[sinkFormat];
  if (allowed && !allowed.includes(mode)) {
    throw new AnalysisException(`Data source ${sinkFormat} does not support ${MODE_NAME[mode]} output mode`);
  }
  if (mode === 'complete' && !isAgg) {
    throw new AnalysisException('Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets');
  }
  if (limits.length > 0 && mode === 'update') throw new AnalysisException('Limits are not supported on streaming DataFrames/Datasets in Update output mode');
  for (const l of limits) {
    if (stateful && !isBelow(stateful, l)) {
      // Spark would limit the stateful operator's input; dstreams runs that part inside the state operator.
      throw new AnalysisException('A limit below a streaming aggregation or dropDuplicates is not supported; put the limit after it');
    }
  }
  if (sorts.length > 0 && !(isAgg && mode === 'complete')) {
    throw new AnalysisException('Sorting is not supported on streaming DataFrames/Datasets, unless it is on aggregated DataFrame/Dataset in Complete output mode');
  }
  for (const s of sorts) {
    if (!isBelow(stateful!, s)) {
      throw new AnalysisException('Sorting is not supported on streaming DataFrames/Datasets, unless it is on aggregated DataFrame/Dataset in Complete output mode');
    }
  }

  let evictionTime: StreamingShape['evictionTime'];
  let lateTime: StreamingShape['lateTime'];
  if (stateful) {
    const input = stateful.children[0]!;
    const marked = watermarkedColumns(input);
    if (isAgg) evictionTime = aggregateEviction(stateful.agg.groupExprs, input.schema, marked);
    else ({ evictionTime, lateTime } = dedupEventTimes(stateful));
  }
  if (isAgg && mode === 'append' && evictionTime === undefined) {
    throw new AnalysisException(
      'Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark',
    );
  }
  return { scan: scans[0]!, stateful, dedupBelow, watermarks, evictionTime, lateTime, globalLimits: mode === 'append' ? limits : [] };
}

/**
 * The state operators, top first. Spark 3.5 runs several in a query; dstreams runs one, or a
 * dropDuplicates below an aggregation (two state operators chained, MicroBatchExecution.ts):
 * that dropDuplicates, if any.
 */
function statefulChain(statefuls: (Aggregate | Deduplicate)[]): Deduplicate | undefined {
  if (statefuls.length <= 1) return undefined;
  const [top, next] = statefuls;
  if (statefuls.length === 2 && top instanceof Aggregate && next instanceof Deduplicate) return next;
  const names = statefuls.map((p) => (p instanceof Aggregate ? 'an aggregation' : 'a dropDuplicates')).join(' over ');
  throw new AnalysisException(
    `This query has ${statefuls.length} stateful operators (${names}); dstreams runs one per query, or a dropDuplicates below an aggregation`,
  );
}

/** A Deduplicate's event-time functions (StateContext's evictionTime and lateTime) from the watermarks of its input. */
export function dedupEventTimes(d: Deduplicate): Pick<StreamingShape, 'evictionTime' | 'lateTime'> {
  const marked = watermarkedColumns(d.children[0]!);
  return { evictionTime: dedupEviction(d, marked), lateTime: marked.length > 0 ? rowEventTime(marked[0]!) : undefined };
}

/** Spark's "Redefining watermark is disallowed": a withWatermark with another in its subtree. */
function hasWatermark(p: Plan): boolean {
  return p instanceof Watermark || p.children.some(hasWatermark);
}

/** True when `low` is in the subtree of `high`. */
function isBelow(low: Plan, high: Plan): boolean {
  if (low === high) return true;
  return high.children.some((c) => isBelow(low, c));
}

/** By the first grouping key that carries the watermark (the event-time column or a window over it). */
function aggregateEviction(groups: Expr[], input: StructType, marked: string[]): StreamingShape['evictionTime'] {
  const i = groups.findIndex((g) => keepsWatermark(g, input, marked));
  return i < 0 ? undefined : (key) => eventTimeOf((key as unknown[])[i]);
}

/** Keys are evicted only when a dedup key carries the watermark (Spark's watermarkPredicateForKeys). */
function dedupEviction(d: Deduplicate, marked: string[]): StreamingShape['evictionTime'] {
  const column = d.columns.find((c) => marked.includes(c));
  if (column === undefined) return undefined;
  const of = rowEventTime(column);
  return (row) => of(row as Row);
}

/** Late rows are dropped by the input's event-time column, whatever the keys (Spark's watermarkPredicateForData). */
function rowEventTime(column: string): (row: Row) => number | null {
  return (row) => eventTimeOf(row[column]);
}
