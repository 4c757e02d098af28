/**
 * `spark.read`: static json/csv/text/parquet files (a file sink's output is read through its
 * manifest), with the file source's options (fileFormats.ts readOptions: `mode`, `multiLine`, …).
 * load() reads at once, so under FAILFAST a malformed record rejects load() (Spark: the first action).
 * Files in folders `key=value` are read with their partition columns, after the data columns
 * (sources/fileListing.ts, partitionDiscovery.ts). A path that is a file is read as that one file.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DataFrame, type DataFrameSession } from './DataFrame.js';
import { AnalysisException } from './errors.js';
import { parseFile, readOptions, TEXT_SCHEMA, type FileFormat } from './fileFormats.js';
import { StaticScan } from './plan.js';
import { assembleRows, dataSchema, dirOf, partitionValues, withPartitionColumns } from './partitionDiscovery.js';
import { readParquet } from './parquet.js';
import { listDataFiles, recursiveFileLookup, warnSkippedOnce } from './sources/fileListing.js';
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
  /** Reads the directory, or the file, now (files are listed and parsed once, when called). */
  async load(path: string): Promise<DataFrame> {
    const format = this.fmt ?? 'json';
    const given = format === 'text' ? TEXT_SCHEMA : this.userSchema;
    if (!given && format !== 'parquet') throw new AnalysisException(`spark.read.${format}: give a schema with .schema(...) (dstreams does not infer one)`);
    const recursive = recursiveFileLookup(this.opts);
    // Spark's InMemoryFileIndex takes a file path as its one leaf file, its folder as the base path:
    // no partition discovery, no manifest. A missing path fails in the listing, as before.
    const single = (await stat(path).catch(() => undefined))?.isFile() === true;
    const root = single ? dirname(path) : path;
    const { files, partitions } = single
      ? { files: [basename(path)], partitions: [] }
      : await listDataFiles(path, { schema: given, recursiveFileLookup: recursive, onSkipped: warnSkippedOnce(path) });
    // Parquet files carry their schema: the first file's, unless one is given.
    let data = given && dataSchema(given, partitions);
    // Checked before any file is read; under FAILFAST a malformed record rejects load().
    const options = format === 'parquet' ? undefined : readOptions(this.opts, format, data!);
    const rows: Row[] = [];
    for (const f of files) {
      let parsed: Row[];
      if (format === 'parquet') {
        const read = await readParquet(await readFile(join(root, f)), data);
        data ??= dataSchema(read.schema, partitions);
        parsed = read.rows;
      } else parsed = parseFile(await readFile(join(root, f), 'utf8'), format, data!, options!);
      if (partitions.length > 0) {
        const schema = withPartitionColumns(data!, partitions);
        parsed = assembleRows(parsed, schema, partitionValues(dirOf(f), schema).values);
      }
      for (const r of parsed) rows.push(r);
    }
    return new DataFrame(this.session, new StaticScan(withPartitionColumns(data ?? new StructType([]), partitions), () => rows));
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
