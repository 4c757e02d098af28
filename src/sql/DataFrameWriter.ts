/**
 * `df.write` for a static DataFrame (seeds 000 and 004 write foreachBatch's frame to
 * PostgreSQL): `df.write.mode('append' | 'overwrite').jdbc(url, table, { user, password })`.
 * Formats register their writers (sinks/jdbc.ts) so this module stays free of drivers.
 */
import { DataFrame } from './DataFrame.js';
import { badArgument, optionArgs, shownArg, stringArg } from './dataFrameArgs.js';
import { AnalysisException } from './errors.js';
import { caseInsensitiveOptions, type Options } from './streaming/options.js';

export type SaveMode = 'append' | 'overwrite' | 'ignore' | 'error' | 'errorifexists';

export interface JdbcProperties {
  user?: string;
  password?: string;
  [key: string]: string | undefined;
}

export type JdbcWriter = (
  df: DataFrame,
  url: string,
  table: string,
  mode: SaveMode,
  props: JdbcProperties,
  options: Record<string, string>,
) => Promise<void>;

let jdbcWriter: JdbcWriter | undefined;

/** @internal set by sinks/jdbc.ts */
export function registerJdbcWriter(w: JdbcWriter): void {
  jdbcWriter = w;
}

export class DataFrameWriter {
  private saveMode: SaveMode = 'errorifexists';
  private readonly opts: Options = caseInsensitiveOptions();
  constructor(private readonly df: DataFrame) {}

  /**
   * Writer options. `replaceWhere` (as Delta's): in append mode, first delete the rows matching
   * this SQL condition, in the same transaction — `replaceWhere: 'batch_id = 7'` makes a
   * foreachBatch that appends a batch idempotent when the batch is re-run after a crash.
   * Option names are case-insensitive, as writeStream's (Spark's CaseInsensitiveMap):
   * `replacewhere` is `replaceWhere`; set again under another case, the last one wins.
   */
  option(key: string, value: string | number | boolean): this {
    const [k, v] = optionArgs('write.option', key, value);
    this.opts[k] = v;
    return this;
  }

  mode(m: string): this {
    const given = stringArg('write.mode', 'saveMode', m, "a save mode ('append', 'overwrite', 'ignore', 'error', 'errorifexists')").toLowerCase();
    const v = (given === 'default' ? 'errorifexists' : given) as SaveMode; // Spark's 'default' is ErrorIfExists
    if (!['append', 'overwrite', 'ignore', 'error', 'errorifexists'].includes(v)) {
      throw new AnalysisException(`Unknown save mode: ${m}. Accepted save modes are 'overwrite', 'append', 'ignore', 'error', 'errorifexists', 'default'.`);
    }
    this.saveMode = v;
    return this;
  }

  /** PySpark's argument order: jdbc(url, table, mode?, properties?); Scala's jdbc(url, table, props) too. */
  async jdbc(url: string, table: string, modeOrProps?: string | JdbcProperties, props?: JdbcProperties): Promise<void> {
    checkJdbcArgs(url, table, modeOrProps, props);
    if (typeof modeOrProps === 'string') this.mode(modeOrProps);
    const properties = (typeof modeOrProps === 'object' ? modeOrProps : props) ?? {};
    if (!jdbcWriter) throw new Error('no JDBC writer registered (import the package entry, which registers PostgreSQL)');
    await jdbcWriter(this.df, url, table, this.saveMode, properties, this.opts);
  }
}

const isProps = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);

/** jdbc's arguments in PySpark's order; the properties given where the table goes are said to be that. */
function checkJdbcArgs(url: unknown, table: unknown, modeOrProps: unknown, props: unknown): void {
  stringArg('write.jdbc', 'url', url, "a JDBC URL ('jdbc:postgresql://host:5432/db')");
  if (isProps(table)) {
    const fixed = typeof modeOrProps === 'string' ? `jdbc(url, '${modeOrProps}', properties)` : 'jdbc(url, table, properties)';
    throw new TypeError(
      `write.jdbc: table (the second argument) must be the table name, got ${shownArg(table)} — the connection properties go after the table, ` +
        `as PySpark's jdbc(url, table, mode?, properties?) and Scala's jdbc(url, table, properties): write ${fixed}`,
    );
  }
  stringArg('write.jdbc', 'table', table, 'the table name (a string)');
  if (modeOrProps !== undefined && modeOrProps !== null && typeof modeOrProps !== 'string' && !isProps(modeOrProps)) {
    throw badArgument('write.jdbc', 'the third argument', 'a save mode string or the connection properties { user, password }', modeOrProps);
  }
  if (props !== undefined && props !== null && !isProps(props)) throw badArgument('write.jdbc', 'properties', 'an object { user, password }', props);
}

declare module './DataFrame.js' {
  interface DataFrame {
    /** The batch writer (a static DataFrame only): `df.write.mode('append').jdbc(url, table, props)`. */
    readonly write: DataFrameWriter;
  }
}

Object.defineProperty(DataFrame.prototype, 'write', {
  get(this: DataFrame): DataFrameWriter {
    if (this.isStreaming) throw new AnalysisException("'write' can not be called on streaming Dataset/DataFrame");
    return new DataFrameWriter(this);
  },
});
