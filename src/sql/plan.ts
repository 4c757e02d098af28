/**
 * The logical plan under a DataFrame: each node is analysed when the DataFrame is made (its
 * schema and bound expressions), as Spark analyses eagerly, so a bad column fails at
 * `select(...)`, not at `start()`. Stateless nodes (Project, Filter, Watermark, Join with a
 * static side) compile into one per-row function chain, stateful ones (Aggregate, Deduplicate,
 * Sort, Limit) run over collections — see execute.ts — or, on a stream, in the state operators
 * of streaming/.
 */
import type { BoundAggregate } from './aggregation.js';
import { AnalysisException } from './errors.js';
import type { Bound, Expr } from './expressions.js';
import { StructType } from './types.js';
import { compareNullable, keyOf, type Row } from './values.js';

export type RowFn = (row: Row, push: (r: Row) => void) => void;

/** What a pipe reports while a batch flows through it: each withWatermark's event times (its max makes its watermark). */
export interface PipeObserver {
  eventTime(watermark: Watermark, ms: number): void;
}

export abstract class Plan {
  abstract readonly schema: StructType;
  abstract readonly children: Plan[];
  get isStreaming(): boolean {
    return this.children.some((c) => c.isStreaming);
  }
  get stateful(): boolean {
    return false;
  }
}

/** A static collection (createDataFrame, a memory table read at execution time). */
export class StaticScan extends Plan {
  readonly children: Plan[] = [];
  constructor(readonly schema: StructType, readonly rows: () => Row[]) {
    super();
  }
}

/** A streaming source; `spec` is created into a live source when a query starts. */
export class StreamScan<Spec = unknown> extends Plan {
  readonly children: Plan[] = [];
  constructor(readonly schema: StructType, readonly spec: Spec, readonly description: string) {
    super();
  }
  override get isStreaming(): boolean {
    return true;
  }
}

/** A node over one child whose rows keep the child's schema (Spark's UnaryNode with passthrough output). */
abstract class RowsOfChild extends Plan {
  readonly children: Plan[];
  constructor(child: Plan) {
    super();
    this.children = [child];
  }
  get schema(): StructType {
    return this.children[0]!.schema;
  }
}

export interface ProjectItem {
  name: string;
  /** The expression as written (an Alias keeps its child's watermark; a filter is pushed through by substituting it). */
  expr: Expr;
  bound: Bound;
  /** explode or a sliding window: eval gives an array, one output row per element. */
  generator: boolean;
}

export class Project extends Plan {
  readonly schema: StructType;
  readonly children: Plan[];
  constructor(child: Plan, readonly items: ProjectItem[], schema: StructType) {
    super();
    this.children = [child];
    this.schema = schema;
    if (items.filter((i) => i.generator).length > 1) {
      throw new AnalysisException('Only one generator allowed per select clause but found ' + items.filter((i) => i.generator).length);
    }
  }
}

export class Filter extends RowsOfChild {
  constructor(child: Plan, readonly condition: Bound, readonly text: string) {
    super(child);
  }
}

export class Watermark extends RowsOfChild {
  constructor(child: Plan, readonly column: string, readonly delayMs: number) {
    super(child);
  }
}

export class Aggregate extends Plan {
  readonly children: Plan[];
  constructor(child: Plan, readonly agg: BoundAggregate) {
    super();
    this.children = [child];
  }
  get schema(): StructType {
    return this.agg.schema;
  }
  override get stateful(): boolean {
    return true;
  }
}

export class Deduplicate extends RowsOfChild {
  constructor(child: Plan, readonly columns: string[]) {
    super(child);
  }
  override get stateful(): boolean {
    return true;
  }
  keyOf(row: Row): unknown {
    return keyOf(this.columns.map((c) => row[c] ?? null));
  }
}

export type JoinType = 'inner' | 'left_outer' | 'right_outer' | 'full_outer' | 'left_semi' | 'left_anti';

/** A join type as DataFrame.join takes it (Spark's names, case and underscores ignored). */
export function joinType(how: string): JoinType {
  const h = how.toLowerCase().replace(/_/g, '');
  switch (h) {
    case 'inner': return 'inner';
    case 'left': case 'leftouter': return 'left_outer';
    case 'right': case 'rightouter': return 'right_outer';
    case 'full': case 'outer': case 'fullouter': return 'full_outer';
    case 'leftsemi': case 'semi': return 'left_semi';
    case 'leftanti': case 'anti': return 'left_anti';
  }
  throw new AnalysisException(`Unsupported join type '${how}'. Supported join types include: 'inner', 'outer', 'full', 'fullouter', 'full_outer', 'leftouter', 'left', 'left_outer', 'rightouter', 'right', 'right_outer', 'leftsemi', 'left_semi', 'semi', 'leftanti', 'left_anti', 'anti'`);
}

export class Join extends Plan {
  readonly children: Plan[];
  constructor(
    left: Plan,
    right: Plan,
    readonly how: JoinType,
    readonly usingColumns: string[] | undefined,
    readonly condition: Bound | undefined,
    readonly schema: StructType,
  ) {
    super();
    this.children = [left, right];
    if (left.isStreaming && right.isStreaming) {
      throw new AnalysisException('Joins between two streaming DataFrames are not supported in dstreams (stream–static joins are)');
    }
    if (left.isStreaming && how !== 'inner' && how !== 'left_outer' && how !== 'left_semi' && how !== 'left_anti') {
      throw new AnalysisException(`${how.replace('_', ' ')} join with a streaming DataFrame on the left and a static DataFrame on the right is not supported`);
    }
    if (right.isStreaming && how !== 'inner' && how !== 'right_outer') {
      throw new AnalysisException(`${how.replace('_', ' ')} join with a streaming DataFrame on the right and a static DataFrame on the left is not supported`);
    }
  }
}

export interface SortOrder {
  bound: Bound;
  descending: boolean;
}

export class Sort extends RowsOfChild {
  constructor(child: Plan, readonly orders: SortOrder[]) {
    super(child);
  }
  override get stateful(): boolean {
    return true;
  }
  sort(rows: Row[]): Row[] {
    const orders = this.orders;
    return rows
      .map((r) => ({ r, k: orders.map((o) => o.bound.eval(r)) }))
      .sort((a, b) => {
        for (let i = 0; i < orders.length; i++) {
          const c = compareNullable(a.k[i], b.k[i]);
          if (c !== 0) return orders[i]!.descending ? -c : c;
        }
        return 0;
      })
      .map((x) => x.r);
  }
}

export class Limit extends RowsOfChild {
  constructor(child: Plan, readonly n: number) {
    super(child);
  }
  override get stateful(): boolean {
    return true;
  }
}
