/**
 * `df.write` for a static DataFrame (seeds 000 and 004 write foreachBatch's frame to
 * PostgreSQL): `df.write.mode('append' | 'overwrite').jdbc(url, table, { user, password })`.
 * Formats register their writers (sinks/jdbc.ts) so this module stays free of drivers.
 */
import { DataFrame } from './DataFrame.js';
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
    this.opts[key] = String(value);
    return this;
  }

  mode(m: string): this {
    const v = m.toLowerCase() as SaveMode;
    if (!['append', 'overwrite', 'ignore', 'error', 'errorifexists'].includes(v)) {
      throw new AnalysisException(`Unknown save mode: ${m}. Accepted save modes are 'overwrite', 'append', 'ignore', 'error', 'errorifexists', 'default'.`);
    }
    this.saveMode = v;
    return this;
  }

  /** PySpark's argument order: jdbc(url, table, mode?, properties?); Scala's jdbc(url, table, props) too. */
  async jdbc(url: string, table: string, modeOrProps?: string | JdbcProperties, props?: JdbcProperties): Promise<void> {
    if (typeof modeOrProps === 'string') this.mode(modeOrProps);
    const properties = (typeof modeOrProps === 'object' ? modeOrProps : props) ?? {};
    if (!jdbcWriter) throw new Error('no JDBC writer registered (import the package entry, which registers PostgreSQL)');
    await jdbcWriter(this.df, url, table, this.saveMode, properties, this.opts);
  }
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
