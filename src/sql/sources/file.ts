/**
 * File sources (Listing 7.11): new files in a directory, as json or parquet (schema required, as
 * Spark's streaming file sources), csv (schema required; `header`, `sep`) or text (`value`). Files are taken in order of modification time
 * then name (newest first with `latestFirst`), at most `maxFilesPerTrigger` a batch; the directory
 * must exist when the source is defined (Spark: "Path does not exist"); a directory written by the file sink is read
 * through its manifest. The offset is the list of files taken so far, so a re-run batch reads
 * the same files and a restarted query skips the ones already processed. Files must appear
 * complete (moved in), as Spark expects.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AnalysisException } from '../errors.js';
import { formatOptions, parseFile, TEXT_SCHEMA, type FileFormat, type FormatOptions } from '../fileFormats.js';
import { readParquet } from '../parquet.js';
import { listDataFiles } from '../sinks/file.js';
import type { StructType } from '../types.js';
import type { Row } from '../values.js';
import { registerSourceFormat } from './registry.js';
import type { Offset, ReadLimits, Source, SourceProvider } from './Source.js';

interface FileOffset {
  files: string[];
}

class FileSource implements Source {
  constructor(
    readonly description: string,
    readonly schema: StructType,
    private readonly dir: string,
    private readonly format: FileFormat | 'parquet',
    private readonly options: FormatOptions,
    private readonly maxFiles: number | undefined,
    /** Spark's latestFirst: the newest files first (with maxFilesPerTrigger, a backlog is read newest first). */
    private readonly latestFirst: boolean,
  ) {}

  async latestOffset(start: Offset | undefined, limits: ReadLimits = {}): Promise<Offset | undefined> {
    const taken = (start as FileOffset | undefined)?.files ?? [];
    const seen = new Set(taken);
    let fresh = (await listDataFiles(this.dir)).filter((f) => !seen.has(f));
    if (this.latestFirst) fresh.reverse();
    if (limits.upTo) {
      const known = new Set((limits.upTo.end as FileOffset | undefined)?.files ?? []);
      fresh = fresh.filter((f) => known.has(f));
    }
    if (this.maxFiles !== undefined && !limits.ignoreLimits) fresh = fresh.slice(0, this.maxFiles);
    if (fresh.length === 0) return start;
    return { files: [...taken, ...fresh] };
  }

  async getBatch(start: Offset | undefined, end: Offset): Promise<Row[]> {
    const from = (start as FileOffset | undefined)?.files.length ?? 0;
    const rows: Row[] = [];
    for (const f of (end as FileOffset).files.slice(from)) {
      const path = join(this.dir, f);
      const parsed =
        this.format === 'parquet'
          ? (await readParquet(await readFile(path), this.schema)).rows
          : parseFile(await readFile(path, 'utf8'), this.format, this.schema, this.options);
      for (const r of parsed) rows.push(r);
    }
    return rows;
  }
}

for (const format of ['json', 'csv', 'text', 'parquet'] as const) {
  registerSourceFormat(format, ({ options, schema }) => {
    const path = options.path;
    if (!path) throw new AnalysisException(`readStream.${format}(path): the path is missing`);
    if (format !== 'text' && !schema) {
      throw new AnalysisException(`Schema must be specified when creating a streaming source DataFrame. (${format} source at ${path}; use .schema(...))`);
    }
    const st = format === 'text' ? TEXT_SCHEMA : schema!;
    const max = options.maxFilesPerTrigger === undefined ? undefined : Number(options.maxFilesPerTrigger);
    if (max !== undefined && !(Number.isInteger(max) && max > 0)) {
      throw new AnalysisException(`Invalid value '${options.maxFilesPerTrigger}' for option 'maxFilesPerTrigger', must be a positive integer`);
    }
    const latestFirst = (options.latestFirst ?? 'false').trim().toLowerCase();
    if (latestFirst !== 'true' && latestFirst !== 'false') {
      throw new AnalysisException(`Invalid value '${options.latestFirst}' for option 'latestFirst', must be true or false`);
    }
    // Spark's DataSource.sourceSchema: a path that is not a glob must exist when the source is defined.
    if (!/[*?[{]/.test(path) && !existsSync(path)) throw new AnalysisException(`Path does not exist: ${path}`);
    const description = `FileStreamSource[${path}]`;
    const provider: SourceProvider & { schema: StructType } = {
      description,
      schema: st,
      createSource: () => new FileSource(description, st, path, format, formatOptions(options), max, latestFirst === 'true'),
    };
    return provider;
  });
}
