/**
 * `spark.sql(...)`: one SELECT over memory tables and temp views —
 * `SELECT [DISTINCT] items FROM t [WHERE …] [GROUP BY …] [HAVING …] [ORDER BY … [ASC|DESC]] [LIMIT n]`,
 * built from the DataFrame operations (so the same analysis and errors apply).
 */
import { Column } from './Column.js';
import type { DataFrame } from './DataFrame.js';
import { AnalysisException, ParseException } from './errors.js';
import { AggregateCall } from './builtins.js';
import { Alias, ColumnRef, Literal, Star, transformExpr, walkExpr, type Expr } from './expressions.js';
import { ExprParser } from './parser.js';
import { Types } from './types.js';

/** `table(name)` reads a table or view; `table(undefined)` is the one empty row a SELECT without FROM reads. */
export function runSql(query: string, table: (name: string | undefined) => DataFrame): DataFrame {
  const p = new ExprParser(query.trim().replace(/;\s*$/, ''));
  if (!p.acceptKeyword('SELECT')) p.fail('SELECT (only SELECT queries are supported)');
  const distinct = p.acceptKeyword('DISTINCT');
  const items: Expr[] = [];
  do items.push(p.namedExpression());
  while (p.acceptOp(','));
  let df: DataFrame;
  if (p.acceptKeyword('FROM')) {
    df = table(p.identifier());
    // An optional table alias is accepted and ignored (columns are not qualified by it).
    if (p.peek().kind === 'ident' && !['WHERE', 'GROUP', 'ORDER', 'LIMIT', 'HAVING'].includes(p.peek().text.toUpperCase())) p.next();
  } else df = table(undefined); // `SELECT 1 + 1`: Spark's OneRowRelation
  if (p.acceptKeyword('WHERE')) df = df.where(new Column(p.expression()));
  const groupBy: Expr[] = [];
  if (p.acceptKeyword('GROUP')) {
    p.expectKeyword('BY');
    do {
      const start = p.peek().pos;
      groupBy.push(groupItem(p.expression(), p.text.slice(start, p.peek().pos), items));
    } while (p.acceptOp(','));
  }
  const having = p.acceptKeyword('HAVING') ? p.expression() : undefined;
  const aggregated = groupBy.length > 0 || items.some((e) => e.containsAggregate()) || !!having?.containsAggregate();
  if (aggregated) {
    // HAVING's aggregates that are not select items are computed as hidden columns, as Spark's
    // ResolveAggregateFunctions adds them to the Aggregate below the Filter.
    const hidden: Expr[] = [];
    const condition =
      having &&
      transformExpr(having, (e) => {
        if (!(e instanceof AggregateCall)) return undefined;
        const item = items.find((i) => (i instanceof Alias ? i.child : i).sql === e.sql);
        if (item) return new ColumnRef([item.name]);
        hidden.push(new Alias(e, `__having${hidden.length}`));
        return new ColumnRef([`__having${hidden.length - 1}`]);
      });
    df = df.withPlan(df.aggregatePlan(groupBy, [...items, ...hidden]));
    if (condition) df = df.where(new Column(condition));
    df = df.select(...items.map((e) => new Column(new ColumnRef([e.name]))));
  }
  /** Before the projection (a plain SELECT): ORDER BY may read its columns too. */
  let input: DataFrame | undefined;
  if (!aggregated) {
    if (having) p.fail('GROUP BY or an aggregate before HAVING');
    if (!(items.length === 1 && items[0] instanceof Star && !items[0].qualifier)) {
      input = df;
      df = df.select(...items.map((e) => new Column(e)));
    }
  }
  if (distinct) df = df.distinct();
  if (p.acceptKeyword('ORDER')) {
    p.expectKeyword('BY');
    const orders: { e: Expr; desc: boolean }[] = [];
    do {
      const start = p.peek().pos;
      const e = orderItem(p.expression(), p.text.slice(start, p.peek().pos), df.columns);
      const desc = p.acceptKeyword('DESC');
      if (!desc) p.acceptKeyword('ASC');
      orders.push({ e, desc });
    } while (p.acceptOp(','));
    const projected = df.columns.map((c) => c.toLowerCase());
    const readsOnlyOutput = orders.every(({ e }) => [...walkExpr(e)].every((n) => !(n instanceof ColumnRef) || projected.includes(n.parts[0]!.toLowerCase())));
    if (readsOnlyOutput || input === undefined || distinct) {
      df = df.orderBy(...orders.map(({ e, desc }) => new Column(e, desc)));
    } else {
      // Spark's ResolveMissingReferences: sort the input (a select item's output name, an alias or
      // the name of `a + 1` an ordinal gave, read as what it names), then project.
      const aliased = new Map(items.flatMap((i) => (i instanceof Star ? [] : [[i.name.toLowerCase(), i instanceof Alias ? i.child : i] as const])));
      const underneath = orders.map(({ e, desc }) => {
        const on = transformExpr(e, (n) => (n instanceof ColumnRef && n.parts.length === 1 ? aliased.get(n.parts[0]!.toLowerCase()) : undefined));
        return new Column(on, desc);
      });
      df = input.orderBy(...underneath).select(...items.map((e) => new Column(e)));
    }
  }
  if (p.acceptKeyword('LIMIT')) {
    const t = p.next();
    if (t.kind !== 'number') throw new ParseException(`LIMIT needs a number (position ${t.pos}) in "${query}"`, t.pos, query);
    df = df.limit(Number(t.text));
  }
  p.expectEnd();
  return df;
}

/** Spark's groupByOrdinal (on by default): an integer literal in GROUP BY is a select item's position. */
function groupItem(e: Expr, written: string, items: Expr[]): Expr {
  if (!(e instanceof Literal) || e.type !== Types.INTEGER || !/^[-+]?\s*\d+$/.test(written.trim())) return e;
  const i = e.value as number;
  if (i < 1 || i > items.length) {
    throw new AnalysisException(`GROUP BY position ${i} is not in select list (valid range is [1, ${items.length}])`);
  }
  const item = items[i - 1]!;
  if (item.containsAggregate()) throw new AnalysisException(`GROUP BY ${i} refers to an expression that contains an aggregate function: ${item.sql}`);
  if (item instanceof Star) throw new AnalysisException(`GROUP BY position ${i} is a star (*), which cannot be grouped by`);
  // `SELECT k AS key … GROUP BY 1` groups by k (the select item keeps its name).
  return item instanceof Alias ? item.child : item;
}

/**
 * Spark's orderByOrdinal (on by default): an integer literal in ORDER BY is the position of a
 * select item (`written` tells `2` from `2.0`, which the parser reads as the same number).
 */
function orderItem(e: Expr, written: string, columns: string[]): Expr {
  if (!(e instanceof Literal) || e.type !== Types.INTEGER || !/^[-+]?\s*\d+$/.test(written.trim())) return e;
  const i = e.value as number;
  if (i < 1 || i > columns.length) {
    throw new AnalysisException(`ORDER BY position ${i} is not in select list (valid range is [1, ${columns.length}])`);
  }
  return new ColumnRef([columns[i - 1]!]);
}
