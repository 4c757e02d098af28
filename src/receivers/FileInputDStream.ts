import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Checkpointable, SavedStreamCheckpoint, StreamCheckpoint } from '../dstream/Checkpointable.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { InputDStream } from '../dstream/InputDStream.js';
import { RDD } from '../rdd/RDD.js';
import { checkDuration, type Duration } from '../util/duration.js';

export interface FileStreamOptions {
  /** Ignore the files already in the directory when the stream starts (default true). */
  newFilesOnly?: boolean;
  /** Only files for which this returns true (given the file's full path) are read. */
  filter?: (path: string) => boolean;
  /**
   * How long a file is remembered as read, by name, modification time and size (Spark's
   * `spark.streaming.fileStream.minRememberDuration`, default 60 s). Files that arrived longer
   * ago than this are ignored (except, with `newFilesOnly: false`, those present at start).
   */
  minRememberDuration?: Duration;
}

/** One file read by the stream: its identity and the batch it went to. */
interface SeenFile {
  name: string;
  mtimeMs: number;
  size: number;
  /** When the file arrived: max(mtime, ctime) in wall-clock ms (a rename sets ctime). */
  arrivedMs: number;
  /** The batch that read it (0 for files ignored because they were there at start). */
  batchTime: number;
}

/** The position of a file stream in a checkpoint: the files read by batches up to that batch. */
export interface FileStreamPosition {
  /** Files ignored before this wall-clock time (newFilesOnly: when the stream first started). */
  ignoreBefore: number;
  files: Array<[name: string, mtimeMs: number, size: number, arrivedMs: number, batchTime: number]>;
}

/** Names Hadoop-style writers use while a file is incomplete, plus hidden files. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_') || name.includes('_COPYING_') || name.endsWith('.tmp');
}

/**
 * Spark's textFileStream (FileInputDStream): every batch lists the directory and reads the text
 * of the files that are new since the last listing; their lines are that batch's records, one
 * partition per file, files in arrival order.
 *
 * Why a directory scan at each batch rather than fs.watch or chokidar: the scan is what decides
 * which batch a file belongs to, so it must happen at batch time, synchronously with batch
 * generation — a file moved in before batch t's scan is in batch t, deterministically (with a
 * ManualClock too). Watch events arrive asynchronously, may be coalesced or lost (network and
 * container file systems, overflowing inotify queues, a rename reported on one side only), and
 * would still need a rescan to be trusted; chokidar adds polling and write-settling heuristics
 * on top of the same events, and a dependency. A listing per batch costs a readdir and a stat
 * per entry, which is what Spark does against HDFS too.
 *
 * Files must appear atomically (written elsewhere, then renamed into the directory), as in
 * Spark. Hidden (`.name`), `_name`, `*._COPYING_` (hdfs put) and `*.tmp` files are ignored, so a
 * writer can also write under such a name and rename when done. A file is identified by name,
 * modification time and size: once read it is not read again while it is remembered
 * (`minRememberDuration`), and files older than that window are ignored. The remembered set is
 * the stream's checkpoint position (Checkpointable).
 */
export class FileInputDStream extends InputDStream<string> implements Checkpointable {
  readonly directory: string;
  private readonly newFilesOnly: boolean;
  private readonly fileFilter: ((path: string) => boolean) | undefined;
  private readonly minRemember: Duration;
  /** Remembered files by identity key. */
  private readonly seen = new Map<string, SeenFile>();
  private ignoreBefore = 0;
  private firstScan = true;
  private started = false;
  private restored = false;
  private lastCompleted = -Infinity;
  /** The last listing error (a missing directory yields empty batches, as in Spark). */
  lastError: unknown;
  /** Files read so far (figures, tests). */
  filesRead = 0;

  constructor(graph: DStreamGraph, directory: string, options: FileStreamOptions = {}) {
    super(graph);
    if (typeof directory !== 'string' || directory === '') throw new TypeError('textFileStream needs a directory');
    if (options.filter !== undefined && typeof options.filter !== 'function') {
      throw new TypeError('textFileStream filter must be a function (path) => boolean');
    }
    this.directory = path.resolve(directory);
    this.newFilesOnly = options.newFilesOnly ?? true;
    this.fileFilter = options.filter;
    this.minRemember = checkDuration(options.minRememberDuration ?? 60_000, 'minRememberDuration');
  }

  /** How long files are remembered: at least minRememberDuration and two batches. */
  private get rememberWindow(): number {
    return Math.max(this.minRemember, 2 * this.graph.batchDuration);
  }

  override async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.restored) return; // the position says what was read and since when
    if (this.newFilesOnly) {
      // The files listed now are remembered, hence ignored, by identity. The time threshold,
      // saved in the checkpoint, keeps files that arrived before the first start out for good
      // (once forgotten, after a recovery); the second of slack allows for coarse timestamps.
      this.ignoreBefore = Date.now() - 1000;
      for (const f of this.list()) this.seen.set(keyOf(f.name, f.stats), { ...seenOf(f.name, f.stats), batchTime: 0 });
    }
  }

  /** The candidate files in the directory now, with their stats. */
  private list(): Array<{ name: string; stats: Stats }> {
    let names: string[];
    try {
      names = readdirSync(this.directory);
      this.lastError = undefined;
    } catch (e) {
      this.lastError = e;
      return [];
    }
    const out: Array<{ name: string; stats: Stats }> = [];
    for (const name of names) {
      if (isIgnoredName(name)) continue;
      const full = path.join(this.directory, name);
      if (this.fileFilter && !this.fileFilter(full)) continue;
      let stats: Stats;
      try {
        stats = statSync(full);
      } catch {
        continue; // gone since the listing
      }
      if (!stats.isFile()) continue;
      out.push({ name, stats });
    }
    return out;
  }

  compute(time: number): RDD<string> {
    const now = Date.now();
    const horizon = now - this.rememberWindow;
    const first = this.firstScan;
    this.firstScan = false;
    // Forget files read by completed batches that are older than the window (they would be ignored anyway).
    for (const [k, f] of this.seen) {
      if (f.arrivedMs < horizon && f.batchTime <= this.lastCompleted) this.seen.delete(k);
    }
    const found: SeenFile[] = [];
    for (const { name, stats } of this.list()) {
      const key = keyOf(name, stats);
      if (this.seen.has(key)) continue;
      const s = seenOf(name, stats);
      if (s.arrivedMs < this.ignoreBefore) continue;
      if (s.arrivedMs < horizon && !(first && !this.newFilesOnly)) continue;
      found.push({ ...s, batchTime: time });
    }
    found.sort((a, b) => a.arrivedMs - b.arrivedMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const partitions: string[][] = [];
    let n = 0;
    for (const f of found) {
      let text: string;
      const full = path.join(this.directory, f.name);
      try {
        text = readFileSync(full, 'utf8');
      } catch (e) {
        // Removed between the listing and now: not read, so not remembered.
        if ((e as NodeJS.ErrnoException)?.code === 'ENOENT') continue;
        // Unreadable (permissions, I/O error, too big for a string): fail the batch naming the
        // file rather than skip its records without a word.
        throw new Error(`textFileStream ${this.directory}: cannot read ${full}: ${(e as Error)?.message ?? e}`, { cause: e });
      }
      this.seen.set(keyOf(f.name, f), f);
      this.filesRead++;
      const lines = splitLines(text);
      n += lines.length;
      partitions.push(lines);
    }
    this.reportRecords(time, n);
    return RDD.fromPartitions(partitions);
  }

  override clearMetadata(time: number): void {
    super.clearMetadata(time);
    if (time > this.lastCompleted) this.lastCompleted = time;
  }

  /** Files remembered now (tests). */
  get rememberedFiles(): number {
    return this.seen.size;
  }

  // ---- Checkpointable -----------------------------------------------------------------------

  checkpointDelta(time: number, _full: boolean): StreamCheckpoint {
    const files: FileStreamPosition['files'] = [];
    for (const f of this.seen.values()) {
      if (f.batchTime <= time) files.push([f.name, f.mtimeMs, f.size, f.arrivedMs, f.batchTime]);
    }
    const meta: FileStreamPosition = { ignoreBefore: this.ignoreBefore, files };
    return { meta };
  }

  restoreCheckpoint(saved: SavedStreamCheckpoint): void {
    const meta = saved.meta as Partial<FileStreamPosition> | undefined;
    if (!meta || !Array.isArray(meta.files)) return;
    this.restored = true;
    this.firstScan = false;
    this.ignoreBefore = typeof meta.ignoreBefore === 'number' ? meta.ignoreBefore : 0;
    this.seen.clear();
    for (const [name, mtimeMs, size, arrivedMs, batchTime] of meta.files) {
      const bt = typeof batchTime === 'number' ? batchTime : 0;
      this.seen.set(keyOf(name, { mtimeMs, size }), { name, mtimeMs, size, arrivedMs, batchTime: bt });
    }
    this.lastCompleted = Math.max(this.lastCompleted, saved.time);
  }
}

function keyOf(name: string, s: { mtimeMs: number; size: number }): string {
  return `${name}\u0000${s.mtimeMs}\u0000${s.size}`;
}

function seenOf(name: string, stats: Stats): Omit<SeenFile, 'batchTime'> {
  return { name, mtimeMs: stats.mtimeMs, size: stats.size, arrivedMs: Math.max(stats.mtimeMs, stats.ctimeMs) };
}

/** Text → lines as Hadoop's line reader: `\n` or `\r\n` end a line; no empty record after a final newline. */
export function splitLines(text: string): string[] {
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  return lines;
}
