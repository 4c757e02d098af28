/**
 * `spark.readStream.format(f).option(k, v).schema(s).load(path?)`, and Listing 7.11's
 * shorthands `.csv(path)`, `.json(path)`, `.text(path)`. Formats register their sources
 * (sources/registry.ts); the DataFrame is analysed against the source's schema at once. Option
 * names are case-insensitive, as Spark's (`maxfilespertrigger` is `maxFilesPerTrigger`).
 */
import { DataFrame, type DataFrameSession } from '../DataFrame.js';
import { AnalysisException } from '../errors.js';
import { StreamScan } from '../plan.js';
import { sourceFormat } from '../sources/registry.js';
import { toSchema, type StructType } from '../types.js';
import { caseInsensitiveOptions } from './options.js';
import type { StreamingSession } from './session.js';

export class DataStreamReader {
  private fmt = '';
  /** Case-insensitive keys, as Spark's CaseInsensitiveMap (options.ts). */
  private readonly opts = caseInsensitiveOptions();
  private userSchema: StructType | undefined;

  constructor(private readonly session: DataFrameSession & StreamingSession) {}

  format(source: string): this {
    this.fmt = String(source).toLowerCase();
    return this;
  }
  option(key: string, value: string | number | boolean): this {
    this.opts[key] = String(value);
    return this;
  }
  options(opts: Record<string, string | number | boolean>): this {
    for (const [k, v] of Object.entries(opts)) this.option(k, v);
    return this;
  }
  schema(schema: StructType | string): this {
    this.userSchema = toSchema(schema);
    return this;
  }

  load(path?: string): DataFrame {
    if (this.fmt === '') throw new AnalysisException('readStream needs a format: format("socket" | "rate" | "kafka" | "json" | "csv" | "text")');
    const make = sourceFormat(this.fmt);
    if (!make) throw new AnalysisException(`Failed to find data source: ${this.fmt}`);
    const options = caseInsensitiveOptions(this.opts);
    if (path !== undefined) options.path = path;
    const provider = make({ options, schema: this.userSchema, clock: this.session.clock, format: this.fmt });
    return new DataFrame(this.session, new StreamScan(provider.schema, provider, provider.description));
  }
  csv(path: string): DataFrame {
    return this.format('csv').load(path);
  }
  json(path: string): DataFrame {
    return this.format('json').load(path);
  }
  parquet(path: string): DataFrame {
    return this.format('parquet').load(path);
  }
  text(path: string): DataFrame {
    return this.format('text').load(path);
  }
}
