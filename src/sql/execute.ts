/**
 * Running a plan: the stateless nodes compile into one per-row function chain (`compilePipe`;
 * a join's static side is read when the pipe is built, once per batch), the stateful ones run
 * over whole collections (`executeStatic`) — a static DataFrame, or one micro-batch with rows
 * standing in for the streaming scan or the state operator's output.
 */
import { AnalysisException } from './errors.js';
import {
  Aggregate,
  Deduplicate,
  Filter,
  Join,
  Limit,
  Project,
  Sort,
  StaticScan,
  StreamScan,
  Watermark,
  type PipeObserver,
  type Plan,
  type RowFn,
} from './plan.js';
import { keyOf, type Row } from './values.js';

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
      if (t instanceof Date && observer) observer.eventTime(plan, t.getTime());
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
      for (let i = 0; i < many.length; i++) {
        // Built key by key (a computed key in a literal makes slower objects).
        const o: Row = {};
        o[name] = many[i];
        push(o);
      }
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
  /** A streaming limit in append mode: what of its input it passes this batch (its count is state). */
  limit?: (node: Limit, rows: Row[]) => Row[];
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
  if (plan instanceof Limit) {
    const rows = run(plan.children[0]!);
    return sub?.limit ? sub.limit(plan, rows) : rows.slice(0, plan.n);
  }
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
