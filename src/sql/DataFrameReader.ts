/**
 * `spark.read`: static json/csv/text/parquet files (a file sink's output is read through its
 * manifest), with the file source's options (fileFormats.ts readOptions: `mode`, `multiLine`, …).
 * load() reads at once, so under FAILFAST a malformed record rejects load() (Spark: the first action).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFrame, type DataFrameSession } from './DataFrame.js';
import { AnalysisException } from './errors.js';
import { parseFile, readOptions, TEXT_SCHEMA, type FileFormat } from './fileFormats.js';
import { StaticScan } from './plan.js';
import { listDataFiles } from './sinks/file.js';
import { readParquet } from './parquet.js';
import { caseInsensitiveOptions, type Options } from './streaming/options.js';
import { StructType, toSchema } from './types.js';
import type { Row } from './values.js';

export class DataFrameReader {
  private fmt: FileFormat | 'parquet' | undefined;
  /** Option names are case-insensitive, as readStream's (Spark's CaseInsensitiveMap): `HEADER` is `header`. */
  private readonly opts: Options = caseInsensitiveOptions();
  private userSchema: StructType | undefined;
  constructor(private readonly session: DataFrameSession) {}

  format(f: string): this {
    if (!['json', 'csv', 'text', 'parquet'].includes(f)) throw new AnalysisException(`Failed to find data source: ${f}`);
    this.fmt = f as FileFormat | 'parquet';
    return this;
  }
  option(k: string, v: string | number | boolean): this {
    this.opts[k] = String(v);
    return this;
  }
  schema(s: StructType | string): this {
    this.userSchema = toSchema(s);
    return this;
  }
  /** Reads the directory now (files are listed and parsed once, when called). */
  async load(path: string): Promise<DataFrame> {
    const format = this.fmt ?? 'json';
    if (format === 'parquet') {
      // Parquet files carry their schema: the first file's, unless one is given.
      const rows: Row[] = [];
      let schema = this.userSchema;
      for (const f of await listDataFiles(path)) {
        const read = await readParquet(await readFile(join(path, f)), schema);
        schema ??= read.schema;
        for (const r of read.rows) rows.push(r);
      }
      return new DataFrame(this.session, new StaticScan(schema ?? new StructType([]), () => rows));
    }
    const schema = format === 'text' ? TEXT_SCHEMA : this.userSchema;
    if (!schema) throw new AnalysisException(`spark.read.${format}: give a schema with .schema(...) (dstreams does not infer one)`);
    // Checked before any file is read; under FAILFAST a malformed record rejects load().
    const options = readOptions(this.opts, format, schema);
    const rows: Row[] = [];
    for (const f of await listDataFiles(path)) {
      for (const r of parseFile(await readFile(join(path, f), 'utf8'), format, schema, options)) rows.push(r);
    }
    return new DataFrame(this.session, new StaticScan(schema, () => rows));
  }
  json(path: string): Promise<DataFrame> {
    return this.format('json').load(path);
  }
  csv(path: string): Promise<DataFrame> {
    return this.format('csv').load(path);
  }
  parquet(path: string): Promise<DataFrame> {
    return this.format('parquet').load(path);
  }
  text(path: string): Promise<DataFrame> {
    return this.format('text').load(path);
  }
}
