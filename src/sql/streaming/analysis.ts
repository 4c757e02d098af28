/**
 * What start() checks and what the executor needs to know about a streaming plan, with Spark's
 * rules (UnsupportedOperationChecker): the one stream scan, the one stateful operator and the
 * watermark below it; append on an aggregation needs a watermark on a grouping column (or its
 * window); complete needs an aggregation; sorting only after an aggregation in complete mode;
 * and seed 002's table of sinks × modes.
 */
import { WindowExpr } from '../builtins.js';
import { AnalysisException } from '../errors.js';
import { Alias, ColumnRef, type Expr } from '../expressions.js';
import { Aggregate, Deduplicate, Join, Limit, Sort, StreamScan, Watermark, type Plan } from '../plan.js';
import { SINK_MODES, type OutputModeName } from '../sinks/Sink.js';
import type { Row } from '../values.js';

export interface StreamingShape {
  scan: StreamScan;
  stateful: Aggregate | Deduplicate | undefined;
  watermark: Watermark | undefined;
  /** Of a state key (an Aggregate's grouping values, a Deduplicate's row): the event time that evicts it, in ms. */
  evictionTime: ((keyOrRow: unknown[] | Row) => number | null) | undefined;
}

const MODE_NAME: Record<OutputModeName, string> = { append: 'Append', update: 'Update', complete: 'Complete' };

export function analyzeStreaming(root: Plan, mode: OutputModeName, sinkFormat: string): StreamingShape {
  const scans: StreamScan[] = [];
  const statefuls: Plan[] = [];
  const watermarks: Watermark[] = [];
  const sorts: Plan[] = [];
  const visit = (p: Plan): void => {
    if (p instanceof StreamScan) scans.push(p);
    if (p instanceof Watermark) watermarks.push(p);
    if (p instanceof Aggregate || p instanceof Deduplicate) {
      if (p.isStreaming) statefuls.push(p);
    }
    if ((p instanceof Sort || p instanceof Limit) && p.isStreaming) sorts.push(p);
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
  const stateful = statefuls[0] as Aggregate | Deduplicate | undefined;
  const watermark = watermarks[0];
  const isAgg = stateful instanceof Aggregate;

  const allowed = SINK_MODES[sinkFormat];
  if (allowed && !allowed.includes(mode)) {
    throw new AnalysisException(`Data source ${sinkFormat} does not support ${MODE_NAME[mode]} output mode`);
  }
  if (mode === 'complete' && !isAgg) {
    throw new AnalysisException('Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets');
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
  if (watermark && stateful && isBelow(watermark, stateful)) {
    evictionTime = isAgg ? aggregateEviction(stateful.agg.groupExprs, watermark.column) : dedupEviction(stateful, watermark.column);
  }
  if (isAgg && mode === 'append' && evictionTime === undefined) {
    throw new AnalysisException(
      'Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark',
    );
  }
  return { scan: scans[0]!, stateful, watermark, evictionTime };
}

/** True when `low` is in the subtree of `high`. */
function isBelow(low: Plan, high: Plan): boolean {
  if (low === high) return true;
  return high.children.some((c) => isBelow(low, c));
}

function aggregateEviction(groups: Expr[], column: string): StreamingShape['evictionTime'] {
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] instanceof Alias ? (groups[i] as Alias).child : groups[i]!;
    if (g instanceof WindowExpr && g.timeColumn instanceof ColumnRef && g.timeColumn.sql === column) {
      // A window is evicted (and late) once the watermark reaches its end: end is exclusive.
      return (key) => {
        const w = (key as unknown[])[i] as { end: Date } | null;
        return w ? w.end.getTime() - 1 : null;
      };
    }
    if (g instanceof ColumnRef && g.sql === column) {
      return (key) => {
        const t = (key as unknown[])[i] as Date | null;
        return t ? t.getTime() : null;
      };
    }
  }
  return undefined;
}

function dedupEviction(d: Deduplicate, column: string): StreamingShape['evictionTime'] {
  if (!d.columns.includes(column)) return undefined;
  return (row) => {
    const t = (row as Row)[column] as Date | null;
    return t instanceof Date ? t.getTime() : null;
  };
}
