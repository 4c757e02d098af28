/**
 * A DataFrame: a logical plan over rows that are plain objects, static or streaming
 * (`isStreaming`). Transformations analyse at once (a bad column fails here); a static
 * DataFrame runs on `collect()`/`show()`, a streaming one through `writeStream…start()`.
 * Rows hold SQL NULL as `null`.
 */
import { BoundAggregate } from './aggregation.js';
import { AggregateCall, Explode, resolveFunction } from './builtins.js';
import { aggExprs, badArgument, columnArgs, conditionArg, joinOnArg, limitArg, stringArg, subsetArg, withColumnArgs } from './dataFrameArgs.js';
import { readGroupedWindow, timeWindowOf, windowedPlan } from './windowRewrite.js';
import { Column, nameExpr, type ColumnOrName } from './Column.js';
import { AnalysisException } from './errors.js';
import { Alias, Cast, ColumnRef, Expr, Star, type BindContext } from './expressions.js';
import { watermarkDelayMs } from './interval.js';
import { UnaryOp } from './operators.js';
import { parseExpression, parseNamedExpression } from './parser.js';
import {
  Aggregate,
  Deduplicate,
  Join,
  Limit,
  Project,
  Sort,
  Watermark,
  joinType,
  type Plan,
  type ProjectItem,
} from './plan.js';
import { batchTimestamp, withBatchTimestamp } from './batchTimestamp.js';
import { executeStatic } from './execute.js';
import { placeFilter } from './pushdown.js';
import { showString } from './show.js';
import { PendingStructType, StructField, StructType, Types } from './types.js';
import type { Row } from './values.js';
import { toJsonText } from './jsonWrite.js';

/** What a DataFrame needs from its session (kept narrow: the session module imports this one). */
export interface DataFrameSession {
  now(): number;
  registerView(name: string, df: DataFrame): void;
}

export class DataFrame {
  constructor(
    readonly sparkSession: DataFrameSession,
    readonly plan: Plan,
  ) {}

  get schema(): StructType {
    return this.plan.schema;
  }
  get columns(): string[] {
    return this.schema.fieldNames;
  }
  get isStreaming(): boolean {
    return this.plan.isStreaming;
  }
  /** `df.col('StartTerminal')` — PySpark's `df.StartTerminal` / `df['StartTerminal']`. */
  col(name: string): Column {
    const e = nameExpr(stringArg('col', 'name', name, 'a column name (a string)'));
    if (!(e instanceof Star)) e.bind(this.ctx());
    return new Column(e);
  }

  printSchema(): void {
    process.stdout.write(this.schema.treeString() + '\n');
  }

  private ctx(): BindContext {
    return { schema: this.schema, now: () => this.sparkSession.now() };
  }
  private with(plan: Plan): DataFrame {
    return new DataFrame(this.sparkSession, plan);
  }

  // ---- projections ---------------------------------------------------------------------------

  select(...cols: (ColumnOrName | ColumnOrName[])[]): DataFrame {
    const exprs = columnArgs('select', cols).map(nameExpr);
    return this.with(this.project(exprs));
  }

  selectExpr(...exprs: (string | string[])[]): DataFrame {
    return this.with(this.project(exprs.flat().map((e) => parseNamedExpression(stringArg('selectExpr', 'each expression', e, 'an SQL expression string')))));
  }

  /** A Project of `exprs` over this plan: stars expanded, generators marked, names as Spark's. */
  private project(exprs: Expr[]): Plan {
    if (exprs.some((e) => e.containsAggregate())) return this.aggregatePlan([], exprs);
    const w = this.windowing(exprs);
    const [starCtx, ctx] = [this.ctx(), (w?.df ?? this).ctx()];
    const items: ProjectItem[] = [];
    exprs.forEach((written, i) => {
      if (written instanceof Star) return void items.push(...this.expandStar(written, starCtx));
      const e = w ? w.exprs[i]! : written;
      const bound = e.bind(ctx);
      items.push({ name: written.name, expr: e, bound, generator: (e instanceof Alias ? e.child : e) instanceof Explode });
    });
    const schema = new StructType(items.map((i) => new StructField(i.name, i.bound.type)));
    return new Project(w ? w.df.plan : this.plan, items, schema);
  }

  /** Spark's TimeWindowing (timeWindow.ts): the window() of `exprs` as a column below (NULL times dropped if tumbling), `exprs` reading it. */
  private windowing(exprs: Expr[]): { df: DataFrame; exprs: Expr[] } | undefined {
    const window = timeWindowOf(exprs);
    if (window === undefined) return undefined;
    const input = window.sliding ? this : this.where(new Column(new UnaryOp('IS NOT NULL', new Cast(window.timeColumn, Types.TIMESTAMP))));
    const { plan, readWindow } = windowedPlan(input.plan, window, input.ctx());
    return { df: this.with(plan), exprs: exprs.map(readWindow) };
  }

  /** This DataFrame's columns (after an operator that had window()'s column added below it). */
  private columnsOf(df: DataFrame): DataFrame {
    return df.with(df.project(this.columns.map((c) => new ColumnRef([c]))));
  }

  private expandStar(s: Star, ctx: BindContext): ProjectItem[] {
    if (!s.qualifier) {
      return this.schema.fields.map((f) => ({
        name: f.name,
        expr: new ColumnRef([f.name]),
        bound: { type: f.dataType, eval: (r: Row) => r[f.name] ?? null },
        generator: false,
      }));
    }
    const qualifier = s.qualifier;
    const parent = new ColumnRef(qualifier).bind(ctx);
    if (!(parent.type instanceof StructType)) {
      throw new AnalysisException(`Can only star expand struct data types. Attribute: '${qualifier.join('.')}'`);
    }
    return parent.type.fields.map((f) => ({
      name: f.name,
      expr: new ColumnRef([...qualifier, f.name]),
      bound: { type: f.dataType, eval: (r: Row) => (parent.eval(r) as Row | null)?.[f.name] ?? null },
      generator: false,
    }));
  }

  /** Replaces the column of that name (matched case-insensitively, as Spark's default), which takes the new spelling; else adds it. */
  withColumn(colName: string, column: Column): DataFrame {
    const { name, col } = withColumnArgs(colName, column);
    const exprs: Expr[] = [];
    let replaced = false;
    for (const f of this.schema.fields) {
      if (sameName(f.name, name)) {
        exprs.push(new Alias(col.expr, name));
        replaced = true;
      } else exprs.push(new ColumnRef([f.name]));
    }
    if (!replaced) exprs.push(new Alias(col.expr, name));
    return this.with(this.project(exprs));
  }

  /** Renames every column whose name matches `existing` case-insensitively; a no-op when none does. */
  withColumnRenamed(existing: string, newName: string): DataFrame {
    [existing, newName].forEach((n, i) => stringArg('withColumnRenamed', i ? 'newName' : 'existing', n, 'a column name (a string)'));
    if (!this.schema.fields.some((f) => sameName(f.name, existing))) return this;
    return this.with(
      this.project(this.schema.fields.map((f) => (sameName(f.name, existing) ? new Alias(new ColumnRef([f.name]), newName) : new ColumnRef([f.name])))),
    );
  }

  /** Drops the columns of these names (case-insensitively); names that match nothing are ignored. */
  drop(...names: ColumnOrName[]): DataFrame {
    const drop = columnArgs('drop', names).map((n) => (typeof n === 'string' ? n : n.expr instanceof ColumnRef && n.expr.parts.length === 1 ? n.expr.parts[0]! : n.expr.name));
    return this.with(this.project(this.schema.fields.filter((f) => !drop.some((d) => sameName(f.name, d))).map((f) => new ColumnRef([f.name]))));
  }

  where(condition: Column | string): DataFrame {
    const c = conditionArg('where', condition);
    const e = typeof c === 'string' ? parseExpression(c) : c.expr;
    const w = this.windowing([e]);
    if (w) return this.columnsOf(w.df.where(new Column(w.exprs[0]!)));
    const bound = e.bind(this.ctx());
    if (bound.type !== Types.BOOLEAN && bound.type !== Types.NULL) {
      throw new AnalysisException(`filter expression '${e.name}' of type ${bound.type.simpleString()} is not a boolean`);
    }
    return this.with(placeFilter(this.plan, e, bound, (schema) => ({ schema, now: () => this.sparkSession.now() })));
  }
  filter(condition: Column | string): DataFrame {
    return this.where(conditionArg('filter', condition));
  }

  // ---- aggregation ---------------------------------------------------------------------------

  groupBy(...cols: (ColumnOrName | ColumnOrName[])[]): GroupedData {
    return new GroupedData(this, columnArgs('groupBy', cols).map(nameExpr));
  }
  groupby(...cols: ColumnOrName[]): GroupedData {
    return this.groupBy(...cols);
  }

  /** df.agg(...) over the whole table. */
  agg(...aggs: (Column | Record<string, string>)[]): DataFrame {
    return this.groupBy().agg(...aggs);
  }

  /** @internal */
  aggregatePlan(groupBy: Expr[], aggs: Expr[]): Plan {
    if (this.isStreaming && streamingNode(this.plan, Aggregate)) {
      throw new AnalysisException('Multiple streaming aggregations are not supported with streaming DataFrames/Datasets');
    }
    const w = this.windowing([...groupBy, ...aggs]);
    const [input, groups] = w ? [w.df, w.exprs.slice(0, groupBy.length)] : [this, groupBy];
    const agg = new BoundAggregate(groups, w ? readGroupedWindow(groups, w.exprs.slice(groupBy.length), (e) => e instanceof AggregateCall) : aggs, input.ctx());
    if (this.isStreaming && agg.hasDistinct) {
      throw new AnalysisException('Distinct aggregations are not supported on streaming DataFrames/Datasets');
    }
    return new Aggregate(input.plan, agg);
  }

  /** @internal */
  withPlan(plan: Plan): DataFrame {
    return this.with(plan);
  }

  withWatermark(eventTime: string, delayThreshold: string): DataFrame {
    stringArg('withWatermark', 'eventTime', eventTime, 'a column name (a string)');
    const delay = watermarkDelayMs(stringArg('withWatermark', 'delayThreshold', delayThreshold, "an interval string ('10 minutes')")); // Spark reads the delay before it resolves the column
    const f = this.schema.field(eventTime);
    if (!f) throw new AnalysisException(`Column '${eventTime}' cannot be resolved; input columns: [${this.columns.join(', ')}]`);
    if (f.dataType !== Types.TIMESTAMP) {
      // A MemoryStream with neither data nor schema yet takes every column for a string (types.ts).
      const guessed = this.schema instanceof PendingStructType && !this.schema.known;
      throw new AnalysisException(
        `Event time must be defined on a window or a timestamp, but ${eventTime} is of type ${f.dataType.simpleString()}` +
          (guessed
            ? ` (the MemoryStream has no data nor schema yet, so its columns are taken as strings: give it a schema, new MemoryStream(spark, '${eventTime} timestamp, …'), or add data before toDF())`
            : ''),
      );
    }
    return this.with(new Watermark(this.plan, f.name, delay));
  }

  dropDuplicates(cols?: string[]): DataFrame {
    const names = subsetArg('dropDuplicates', cols) ?? this.columns;
    for (const c of names) if (!this.schema.field(c)) throw new AnalysisException(`Cannot resolve column name "${c}" among (${this.columns.join(', ')})`);
    if (this.isStreaming && streamingNode(this.plan, Aggregate)) throw new AnalysisException('dropDuplicates after a streaming aggregation is not supported');
    if (this.isStreaming && streamingNode(this.plan, Deduplicate)) {
      throw new AnalysisException('dropDuplicates after a streaming dropDuplicates is not supported: a query runs one, optionally below an aggregation');
    }
    return this.with(new Deduplicate(this.plan, names.map((c) => this.schema.field(c)!.name)));
  }
  drop_duplicates(cols?: string[]): DataFrame {
    return this.dropDuplicates(cols);
  }
  distinct(): DataFrame {
    return this.dropDuplicates();
  }

  join(other: DataFrame, joinOn?: string | string[] | Column, how: string = 'inner'): DataFrame {
    if (!(other instanceof DataFrame)) throw badArgument('join', 'other', 'a DataFrame', other);
    const on = joinOnArg(joinOn);
    const type = joinType(stringArg('join', 'how', how, "a join type ('inner', 'left', …)"));
    const left = this.schema;
    const right = other.schema;
    // A row holds one value per column name: a name on both sides (other than USING columns) would
    // take one side's value for both (and a condition on it would compare a column with itself).
    const usingNames = on === undefined || on instanceof Column ? [] : typeof on === 'string' ? [on] : on;
    const shared = right.fields.map((f) => f.name).filter((n) => left.field(n) && !usingNames.includes(n));
    // A semi or anti join outputs the left rows only, but a condition is still evaluated on the merged row.
    const merged = usingNames.length === 0 || (type !== 'left_semi' && type !== 'left_anti');
    if (shared.length > 0 && merged) {
      throw new AnalysisException(
        `both sides of the join have the column(s) ${shared.map((n) => `\`${n}\``).join(', ')}: rename one side's (withColumnRenamed) ` +
          'or join USING them — dstreams rows cannot hold two columns of one name',
      );
    }
    if (on === undefined || on instanceof Column) {
      const merged = new StructType([...left.fields, ...right.fields.filter((f) => !left.field(f.name))]);
      const cond = on === undefined ? { type: Types.BOOLEAN, eval: () => true } : on.expr.bind({ schema: merged, now: () => this.sparkSession.now() });
      const schema = type === 'left_semi' || type === 'left_anti' ? left : merged;
      return this.with(new Join(this.plan, other.plan, type, undefined, cond, schema));
    }
    const using = typeof on === 'string' ? [on] : on;
    for (const c of using) {
      if (!left.field(c) || !right.field(c)) throw new AnalysisException(`USING column \`${c}\` cannot be resolved on both sides of the join`);
    }
    const schema =
      type === 'left_semi' || type === 'left_anti'
        ? left
        : new StructType([
            ...using.map((c) => left.field(c)!),
            ...left.fields.filter((f) => !using.includes(f.name)),
            ...right.fields.filter((f) => !using.includes(f.name)),
          ]);
    return this.with(new Join(this.plan, other.plan, type, using, undefined, schema));
  }

  orderBy(...cols: (ColumnOrName | ColumnOrName[])[]): DataFrame {
    const columns = columnArgs('orderBy', cols).map((c) => (typeof c === 'string' ? new Column(nameExpr(c)) : c));
    const w = this.windowing(columns.map((c) => c.expr));
    if (w) return this.columnsOf(w.df.orderBy(...columns.map((c, i) => new Column(w.exprs[i]!, c.descending, c.nullsFirst))));
    const ctx = this.ctx();
    const orders = columns.flatMap((column) => {
      const key = { bound: column.expr.bind(ctx), descending: column.descending };
      // NULLs sort lowest (first ascending, last descending); NULLS FIRST/LAST against that sorts on `isnull` before the value.
      if (column.nullsFirst === undefined || column.nullsFirst === !column.descending) return [key];
      return [{ bound: new UnaryOp('IS NULL', column.expr).bind(ctx), descending: column.nullsFirst }, key];
    });
    return this.with(new Sort(this.plan, orders));
  }
  sort(...cols: (ColumnOrName | ColumnOrName[])[]): DataFrame {
    return this.orderBy(...cols);
  }
  limit(n: number): DataFrame {
    return this.with(new Limit(this.plan, limitArg(n)));
  }

  // ---- actions (static) ----------------------------------------------------------------------

  collect(): Row[] {
    // One timestamp for the whole query (a foreachBatch frame keeps its batch's).
    return withBatchTimestamp(batchTimestamp() ?? this.sparkSession.now(), () => executeStatic(this.plan));
  }
  count(): number {
    return this.collect().length;
  }
  take(n: number): Row[] {
    return this.collect().slice(0, n);
  }
  first(): Row | undefined {
    return this.collect()[0];
  }
  head(n?: number): Row | Row[] | undefined {
    return n === undefined ? this.first() : this.take(n);
  }
  isEmpty(): boolean {
    return this.collect().length === 0;
  }
  toJSON(): string[] {
    // As the JSON sink writes rows (a BIGINT past 2^53 with all its digits: JSON.stringify refuses a bigint).
    return this.collect().map((r) => toJsonText(r, this.schema));
  }
  /** The table show() prints. */
  showString(n = 20, truncate: boolean | number = true): string {
    return showString(this.schema, this.collect(), n, truncate);
  }
  show(n = 20, truncate: boolean | number = true): void {
    process.stdout.write(this.showString(n, truncate));
  }
  createOrReplaceTempView(name: string): void {
    this.sparkSession.registerView(name, this);
  }

  // `writeStream` and `write` are added by streaming/DataStreamWriter.ts and DataFrameWriter.ts
  // (as the DStream operators attach themselves): the writers depend on DataFrame, not back.
}

/** Spark's default resolver (spark.sql.caseSensitive=false). */
function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** A streaming node of that kind below (a dropDuplicates may feed an aggregation; the rest is checked at start(), by analysis.ts). */
function streamingNode(p: Plan, kind: typeof Aggregate | typeof Deduplicate): boolean {
  return (p instanceof kind && p.isStreaming) || p.children.some((c) => streamingNode(c, kind));
}

/** The result of groupBy: `agg(...)`, `count()`, and the shorthand aggregates. */
export class GroupedData {
  constructor(
    private readonly df: DataFrame,
    private readonly groupBy: Expr[],
  ) {}

  /** Columns (`count('id')`), or Listing 7.16's dict form `{ '*': 'count' }`. */
  agg(...aggs: (Column | Record<string, string>)[]): DataFrame {
    const exprs = aggExprs('agg', aggs);
    if (exprs.length === 0) throw new AnalysisException('agg() needs at least one aggregate');
    return this.df.withPlan(this.df.aggregatePlan(this.groupBy, exprs));
  }
  /** Rows per group, in a column named `count`. */
  count(): DataFrame {
    return this.df.withPlan(this.df.aggregatePlan(this.groupBy, [new Alias(resolveFunction('count', [new Star()]), 'count')]));
  }
  sum(...cols: string[]): DataFrame {
    return this.agg(...cols.map((c) => ({ [stringArg('sum', 'each column', c, `a column name (for a Column: agg(F.sum(column)))`)]: 'sum' })));
  }
  avg(...cols: string[]): DataFrame {
    return this.agg(...cols.map((c) => ({ [stringArg('avg', 'each column', c, `a column name (for a Column: agg(F.avg(column)))`)]: 'avg' })));
  }
  mean(...cols: string[]): DataFrame {
    return this.avg(...cols);
  }
  min(...cols: string[]): DataFrame {
    return this.agg(...cols.map((c) => ({ [stringArg('min', 'each column', c, `a column name (for a Column: agg(F.min(column)))`)]: 'min' })));
  }
  max(...cols: string[]): DataFrame {
    return this.agg(...cols.map((c) => ({ [stringArg('max', 'each column', c, `a column name (for a Column: agg(F.max(column)))`)]: 'max' })));
  }
}
