/**
 * Which files a file source reads in a directory, as Spark's InMemoryFileIndex.allFiles: a file
 * sink's output through its manifest; otherwise the directory is listed recursively and
 *  - with `recursiveFileLookup` true, every file is read and there is no partition discovery;
 *  - when folders `key=value` are found (partitionDiscovery.ts), every file below is read — one
 *    directly in the directory too, its partition columns null (Spark drops such files; dstreams
 *    never drops data);
 *  - otherwise only the files directly in the directory. Spark skips the other folders without a
 *    word; dstreams warns once per folder (`onSkipped`).
 * Names starting with `.`, or `_` without `=`, and `*._COPYING_` are skipped (Spark's
 * shouldFilterOutPathName): `_spark_metadata`, temporary files. Paths are relative to the directory.
 */
import { existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IllegalArgumentException } from '../errors.js';
import { dirOf, discoverPartitions } from '../partitionDiscovery.js';
import { MANIFEST_DIR } from '../sinks/file.js';
import type { StructField, StructType } from '../types.js';

export interface ListingOptions {
  /** The user's schema: its columns give partition columns their names and types. */
  schema?: StructType;
  recursiveFileLookup?: boolean;
  /** A folder whose files are not read (no partition discovery happened). */
  onSkipped?: (dir: string) => void;
}

export interface DataFiles {
  /** By modification time then path. */
  files: string[];
  partitions: StructField[];
}

const skipped = (name: string): boolean => name.startsWith('.') || (name.startsWith('_') && !name.includes('=')) || name.endsWith('._COPYING_');

const under = (rel: string, name: string): string => (rel === '' ? name : `${rel}/${name}`);

/** Every visible file below `root`, with its modification time. A folder gone while listing is skipped. */
async function listTree(root: string): Promise<{ path: string; mtimeMs: number }[]> {
  const out: { path: string; mtimeMs: number }[] = [];
  const visit = async (rel: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(join(root, rel), { withFileTypes: true });
    } catch (e) {
      if (rel !== '' && (e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const visible = entries.filter((e) => !skipped(e.name));
    const files = visible.filter((e) => e.isFile()).map((e) => under(rel, e.name));
    const times = await Promise.all(files.map(async (f) => (await stat(join(root, f))).mtimeMs));
    files.forEach((path, i) => out.push({ path, mtimeMs: times[i]! }));
    for (const d of visible.filter((e) => e.isDirectory())) await visit(under(rel, d.name));
  };
  await visit('');
  return out.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Spark's file selection over a listing (see the top of this file). */
function select(root: string, listed: readonly string[], o: ListingOptions): DataFiles {
  if (o.recursiveFileLookup) return { files: [...listed], partitions: [] };
  const dirs = [...new Set(listed.map(dirOf))];
  const partitions = discoverPartitions(root, dirs, o.schema);
  if (partitions.length > 0) return { files: [...listed], partitions };
  for (const d of dirs) if (d !== '') o.onSkipped?.(d);
  return { files: listed.filter((f) => dirOf(f) === ''), partitions: [] };
}

/** The data files of a directory now, and its partition columns. */
export async function listDataFiles(dir: string, o: ListingOptions = {}): Promise<DataFiles> {
  const manifest = join(dir, MANIFEST_DIR);
  let entries: string[];
  try {
    entries = await readdir(manifest);
  } catch {
    return select(dir, (await listTree(dir)).map((f) => f.path), o);
  }
  const batches = entries.filter((e) => /^\d+$/.test(e)).map(Number).sort((a, b) => a - b);
  const files: string[] = [];
  for (const b of batches) {
    const lines = (await readFile(join(manifest, String(b)), 'utf8')).split('\n').slice(1).filter(Boolean);
    for (const l of lines) files.push((JSON.parse(l) as { path: string }).path);
  }
  return { files, partitions: [] };
}

/**
 * The partition columns when a streaming source is defined (Spark's DataSource.sourceSchema lists
 * the directory then): its schema is fixed from here on. Synchronous, as defining a source is.
 */
export function partitionsNow(dir: string, o: ListingOptions): StructField[] {
  if (o.recursiveFileLookup || existsSync(join(dir, MANIFEST_DIR)) || !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return [];
  const leafDirs: string[] = [];
  const visit = (rel: string): void => {
    const entries = readdirSync(join(dir, rel), { withFileTypes: true }).filter((e) => !skipped(e.name));
    if (entries.some((e) => e.isFile())) leafDirs.push(rel);
    for (const d of entries.filter((e) => e.isDirectory())) visit(under(rel, d.name));
  };
  visit('');
  return discoverPartitions(dir, leafDirs, o.schema);
}

/** The `recursiveFileLookup` option (Spark: a boolean, `For input string` otherwise). */
export function recursiveFileLookup(options: Readonly<Record<string, string | undefined>>): boolean {
  const v = (options.recursiveFileLookup ?? 'false').trim().toLowerCase();
  if (v !== 'true' && v !== 'false') throw new IllegalArgumentException(`For input string: "${options.recursiveFileLookup}"`);
  return v === 'true';
}

/** The warning for a folder that is not read, once per folder for a reader or source. */
export function warnSkippedOnce(root: string): (dir: string) => void {
  const warned = new Set<string>();
  return (dir) => {
    if (warned.has(dir)) return;
    warned.add(dir);
    console.warn(
      `dstreams: the files in ${join(root, dir)} are not read: partition discovery reads only folders named key=value ` +
        '(as Spark); option recursiveFileLookup=true reads every folder, without partition columns.',
    );
  };
}
