/**
 * File sources (Listing 7.11): new files in a directory, as json or parquet (schema required, as
 * Spark's streaming file sources), csv (schema required; `header`, `sep`) or text (`value`); json
 * and csv take `multiLine`, `mode` and `columnNameOfCorruptRecord` (fileFormats.ts, parseMode.ts:
 * checked at load(); under FAILFAST a malformed record fails the batch that reads it, so the query
 * terminates with that error). Files are taken in order of modification time
 * then name (newest first with `latestFirst`), at most `maxFilesPerTrigger` a batch; the directory
 * must exist when the source is defined (Spark: "Path does not exist"); a directory written by the file sink is read
 * through its manifest. The offset is the list of files taken so far, so a re-run batch reads
 * the same files and a restarted query skips the ones already processed. Files must appear
 * complete (moved in), as Spark expects.
 *
 * The path may be a glob, as Spark's (`/data/trips/*.csv`, `/logs/{a,b}/*`; the matcher of
 * textFileStream, receivers/glob.ts): each trigger lists what it matches then — a matched file is
 * read, a matched directory gives its files — names relative to the glob's literal leading
 * directory. A glob need not match anything when the source is defined, and is never read through
 * a file sink's manifest (Spark's FileStreamSource: sourceHasMetadata is false for a glob).
 *
 * A directory path is read with partition discovery (fileListing.ts, partitionDiscovery.ts): files
 * in folders `key=value` below it, the offset naming them by their path (`date=2024-01-01/a.json`),
 * the columns filled from the folders. As Spark's, the columns are found when the source is defined
 * (partition columns not in the user's schema are added at its end then); a later folder may bring
 * values, not columns.
 */
import { existsSync, type Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { isGlob, matchDirectories, parseGlob, segmentRegExp, type DirectoryGlob } from '../../receivers/glob.js';
import { AnalysisException, IllegalArgumentException } from '../errors.js';
import { parseFile, readOptions, TEXT_SCHEMA, type FileFormat, type FormatOptions } from '../fileFormats.js';
import { readParquet } from '../parquet.js';
import { assembleRows, dataSchema, dirOf, partitionValues, withPartitionColumns } from '../partitionDiscovery.js';
import type { StructField, StructType } from '../types.js';
import type { Row } from '../values.js';
import { listDataFiles, partitionsNow, recursiveFileLookup, warnSkippedOnce } from './fileListing.js';
import { registerSourceFormat } from './registry.js';
import type { Offset, ReadLimits, Source, SourceProvider } from './Source.js';

interface FileOffset {
  files: string[];
}

/**
 * The files a glob matches now, relative to its literal leading directory (`base`), by modification
 * time then name. The glob's last segment matches files and directories (a directory gives its
 * visible files); the segments before it, directories (matchDirectories). As everywhere in the file
 * source, names starting with `.` or `_` are skipped unless the pattern's segment starts so.
 */
async function listGlob(glob: DirectoryGlob): Promise<string[]> {
  const found = new Map<string, number>();
  const add = async (full: string): Promise<void> => {
    const st = await stat(full).catch(() => undefined);
    if (st?.isFile()) found.set(relative(glob.base, full), st.mtimeMs);
  };
  const visible = (name: string): boolean => !/^[._]/.test(name);
  const filesOf = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => [] as Dirent[]);
    for (const e of entries) if (visible(e.name)) await add(join(dir, e.name));
  };
  for (const segs of glob.patterns) {
    if (segs.length === 0) {
      // The whole pattern is literal (`/in/{a}`): the path itself.
      const st = await stat(glob.base).catch(() => undefined);
      if (st?.isDirectory()) await filesOf(glob.base);
      else await add(glob.base);
      continue;
    }
    const last = segs[segs.length - 1]!;
    const listing = matchDirectories({ base: glob.base, patterns: [segs.slice(0, -1)] });
    if (listing.error && listing.error.code !== 'ENOENT' && listing.error.code !== 'ENOTDIR') throw listing.error;
    const re = segmentRegExp(last);
    const hiddenOk = last.startsWith('.') || last.startsWith('_');
    for (const dir of listing.dirs) {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => [] as Dirent[]);
      for (const e of entries) {
        if ((!hiddenOk && !visible(e.name)) || !re.test(e.name)) continue;
        const full = join(dir, e.name);
        const st = await stat(full).catch(() => undefined);
        if (st?.isDirectory()) await filesOf(full);
        else if (st?.isFile()) found.set(relative(glob.base, full), st.mtimeMs);
      }
    }
  }
  return [...found].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([n]) => n);
}

class FileSource implements Source {
  constructor(
    readonly description: string,
    readonly schema: StructType,
    /** The directory, or a glob's literal leading directory: the offset's names are relative to it. */
    private readonly dir: string,
    /** The data files now (names relative to `dir`). */
    private readonly list: () => Promise<string[]>,
    private readonly format: FileFormat | 'parquet',
    private readonly options: FormatOptions,
    private readonly maxFiles: number | undefined,
    /** Spark's latestFirst: the newest files first (with maxFilesPerTrigger, a backlog is read newest first). */
    private readonly latestFirst: boolean,
    /**
     * The partition columns found when the source was defined (null for a file outside their
     * folders); undefined for a glob, whose folders give no columns.
     */
    private readonly partitions: readonly StructField[] | undefined,
  ) {}

  async latestOffset(start: Offset | undefined, limits: ReadLimits = {}): Promise<Offset | undefined> {
    const taken = (start as FileOffset | undefined)?.files ?? [];
    const seen = new Set(taken);
    let fresh = (await this.list()).filter((f) => !seen.has(f));
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
      const { values, missing } = this.partitions ? partitionValues(dirOf(f), this.schema) : { values: {} };
      if (missing !== undefined) throw unknownPartitionColumn(this.description, missing, this.schema);
      const folderColumns = Object.keys(values).map((name) => ({ name }));
      const data = dataSchema(this.schema, [...(this.partitions ?? []), ...folderColumns]);
      const parsed =
        this.format === 'parquet'
          ? (await readParquet(await readFile(path), data)).rows
          : parseFile(await readFile(path, 'utf8'), this.format, data, this.options);
      const out = data === this.schema ? parsed : assembleRows(parsed, this.schema, values);
      for (const r of out) rows.push(r);
    }
    return rows;
  }
}

/** Spark fails such a batch (its output no longer matches the source's); here with the reason. */
function unknownPartitionColumn(source: string, column: string, schema: StructType): AnalysisException {
  return new AnalysisException(
    `${source}: a folder has the partition column \`${column}\`, which is not in the source's schema ${schema.simpleString()}: ` +
      'the schema is fixed when the source is defined, and no folder had that column then. Give it in .schema(...).',
  );
}

for (const format of ['json', 'csv', 'text', 'parquet'] as const) {
  registerSourceFormat(format, ({ options, schema }) => {
    const path = options.path;
    if (!path) throw new AnalysisException(`readStream.${format}(path): the path is missing`);
    if (format !== 'text' && !schema) {
      throw new AnalysisException(`Schema must be specified when creating a streaming source DataFrame. (${format} source at ${path}; use .schema(...))`);
    }
    const given = format === 'text' ? TEXT_SCHEMA : schema!;
    const max = options.maxFilesPerTrigger === undefined ? undefined : Number(options.maxFilesPerTrigger);
    if (max !== undefined && !(Number.isInteger(max) && max > 0)) {
      throw new AnalysisException(`Invalid value '${options.maxFilesPerTrigger}' for option 'maxFilesPerTrigger', must be a positive integer`);
    }
    const latestFirst = (options.latestFirst ?? 'false').trim().toLowerCase();
    if (latestFirst !== 'true' && latestFirst !== 'false') {
      throw new AnalysisException(`Invalid value '${options.latestFirst}' for option 'latestFirst', must be true or false`);
    }
    // Spark's DataSource.sourceSchema: a path that is not a glob must exist when the source is defined.
    let glob: DirectoryGlob | undefined;
    if (isGlob(path)) {
      try {
        glob = parseGlob(resolve(path));
      } catch (e) {
        throw new AnalysisException(`Invalid glob path ${path}: ${(e as Error).message}`);
      }
    } else if (!existsSync(path)) throw new AnalysisException(`Path does not exist: ${path}`);
    const recursive = recursiveFileLookup(options);
    const partitions = glob ? [] : partitionsNow(path, { schema: given, recursiveFileLookup: recursive });
    const st = withPartitionColumns(given, partitions);
    const dir = glob?.base ?? path;
    const description = `FileStreamSource[${path}]`;
    const onSkipped = warnSkippedOnce(path);
    const listDir = async (): Promise<string[]> => {
      // Each listing checks the folders again (Spark's fetchAllFiles): a conflicting one fails the query.
      // A path that is a file fails the query as Spark's streaming source does (its base path is the
      // path), where spark.read reads the file.
      const found = await listDataFiles(path, { schema: st, recursiveFileLookup: recursive, onSkipped }).catch((e: unknown) => {
        throw (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? new IllegalArgumentException("Option 'basePath' must be a directory") : e;
      });
      const unknown = found.partitions.find((p) => !st.field(p.name));
      if (unknown) throw unknownPartitionColumn(description, unknown.name, st);
      return found.files;
    };
    const list = glob ? () => listGlob(glob) : listDir;
    const read = readOptions(options, format, dataSchema(st, partitions));
    const provider: SourceProvider & { schema: StructType } = {
      description,
      schema: st,
      createSource: () => new FileSource(description, st, dir, list, format, read, max, latestFirst === 'true', glob ? undefined : partitions),
    };
    return provider;
  });
}
