/**
 * The logical plan under a DataFrame: each node is analysed when the DataFrame is made (its
 * schema and bound expressions), as Spark analyses eagerly, so a bad column fails at
 * `select(...)`, not at `start()`. Stateless nodes (Project, Filter, Watermark, Join with a
 * static side) compile into one per-row function chain (`compilePipe`); stateful ones (Aggregate,
 * Deduplicate, Sort, Limit) are run by the static executor (`executeStatic`) or, on a stream, by
 * the state operators of `execution/`.
 */
import type { BoundAggregate } from './aggregation.js';
import { AnalysisException } from './errors.js';
import type { Bound } from './expressions.js';
import { StructType } from './types.js';
import { compareNullable, keyOf, type Row } from './values.js';

export type RowFn = (row: Row, push: (r: Row) => void) => void;

/** What a pipe reports while a batch flows through it (the watermark's max event time). */
export interface PipeObserver {
  eventTime(column: string, ms: number): void;
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

export interface ProjectItem {
  name: string;
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

export class Filter extends Plan {
  readonly children: Plan[];
  constructor(child: Plan, readonly condition: Bound, readonly text: string) {
    super();
    this.children = [child];
  }
  get schema(): StructType {
    return this.children[0]!.schema;
  }
}

export class Watermark extends Plan {
  readonly children: Plan[];
  constructor(child: Plan, readonly column: string, readonly delayMs: number) {
    super();
    this.children = [child];
  }
  get schema(): StructType {
    return this.children[0]!.schema;
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

export class Deduplicate extends Plan {
  readonly children: Plan[];
  constructor(child: Plan, readonly columns: string[]) {
    super();
    this.children = [child];
  }
  get schema(): StructType {
    return this.children[0]!.schema;
  }
  override get stateful(): boolean {
    return true;
  }
  keyOf(row: Row): unknown {
    return keyOf(this.columns.map((c) => row[c] ?? null));
  }
}

export type JoinType = 'inner' | 'left_outer' | 'right_outer' | 'full_outer' | 'left_semi' | 'left_anti';

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

export class Sort extends Plan {
  readonly children: Plan[];
  constructor(child: Plan, readonly orders: SortOrder[]) {
    super();
    this.children = [child];
  }
  get schema(): StructType {
    return this.children[0]!.schema;
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

export class Limit extends Plan {
  readonly children: Plan[];
  constructor(child: Plan, readonly n: number) {
    super();
    this.children = [child];
  }
  get schema(): StructType {
    return this.children[0]!.schema;
  }
  override get stateful(): boolean {
    return true;
  }
}

// ---- execution ------------------------------------------------------------------------------

/**
 * The per-row function of the stateless nodes from `plan` down to `boundary` (exclusive; a
 * scan, or a stateful node whose output feeds the pipe). Built per batch: a join's static side
 * is read then.
 */
export function compilePipe(plan: Plan, boundary: Plan, observer?: PipeObserver): RowFn {
  if (plan === boundary) return IDENTITY;
  if (plan instanceof Project) return then(compilePipe(plan.children[0]!, boundary, observer), projectFn(plan));
  if (plan instanceof Filter) {
    const c = plan.condition.eval;
    return then(compilePipe(plan.children[0]!, boundary, observer), (row, push) => {
      if (c(row) === true) push(row);
    });
  }
  if (plan instanceof Watermark) {
    const col = plan.column;
    return then(compilePipe(plan.children[0]!, boundary, observer), (row, push) => {
      const t = row[col];
      if (t instanceof Date && observer) observer.eventTime(col, t.getTime());
      push(row);
    });
  }
  if (plan instanceof Join) {
    const [left, right] = plan.children as [Plan, Plan];
    if (right.isStreaming) {
      // static ⋈ stream: swap sides, the streaming rows probe the static table.
      return then(compilePipe(right, boundary, observer), joinFn(plan, executeStatic(left), true));
    }
    return then(compilePipe(left, boundary, observer), joinFn(plan, executeStatic(right), false));
  }
  throw new AnalysisException(`${plan.constructor.name} cannot run inside a stateless pipeline`);
}

const IDENTITY: RowFn = (row, push) => push(row);

function then(first: RowFn, second: RowFn): RowFn {
  if (first === IDENTITY) return second;
  return (row, push) => first(row, (r) => second(r, push));
}

function projectFn(p: Project): RowFn {
  const items = p.items;
  const n = items.length;
  const names = items.map((i) => i.name);
  const evals = items.map((i) => i.bound.eval);
  const gen = items.findIndex((i) => i.generator);
  if (gen < 0) {
    return (row, push) => {
      const out: Row = {};
      for (let i = 0; i < n; i++) out[names[i]!] = evals[i]!(row);
      push(out);
    };
  }
  if (n === 1) {
    // select(explode(...) AS word): one column, a row per element.
    const name = names[0]!;
    const e = evals[0]!;
    return (row, push) => {
      const many = e(row) as unknown[] | null;
      if (many === null || many === undefined) return;
      for (let i = 0; i < many.length; i++) push({ [name]: many[i] });
    };
  }
  return (row, push) => {
    const many = evals[gen]!(row) as unknown[] | null;
    if (many === null || many === undefined || many.length === 0) return;
    const base: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) if (i !== gen) base[i] = evals[i]!(row);
    for (const v of many) {
      const out: Row = {};
      for (let i = 0; i < n; i++) out[names[i]!] = i === gen ? v : base[i];
      push(out);
    }
  };
}

function joinFn(j: Join, staticRows: Row[], streamIsRight: boolean): RowFn {
  const how = j.how;
  const staticSchema = (streamIsRight ? j.children[0]! : j.children[1]!).schema;
  const nulls: Row = {};
  for (const f of staticSchema.fields) if (!j.usingColumns?.includes(f.name)) nulls[f.name] = null;
  const merge = (stream: Row, stat: Row): Row => (streamIsRight ? { ...stat, ...stream } : { ...stream, ...stat });
  const order = (r: Row): Row => {
    const out: Row = {};
    for (const f of j.schema.fields) out[f.name] = r[f.name] ?? null;
    return out;
  };
  const outer = how === 'left_outer' || how === 'right_outer';
  if (j.usingColumns) {
    const cols = j.usingColumns;
    const table = new Map<unknown, Row[]>();
    for (const r of staticRows) {
      const vals = cols.map((c) => r[c] ?? null);
      if (vals.some((v) => v === null)) continue;
      const k = keyOf(vals);
      const list = table.get(k);
      if (list) list.push(r);
      else table.set(k, [r]);
    }
    return (row, push) => {
      const vals = cols.map((c) => row[c] ?? null);
      const matches = vals.some((v) => v === null) ? undefined : table.get(keyOf(vals));
      if (how === 'left_semi') return void (matches && push(row));
      if (how === 'left_anti') return void (!matches && push(row));
      if (matches) for (const m of matches) push(order(merge(row, m)));
      else if (outer) push(order(merge(row, nulls)));
    };
  }
  const cond = j.condition!.eval;
  return (row, push) => {
    let matched = false;
    for (const s of staticRows) {
      const m = merge(row, s);
      if (cond(m) === true) {
        matched = true;
        if (how === 'left_semi' || how === 'left_anti') break;
        push(order(m));
      }
    }
    if (how === 'left_semi' && matched) push(row);
    else if (how === 'left_anti' && !matched) push(row);
    else if (!matched && outer) push(order(merge(row, nulls)));
  };
}

/** Rows standing in for a subtree (a streaming scan's batch, a state operator's output). */
export interface Substitute {
  leaf: Plan;
  rows: Row[];
}

/** Runs a plan over static data, or over `sub.rows` in place of `sub.leaf` (one micro-batch). */
export function executeStatic(plan: Plan, sub?: Substitute, observer?: PipeObserver): Row[] {
  if (sub && plan === sub.leaf) return sub.rows;
  if (!sub && plan.isStreaming) {
    throw new AnalysisException('Queries with streaming sources must be executed with writeStream.start()');
  }
  const run = (p: Plan) => executeStatic(p, sub && contains(p, sub.leaf) ? sub : undefined, observer);
  if (plan instanceof StaticScan) return plan.rows();
  if (plan instanceof Aggregate) return plan.agg.aggregateAll(run(plan.children[0]!), true);
  if (plan instanceof Deduplicate) {
    const seen = new Set<unknown>();
    return run(plan.children[0]!).filter((r) => {
      const k = plan.keyOf(r);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }
  if (plan instanceof Sort) return plan.sort(run(plan.children[0]!));
  if (plan instanceof Limit) return run(plan.children[0]!).slice(0, plan.n);
  if (plan instanceof Join && (plan.how === 'right_outer' || plan.how === 'full_outer') && !plan.isStreaming) return fullJoin(plan);
  const base = sub && contains(plan, sub.leaf) && !crossesStateful(plan, sub.leaf) ? sub.leaf : baseOf(plan);
  const pipe = compilePipe(plan, base, observer);
  const out: Row[] = [];
  const push = (r: Row) => void out.push(r);
  for (const r of run(base)) pipe(r, push);
  return out;
}

function contains(p: Plan, x: Plan): boolean {
  return p === x || p.children.some((c) => contains(c, x));
}

/** True when a stateful node lies strictly between `plan` and `leaf`. */
function crossesStateful(plan: Plan, leaf: Plan): boolean {
  if (plan === leaf) return false;
  if (plan.stateful) return true;
  return plan.children.some((c) => contains(c, leaf) && crossesStateful(c, leaf));
}

/** The node a stateless chain starts from: the first scan or stateful node below `plan`. */
export function baseOf(plan: Plan): Plan {
  let p = plan;
  for (;;) {
    if (p instanceof StaticScan || p instanceof StreamScan || p.stateful) return p;
    if (p instanceof Join) {
      const [l, r] = p.children as [Plan, Plan];
      p = r.isStreaming ? r : l;
      if (!l.isStreaming && !r.isStreaming) p = l;
      continue;
    }
    p = p.children[0]!;
  }
}

function fullJoin(j: Join): Row[] {
  const [l, r] = j.children.map((c) => executeStatic(c)) as [Row[], Row[]];
  const cols = j.usingColumns ?? [];
  const out: Row[] = [];
  const rightUsed = new Set<number>();
  const eq = (a: Row, b: Row) =>
    j.usingColumns ? cols.every((c) => a[c] != null && keyOf([a[c]]) === keyOf([b[c]])) : j.condition!.eval({ ...a, ...b }) === true;
  const order = (x: Row) => Object.fromEntries(j.schema.fields.map((f) => [f.name, x[f.name] ?? null]));
  for (const a of l) {
    let matched = false;
    r.forEach((b, i) => {
      if (!eq(a, b)) return;
      matched = true;
      rightUsed.add(i);
      out.push(order({ ...b, ...a }));
    });
    if (!matched && j.how === 'full_outer') out.push(order(a));
  }
  r.forEach((b, i) => {
    if (!rightUsed.has(i)) out.push(order(b));
  });
  return out;
}
