/**
 * Where a filter goes when a watermark is below it. Spark's optimizer (CombineFilters,
 * PushPredicateThroughNonJoin) moves the deterministic conjuncts of a filter below an
 * EventTimeWatermark unless they read its event-time column, so the rows they remove never
 * count toward the watermark's max event time; conjuncts on the event-time column stay above
 * it. dstreams places them so when the filter is made (`where`), on the way down to a watermark
 * only: through filters, through projections — a conjunct is rewritten onto the projection's
 * input (Spark's replaceAlias) unless it reads a generator's or a window's output — and below
 * each watermark it may pass. It does not push through joins, aggregations or the other stateful
 * operators (Spark pushes a filter on grouping keys below an aggregation too), and a filter with
 * no watermark below it stays where it was written.
 */
import { WindowExpr } from './timeWindow.js';
import { Alias, ColumnRef, transformExpr, walkExpr, type BindContext, type Bound, type Expr } from './expressions.js';
import { BinaryOp, GetField } from './operators.js';
import { Filter, Project, Watermark, type Plan, type ProjectItem } from './plan.js';
import { Types, type StructType } from './types.js';

/** What binding a moved conjunct needs, for the schema it lands on. */
export type Binder = (schema: StructType) => BindContext;

/** `child` filtered by `condition` (already bound to `child` as `bound`), with its conjuncts placed as above. */
export function placeFilter(child: Plan, condition: Expr, bound: Bound, bindIn: Binder): Plan {
  if (!reachesWatermark(child)) return new Filter(child, bound, condition.name);
  return place(child, conjunctsOf(condition, bindIn(child.schema)), bindIn);
}

function place(child: Plan, conjuncts: Expr[], bindIn: Binder): Plan {
  if (conjuncts.length === 0 || !reachesWatermark(child)) return filtered(child, conjuncts, bindIn);
  const [movable, fixed] = partition(conjuncts, (c) => c.deterministic);
  let below: Plan;
  let stay: Expr[];
  if (child instanceof Watermark) {
    const [down, up] = partition(movable, (c) => !reads(c, child.schema, child.column));
    below = down.length === 0 ? child : new Watermark(place(child.children[0]!, down, bindIn), child.column, child.delayMs);
    stay = up;
  } else if (child instanceof Filter) {
    // Spark's CombineFilters: below the filter already there (every filter is deterministic).
    below = new Filter(place(child.children[0]!, movable, bindIn), child.condition, child.text);
    stay = [];
  } else {
    const p = child as Project;
    const [through, up] = partition(movable, (c) => passesProject(c, p));
    const input = p.children[0]!;
    below = through.length === 0 ? p : new Project(place(input, through.map((c) => ontoInput(c, p)), bindIn), p.items, p.schema);
    stay = up;
  }
  return filtered(below, [...stay, ...fixed], bindIn);
}

/** Through filters and projections down to a watermark (the only places a conjunct is moved). */
function reachesWatermark(p: Plan): boolean {
  if (p instanceof Watermark) return true;
  return (p instanceof Filter || p instanceof Project) && reachesWatermark(p.children[0]!);
}

/** The conjuncts of `e` (a AND b AND …), or `e` whole when one of them is not a boolean. */
function conjunctsOf(e: Expr, ctx: BindContext): Expr[] {
  const split = (x: Expr): Expr[] => (x instanceof BinaryOp && x.op === 'AND' ? [...split(x.left), ...split(x.right)] : [x]);
  const parts = split(e);
  const boolean = parts.every((c) => {
    const t = c.bind(ctx).type;
    return t === Types.BOOLEAN || t === Types.NULL;
  });
  return boolean ? parts : [e];
}

function filtered(p: Plan, conjuncts: Expr[], bindIn: Binder): Plan {
  if (conjuncts.length === 0) return p;
  const e = conjuncts.reduce((a, b) => new BinaryOp('AND', a, b));
  return new Filter(p, e.bind(bindIn(p.schema)), e.name);
}

function partition<T>(xs: T[], f: (x: T) => boolean): [T[], T[]] {
  return [xs.filter(f), xs.filter((x) => !f(x))];
}

function columnRefs(e: Expr): ColumnRef[] {
  return [...walkExpr(e)].filter((n): n is ColumnRef => n instanceof ColumnRef);
}

/** Whether `e` reads `column` of `schema`. */
function reads(e: Expr, schema: StructType, column: string): boolean {
  return columnRefs(e).some((r) => r.resolveIn(schema)?.column === column);
}

/** The item of `p` that output column `name` is (the last one: a row keeps the last value of a name). */
function itemNamed(p: Project, name: string): ProjectItem | undefined {
  return p.items.filter((i) => i.name === name).at(-1);
}

function unaliased(e: Expr): Expr {
  return e instanceof Alias ? unaliased(e.child) : e;
}

/**
 * A conjunct passes a deterministic projection when every column it reads is an expression of
 * the input (not a generator's or a window's output: those stay above).
 */
function passesProject(c: Expr, p: Project): boolean {
  if (!p.items.every((i) => i.expr.deterministic)) return false;
  return columnRefs(c).every((r) => {
    const column = r.resolveIn(p.schema)?.column;
    const item = column === undefined ? undefined : itemNamed(p, column);
    return item !== undefined && !item.generator && !(unaliased(item.expr) instanceof WindowExpr);
  });
}

/** `c` over `p`'s input: each column it reads replaced by the expression that made it. */
function ontoInput(c: Expr, p: Project): Expr {
  return transformExpr(c, (e) => {
    if (!(e instanceof ColumnRef)) return undefined;
    const r = e.resolveIn(p.schema)!;
    return r.path.reduce<Expr>((x, field) => new GetField(x, field), unaliased(itemNamed(p, r.column)!.expr));
  });
}
