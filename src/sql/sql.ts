/**
 * `spark.sql(...)`: one SELECT over memory tables and temp views —
 * `SELECT [DISTINCT] items FROM t [[AS] alias] [WHERE …] [GROUP BY …] [HAVING …]
 * [ORDER BY … [ASC|DESC] [NULLS FIRST|LAST]] [LIMIT n]`, built from the DataFrame operations (so
 * the same analysis and errors apply). Columns may be qualified by the table's name or alias
 * (`t.Duration`); GROUP BY takes a select item's alias or position; HAVING and ORDER BY may use
 * aggregates and grouping columns that are not selected.
 */
import { Column } from './Column.js';
import type { DataFrame } from './DataFrame.js';
import { AnalysisException, ParseException } from './errors.js';
import { AggregateCall } from './builtins.js';
import { Alias, ColumnRef, Literal, Star, transformExpr, walkExpr, type Expr } from './expressions.js';
import { ExprParser } from './parser.js';
import type { StructType } from './types.js';
import { Types } from './types.js';

interface OrderItem {
  e: Expr;
  written: string;
  desc: boolean;
  nullsFirst: boolean | undefined;
}

const CLAUSES = ['WHERE', 'GROUP', 'ORDER', 'LIMIT', 'HAVING'];

/** `table(name)` reads a table or view; `table(undefined)` is the one empty row a SELECT without FROM reads. */
export function runSql(query: string, table: (name: string | undefined) => DataFrame): DataFrame {
  const p = new ExprParser(query.replace(/;\s*$/, ''));
  if (!p.acceptKeyword('SELECT')) p.fail('SELECT (only SELECT queries are supported)');
  const distinct = p.acceptKeyword('DISTINCT');
  let items: Expr[] = [];
  do items.push(p.namedExpression());
  while (p.acceptOp(','));
  let df: DataFrame;
  let unqualify = (e: Expr): Expr => e;
  if (p.acceptKeyword('FROM')) {
    const name = p.identifier();
    df = table(name);
    // `FROM trips t`: columns may then be qualified by the alias (only), else by the table's name.
    let alias: string | undefined;
    if (p.acceptKeyword('AS')) alias = p.identifier();
    else if (p.peek().kind === 'qident' || (p.peek().kind === 'ident' && !CLAUSES.includes(p.peek().text.toUpperCase()))) alias = p.identifier();
    const qualifier = alias ?? name;
    const schema = df.schema;
    unqualify = (e) => stripQualifier(e, qualifier, schema);
  } else df = table(undefined); // `SELECT 1 + 1`: Spark's OneRowRelation
  items = items.map(unqualify);
  const where = p.acceptKeyword('WHERE') ? unqualify(p.expression()) : undefined;
  const groupWritten: { e: Expr; written: string }[] = [];
  if (p.acceptKeyword('GROUP')) {
    p.expectKeyword('BY');
    do {
      const start = p.peek().pos;
      const e = p.expression();
      groupWritten.push({ e: unqualify(e), written: p.text.slice(start, p.peek().pos) });
    } while (p.acceptOp(','));
  }
  const having = p.acceptKeyword('HAVING') ? unqualify(p.expression()) : undefined;
  const orders: OrderItem[] = [];
  if (p.acceptKeyword('ORDER')) {
    p.expectKeyword('BY');
    do {
      const start = p.peek().pos;
      const e = unqualify(p.expression());
      const written = p.text.slice(start, p.peek().pos);
      const desc = p.acceptKeyword('DESC');
      if (!desc) p.acceptKeyword('ASC');
      let nullsFirst: boolean | undefined;
      if (p.acceptKeyword('NULLS')) {
        if (p.acceptKeyword('FIRST')) nullsFirst = true;
        else if (p.acceptKeyword('LAST')) nullsFirst = false;
        else p.fail('FIRST or LAST after NULLS');
      }
      orders.push({ e, written, desc, nullsFirst });
    } while (p.acceptOp(','));
  }
  let limit: number | undefined;
  if (p.acceptKeyword('LIMIT')) {
    const t = p.next();
    if (t.kind !== 'number') throw new ParseException(`LIMIT needs a number (position ${t.pos}) in "${query}"`, t.pos, query);
    limit = Number(t.text);
  }
  p.expectEnd();

  if (where) df = df.where(new Column(where));
  const input = df.schema;
  const groupBy = groupWritten.map(({ e, written }) => groupItem(e, written, items, input));
  const aggregated = groupBy.length > 0 || items.some((e) => e.containsAggregate()) || !!having?.containsAggregate();
  const outputNames = items.flatMap((e) => (e instanceof Star ? [] : [e.name]));
  if (aggregated) {
    // Aggregates and grouping columns HAVING and ORDER BY read that are not select items are
    // computed as hidden columns, as Spark's ResolveAggregateFunctions adds them to the Aggregate.
    const hidden: Expr[] = [];
    const overAggregate = (e: Expr): Expr =>
      transformExpr(e, (n) => {
        if (n instanceof ColumnRef && n.parts.length === 1 && outputNames.some((o) => o.toLowerCase() === n.parts[0]!.toLowerCase())) return n;
        const item = items.find((i) => !(i instanceof Star) && !(i instanceof Literal) && unalias(i).sql.toLowerCase() === n.sql.toLowerCase());
        if (item && !(n instanceof Literal)) return new ColumnRef([item.name]);
        const grouped = !(n instanceof Literal) && groupBy.some((g) => g.sql.toLowerCase() === n.sql.toLowerCase());
        if (!grouped && !(n instanceof AggregateCall) && !(n instanceof ColumnRef)) return undefined;
        hidden.push(new Alias(n, `__hidden${hidden.length}`));
        return new ColumnRef([`__hidden${hidden.length - 1}`]);
      });
    const condition = having && overAggregate(having);
    const sorts = distinct ? [] : orders.map((o) => ({ ...o, e: overAggregate(orderItem(o.e, o.written, outputNames)) }));
    df = df.withPlan(df.aggregatePlan(groupBy, [...items, ...hidden]));
    if (condition) df = df.where(new Column(condition));
    if (sorts.length > 0) df = df.orderBy(...sorts.map(sortColumn));
    df = df.select(...items.map((e) => new Column(new ColumnRef([e.name]))));
    if (distinct) df = sortOutput(df.distinct(), orders);
  } else {
    if (having) p.fail('GROUP BY or an aggregate before HAVING');
    const all = items.length === 1 && items[0] instanceof Star && !items[0].qualifier;
    const projected = all ? df : df.select(...items.map((e) => new Column(e)));
    if (distinct || all || orders.length === 0) df = sortOutput(distinct ? projected.distinct() : projected, orders);
    else {
      const columns = projected.columns;
      const lower = columns.map((c) => c.toLowerCase());
      const sorts = orders.map((o) => ({ ...o, e: orderItem(o.e, o.written, columns) }));
      const readsOnlyOutput = sorts.every(({ e }) => [...walkExpr(e)].every((n) => !(n instanceof ColumnRef) || lower.includes(n.parts[0]!.toLowerCase())));
      if (readsOnlyOutput) df = projected.orderBy(...sorts.map(sortColumn));
      else {
        // Spark's ResolveMissingReferences: sort the input (a select item's output name, an alias or
        // the name of `a + 1` an ordinal gave, read as what it names), then project.
        const aliased = new Map(items.flatMap((i) => (i instanceof Star ? [] : [[i.name.toLowerCase(), unalias(i)] as const])));
        const underneath = sorts.map((o) => ({
          ...o,
          e: transformExpr(o.e, (n) => (n instanceof ColumnRef && n.parts.length === 1 ? aliased.get(n.parts[0]!.toLowerCase()) : undefined)),
        }));
        df = df.orderBy(...underneath.map(sortColumn)).select(...items.map((e) => new Column(e)));
      }
    }
  }
  if (limit !== undefined) df = df.limit(limit);
  return df;
}

function unalias(e: Expr): Expr {
  return e instanceof Alias ? e.child : e;
}

function sortColumn(o: { e: Expr; desc: boolean; nullsFirst: boolean | undefined }): Column {
  return new Column(o.e, o.desc, o.nullsFirst);
}

/** ORDER BY over the output only (after DISTINCT, or a plain projection). */
function sortOutput(df: DataFrame, orders: OrderItem[]): DataFrame {
  if (orders.length === 0) return df;
  return df.orderBy(...orders.map((o) => sortColumn({ ...o, e: orderItem(o.e, o.written, df.columns) })));
}

/**
 * `trips.StartTerminal` / `t.*` read the table's columns: the qualifier (the alias if the table
 * has one, else its name) is dropped, unless the name is a struct column's field path instead.
 */
function stripQualifier(e: Expr, qualifier: string, schema: StructType): Expr {
  const q = qualifier.toLowerCase();
  return transformExpr(e, (n) => {
    if (n instanceof Star && n.qualifier?.length === 1 && n.qualifier[0]!.toLowerCase() === q) return new Star();
    if (!(n instanceof ColumnRef) || n.parts.length < 2 || n.parts[0]!.toLowerCase() !== q) return undefined;
    if (schema.field(n.parts[0]!) && !schema.field(n.parts[1]!)) return undefined;
    return new ColumnRef(n.parts.slice(1));
  });
}

/**
 * A GROUP BY item: an integer literal is a select item's position (Spark's groupByOrdinal); a
 * name that is no input column but a select item's alias is what it names (groupByAliases).
 */
function groupItem(e: Expr, written: string, items: Expr[], input: StructType): Expr {
  if (!(e instanceof Literal) || e.type !== Types.INTEGER || !/^[-+]?\s*\d+$/.test(written.trim())) {
    return transformExpr(e, (n) => {
      if (!(n instanceof ColumnRef) || n.parts.length !== 1 || input.field(n.parts[0]!)) return undefined;
      const item = items.find((i) => i instanceof Alias && i.alias.toLowerCase() === n.parts[0]!.toLowerCase());
      if (item?.containsAggregate()) throw new AnalysisException(`GROUP BY ${n.parts[0]} refers to an expression that contains an aggregate function: ${item.sql}`);
      return item && unalias(item);
    });
  }
  const i = e.value as number;
  if (i < 1 || i > items.length) {
    throw new AnalysisException(`GROUP BY position ${i} is not in select list (valid range is [1, ${items.length}])`);
  }
  const item = items[i - 1]!;
  if (item.containsAggregate()) throw new AnalysisException(`GROUP BY ${i} refers to an expression that contains an aggregate function: ${item.sql}`);
  if (item instanceof Star) throw new AnalysisException(`GROUP BY position ${i} is a star (*), which cannot be grouped by`);
  // `SELECT k AS key … GROUP BY 1` groups by k (the select item keeps its name).
  return unalias(item);
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
