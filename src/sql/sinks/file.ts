/**
 * The file sink (json, csv, text, parquet; append only): each batch's rows go into one part file, then
 * the batch is recorded in the manifest `<path>/_spark_metadata/<batchId>` (Spark's
 * FileStreamSink log). A batch whose manifest entry exists is skipped, so a batch re-run after a
 * crash never adds files twice; a part file written before a crash and not in the manifest is
 * ignored by readers (spark.read, readStream), which list the manifest, not the directory.
 *
 * When things happen, per batch: part file written and fsynced under a temporary name, renamed;
 * then the manifest entry written the same way — its rename is the commit.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AnalysisException } from '../errors.js';
import { formatFile, formatOptions, type FileFormat, type FormatOptions } from '../fileFormats.js';
import { writeParquet } from '../parquet.js';
import { ArrayType, StringType, StructType, Types, type DataType } from '../types.js';
import { registerSinkFormat } from './registry.js';
import type { BatchOutput, Sink } from './Sink.js';

export const MANIFEST_DIR = '_spark_metadata';

async function writeDurably(file: string, text: string | Buffer): Promise<void> {
  const tmp = join(file, '..', `.${basename(file)}.${randomUUID()}.tmp`);
  const h = await open(tmp, 'w');
  try {
    await h.writeFile(text);
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, file);
}

export class FileSink implements Sink {
  readonly description: string;
  constructor(
    private readonly path: string,
    private readonly format: FileFormat | 'parquet',
    private readonly options: FormatOptions,
  ) {
    this.description = `FileSink[${path}]`;
  }

  async open(): Promise<void> {
    await mkdir(join(this.path, MANIFEST_DIR), { recursive: true });
  }

  async addBatch(batch: BatchOutput): Promise<void> {
    const entry = join(this.path, MANIFEST_DIR, String(batch.batchId));
    if (await exists(entry)) return;
    const files: object[] = [];
    if (batch.rows.length > 0) {
      const name = `part-00000-${randomUUID()}-c000.${this.format === 'text' ? 'txt' : this.format}`;
      const file = join(this.path, name);
      const format = this.format;
      await writeDurably(file, format === 'parquet' ? writeParquet(batch.rows, batch.schema) : formatFile(batch.rows, format, batch.schema, this.options));
      const st = await stat(file);
      files.push({ path: name, size: st.size, isDir: false, modificationTime: Math.round(st.mtimeMs), action: 'add' });
    }
    await writeDurably(entry, ['v1', ...files.map((f) => JSON.stringify(f))].join('\n') + '\n');
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Spark's DataType.sql (`BINARY`, `ARRAY<INT>`, `STRUCT<a: BIGINT>`), as its error messages quote types. */
function sqlType(t: DataType): string {
  if (t instanceof ArrayType) return `ARRAY<${sqlType(t.elementType)}>`;
  if (t instanceof StructType) return `STRUCT<${t.fields.map((f) => `${quoteIfNeeded(f.name)}: ${sqlType(f.dataType)}`).join(', ')}>`;
  return t.simpleString().toUpperCase();
}

function quoteIfNeeded(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `\`${name.replace(/`/g, '``')}\``;
}

/**
 * Spark's CSVFileFormat.supportDataType (DataSourceUtils.verifySchema): atomic types but binary;
 * no arrays or structs. Spark fails the query's first batch with this message; here start() does,
 * as for the text sink's single string column.
 */
function checkCsvSchema(schema: StructType): void {
  for (const f of schema.fields) {
    const t = f.dataType;
    if (t === Types.BINARY || t instanceof ArrayType || t instanceof StructType) {
      throw new AnalysisException(`[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The CSV datasource doesn't support the column \`${f.name.replace(/`/g, '``')}\` of the type "${sqlType(t)}".`);
    }
  }
}

for (const format of ['json', 'csv', 'text'] as const) {
  registerSinkFormat(format, () => (args) => {
    const path = args.options.path;
    if (!path) throw new AnalysisException("'path' is not specified: writeStream.format(...).start(path) or option('path', ...)");
    if (format === 'csv') checkCsvSchema(args.schema);
    if (format === 'text' && (args.schema.fields.length !== 1 || !(args.schema.fields[0]!.dataType === new StringType()))) {
      throw new AnalysisException(`Text data source supports only a single column of string type, and you have ${args.schema.fields.length} columns: ${args.schema.simpleString()}`);
    }
    return new FileSink(path, format, formatOptions(args.options));
  });
}
registerSinkFormat('parquet', () => (args) => {
  const path = args.options.path;
  if (!path) throw new AnalysisException("'path' is not specified: writeStream.format(...).start(path) or option('path', ...)");
  return new FileSink(path, 'parquet', formatOptions(args.options));
});

