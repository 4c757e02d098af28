import { closeSync, fstatSync, openSync, readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Checkpointable, SavedStreamCheckpoint, StreamCheckpoint } from '../dstream/Checkpointable.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { InputDStream } from '../dstream/InputDStream.js';
import { RDD } from '../rdd/RDD.js';
import { described } from '../rdd/checks.js';
import { checkDuration, type Duration } from '../util/duration.js';
import { BatchCap } from '../rate/BatchCap.js';
import { isGlob, matchDirectories, parseGlob, type DirectoryGlob } from './glob.js';
import { readLines } from './fileLines.js';

export interface FileStreamOptions {
  /** Ignore the files already in the directory when the stream starts (default true). */
  newFilesOnly?: boolean;
  /** Only files for which this returns true (given the file's full path) are read. */
  filter?: (path: string) => boolean;
  /**
   * How long a file is remembered as read, by its path (Spark's
   * `spark.streaming.fileStream.minRememberDuration`, default 60 s): a file changed or replaced
   * under the same name meanwhile is not read again. Files that arrived longer ago than this are
   * ignored (except, with `newFilesOnly: false`, those present at start).
   */
  minRememberDuration?: Duration;
  /**
   * Files a batch reads at most (Structured Streaming's `maxFilesPerTrigger`). With this or
   * `maxBytesPerBatch` given, only the limits given apply; with neither, the default cap does
   * (rate/BatchCap.ts: about one batch interval of the rate the job has shown, bounded in
   * records and bytes): unlike Spark, a folder full of files is read over several batches.
   */
  maxFilesPerBatch?: number;
  /** Bytes of files a batch reads at most (at least one file per batch, however large). */
  maxBytesPerBatch?: number;
}

/** The facts of a completed batch the file stream's cap learns from. */
export interface FileBatchFacts {
  processingDelay: number;
}

/** One file read by the stream: its identity (its name) and the batch it went to. */
interface SeenFile {
  /** Its path relative to the directory (to a glob's literal leading directory). */
  name: string;
  mtimeMs: number;
  size: number;
  /** When the file arrived: max(mtime, ctime) in wall-clock ms (a rename sets ctime); when read, as read. */
  arrivedMs: number;
  /** The batch that read it (0 for files ignored because they were there at start). */
  batchTime: number;
}

/** The position of a file stream in a checkpoint: the files read by batches up to that batch. */
export interface FileStreamPosition {
  /** Files ignored before this wall-clock time (newFilesOnly: when the stream first started). */
  ignoreBefore: number;
  files: Array<[name: string, mtimeMs: number, size: number, arrivedMs: number, batchTime: number]>;
  /**
   * Files found and not read by a batch up to this one (the backlog, in reading order, after the
   * files of the `pending` batches): read by the next batches whatever their age.
   */
  queued?: Array<[name: string, mtimeMs: number, size: number, arrivedMs: number]>;
  /** Wall-clock time of the batch's scan: files that arrived after it are read whatever their age (a restart long after). */
  scannedAt?: number;
  /**
   * The batches generated after this one, in time order, each with the files it read (names,
   * among `queued`; none for an empty batch) and the wall-clock time of its scan — Spark's
   * batchTimeToSelectedFiles: a recovered batch reads exactly these files again. Absent in
   * checkpoints of older versions (their pending batches' files are only `queued`).
   */
  pending?: Array<[batchTime: number, names: string[], scannedAt?: number]>;
  /** No scan yet (a start record): with `newFilesOnly: false` the first one reads files of any age. */
  firstScan?: true;
}

/** How much earlier than the last scan a file may have arrived and still not been listed by it (2 s: FAT's mtime resolution). */
const SCAN_SLACK_MS = 2000;

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
 * The directory may be a glob (`/logs/2017/*`, `/logs/{a,b}/in`: glob.ts, Hadoop's globStatus):
 * every batch lists the files of every directory it matches then. A directory (or a glob's
 * literal leading directory) that does not exist, or cannot be listed, gives empty batches, as in
 * Spark (which warns "No directory to scan"): `lastError` holds the error, the batch's input
 * info says it (`metadata.listingError`), and a warning is logged — once, until the error changes
 * or the directory can be listed again.
 *
 * Files must appear atomically (written elsewhere, then renamed into the directory), as in
 * Spark. Hidden (`.name`), `_name`, `*._COPYING_` (hdfs put) and `*.tmp` files are ignored, so a
 * writer can also write under such a name and rename when done. A file is identified by its path,
 * as in Spark (recentlySelectedFiles): once read it is not read again while it is remembered
 * (`minRememberDuration`) — appending to it, or replacing it under the same name, is ignored
 * ("updates are ignored", Spark's guide) — and files older than that window (that arrived before
 * the previous scan too) are ignored. A file changed again after it is forgotten is read again,
 * whole, as in Spark. A file ignored because it was there at start (newFilesOnly) is new once it
 * changes (Spark: its mod time passes the start). The remembered set is the stream's checkpoint
 * position (Checkpointable).
 *
 * A backlog (a folder that holds thousands of files at start with `newFilesOnly: false`, or
 * after a restart) is read over several batches: files found wait in a queue, in arrival order,
 * and each batch reads them up to its cap (FileStreamOptions.maxFilesPerBatch /
 * maxBytesPerBatch, else the default cap). Queued files are part of the position, so a restart
 * reads them however old they are by then.
 *
 * When things happen: the listing and the reading are done when the batch is generated
 * (compute); the files each batch read are then recorded in a checkpoint before its output
 * runs (generatedPosition, through Checkpointer.commitGenerated; before the first batch
 * completed, in the start record), as Spark checkpoints batchTimeToSelectedFiles, so a batch
 * re-run after a crash reads exactly the files it read the first time — not the directory as it
 * is by then; a re-run batch that is not generated again (its time differs after a fresh start)
 * gives its files back to the queue. The cap learns from the batch's completion (batchHooks),
 * counting the reading time with the processing.
 */
export class FileInputDStream extends InputDStream<string> implements Checkpointable {
  /** The directory (or glob), absolute. */
  readonly directory: string;
  /** The glob, parsed; undefined for a plain directory. */
  private readonly glob: DirectoryGlob | undefined;
  /** The directory files' names are relative to: the directory, or the glob's literal leading directory. */
  private readonly base: string;
  private readonly newFilesOnly: boolean;
  private readonly fileFilter: ((path: string) => boolean) | undefined;
  private readonly minRemember: Duration;
  /** Remembered files by name (Spark's recentlySelectedFiles, plus the files ignored at start). */
  private readonly seen = new Map<string, SeenFile>();
  private ignoreBefore = 0;
  private firstScan = true;
  private started = false;
  private restored = false;
  private lastCompleted = -Infinity;
  /** The last listing error (a missing directory yields empty batches, as in Spark); undefined once it lists again. */
  lastError: unknown;
  /** The message of the listing error last warned about. */
  private warned: string | undefined;
  /** Files read so far (figures, tests). */
  filesRead = 0;
  /** Files found and not read yet, in reading order. */
  private readonly queue: SeenFile[] = [];
  private readonly queuedNames = new Set<string>();
  /** The names each generated batch read, until it completed (Spark's batchTimeToSelectedFiles). */
  private readonly batches = new Map<number, string[]>();
  /** Restored batches generated but not completed before the restart: the files each reads again. */
  private readonly restoredBatches = new Map<number, SeenFile[]>();
  private readonly maxFiles: number;
  private readonly maxBytes: number;
  /** The default cap; undefined when maxFilesPerBatch/maxBytesPerBatch are given. */
  readonly batchCap: BatchCap | undefined;
  /** Per batch not completed yet: lines, bytes, ms spent reading, the records limit it was cut with. */
  private readonly cut = new Map<number, { records: number; bytes: number; readMs: number; cap: number | undefined }>();
  private readonly capsInForce = new Map<number, number>();
  /** Wall-clock time of each remembered batch's scan (the zero time's: the start listing), and of the last scan (restored: the checkpointed batch's). */
  private readonly scans = new Map<number, number>();
  private lastScanAt: number | undefined;

  constructor(graph: DStreamGraph, directory: string, options: FileStreamOptions = {}) {
    super(graph);
    if (typeof directory !== 'string' || directory === '') throw new TypeError('textFileStream needs a directory');
    if (options.filter !== undefined && typeof options.filter !== 'function') {
      throw new TypeError('textFileStream filter must be a function (path) => boolean');
    }
    this.directory = path.resolve(directory);
    if (isGlob(this.directory)) {
      try {
        this.glob = parseGlob(this.directory);
      } catch (e) {
        throw new TypeError(`textFileStream ${directory}: ${(e as Error).message}`);
      }
      this.base = this.glob.base;
    } else {
      this.base = this.directory;
    }
    if (options.newFilesOnly !== undefined && typeof options.newFilesOnly !== 'boolean') {
      throw new TypeError(`textFileStream newFilesOnly must be true or false, got ${described(options.newFilesOnly)}`);
    }
    this.newFilesOnly = options.newFilesOnly ?? true;
    this.fileFilter = options.filter;
    this.minRemember = checkDuration(options.minRememberDuration ?? 60_000, 'minRememberDuration');
    // Whole numbers, as Spark's maxFilesPerTrigger (1.5 files would read as 2).
    const limit = (v: number | undefined, what: string): number => {
      if (v === undefined) return Infinity;
      if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`textFileStream ${what} must be a whole number ≥ 1, got ${described(v)}`);
      return v;
    };
    this.maxFiles = limit(options.maxFilesPerBatch, 'maxFilesPerBatch');
    this.maxBytes = limit(options.maxBytesPerBatch, 'maxBytesPerBatch');
    const given = options.maxFilesPerBatch !== undefined || options.maxBytesPerBatch !== undefined;
    this.batchCap = given ? undefined : new BatchCap(graph.batchDuration);
  }

  /** The hooks the context registers with its scheduler: the default cap learns from completed batches. */
  get batchHooks(): { onBatchCompleted(time: number, info: FileBatchFacts): void } {
    return {
      onBatchCompleted: (time, info) => {
        const c = this.cut.get(time);
        for (const t of this.cut.keys()) if (t <= time) this.cut.delete(t);
        if (c && this.batchCap) this.batchCap.observe(c.records, c.bytes, info.processingDelay + c.readMs, c.cap);
      },
    };
  }

  /** The records limit batch `time` was read with by the default cap, while the stream remembers the batch. */
  capOf(time: number): number | undefined {
    return this.capsInForce.get(time);
  }

  /** Files found and waiting to be read (the backlog). */
  get queuedFiles(): number {
    return this.queue.length;
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
      // The files listed now are remembered, hence ignored, by name. The time threshold,
      // saved in the checkpoint, keeps files that arrived before the first start out for good
      // (once forgotten, after a recovery); the second of slack allows for coarse timestamps.
      const listedAt = Date.now();
      this.ignoreBefore = listedAt - 1000;
      // The start record's scan (checkpointDelta(zeroTime)): files that came after it are never too old for a restart.
      if (this.graph.zeroTime !== undefined) this.scans.set(this.graph.zeroTime, listedAt);
      for (const f of this.list()) this.seen.set(f.name, { ...seenOf(f.name, f.stats), batchTime: 0 });
    }
  }

  /** The candidate files in the directory (the glob's directories) now, with their stats. */
  private list(): Array<{ name: string; stats: Stats }> {
    let dirs: string[];
    let error: unknown;
    if (this.glob) {
      const matched = matchDirectories(this.glob);
      dirs = matched.dirs;
      error = matched.error;
    } else {
      dirs = [this.directory];
    }
    const out: Array<{ name: string; stats: Stats }> = [];
    for (const dir of dirs) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch (e) {
        // A glob's directory gone since it matched (or a literal part of the glob that is not there).
        const code = (e as NodeJS.ErrnoException)?.code;
        if (!(this.glob && (code === 'ENOENT' || code === 'ENOTDIR'))) error ??= e;
        continue;
      }
      for (const n of names) {
        if (isIgnoredName(n)) continue;
        const full = path.join(dir, n);
        if (this.fileFilter && !this.fileFilter(full)) continue;
        let stats: Stats;
        try {
          stats = statSync(full);
        } catch {
          continue; // gone since the listing
        }
        if (!stats.isFile()) continue;
        out.push({ name: this.glob ? path.relative(this.base, full) : n, stats });
      }
    }
    this.listed(error);
    return out;
  }

  /** Records the listing's outcome: an error is warned about once, until it changes or a listing succeeds. */
  private listed(error: unknown): void {
    if (error === undefined) {
      this.lastError = undefined;
      this.warned = undefined;
      return;
    }
    this.lastError = error;
    const message = this.listingError!;
    if (message === this.warned) return;
    this.warned = message;
    console.warn(`dstreams: textFileStream ${this.directory}: ${message}; its batches are empty until it can be listed`);
  }

  /** The last listing error, as a line (Spark: "No directory to scan"). */
  private get listingError(): string | undefined {
    const e = this.lastError as NodeJS.ErrnoException | undefined;
    if (e === undefined) return undefined;
    if (e?.code === 'ENOENT') return `no directory to scan: ${e.path ?? this.base} does not exist`;
    return `cannot list ${e?.path ?? this.base}: ${e?.message ?? String(e)}`;
  }

  compute(time: number): RDD<string> {
    // Restored batches before this one will not be generated again (a fresh start's new grid).
    this.giveBack(time);
    const again = this.restoredBatches.get(time);
    if (again) return this.readAgain(time, again);
    const now = Date.now();
    // Files that arrived since the last scan cannot have been seen: never too old (a batch that
    // ran long, a restart long after the checkpointed one). Spark measures from the batch time.
    // The slack allows for coarse timestamps, and for a file written while that scan listed.
    const horizon = Math.min(now - this.rememberWindow, (this.lastScanAt ?? Infinity) - SCAN_SLACK_MS);
    this.lastScanAt = now;
    this.scans.set(time, now);
    const first = this.firstScan;
    this.firstScan = false;
    // Forget files read by completed batches that are older than the window (they would be ignored anyway).
    for (const [k, f] of this.seen) {
      if (f.arrivedMs < horizon && f.batchTime <= this.lastCompleted) this.seen.delete(k);
    }
    const found: SeenFile[] = [];
    for (const { name, stats } of this.list()) {
      // Spark's isNewFile: a path selected within the window is not new, whatever changed since.
      if (this.queuedNames.has(name)) continue;
      const known = this.seen.get(name);
      if (known) {
        // Ignored at start, never selected: new once changed since (Spark's mod-time threshold).
        if (known.batchTime !== 0 || (known.mtimeMs === stats.mtimeMs && known.size === stats.size)) continue;
        this.seen.delete(name);
      }
      const s = seenOf(name, stats);
      if (s.arrivedMs < this.ignoreBefore) continue;
      if (s.arrivedMs < horizon && !(first && !this.newFilesOnly)) continue;
      found.push({ ...s, batchTime: 0 });
    }
    found.sort((a, b) => a.arrivedMs - b.arrivedMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const f of found) {
      this.queue.push(f);
      this.queuedNames.add(f.name);
    }
    return this.readQueued(time);
  }

  /** Restored batches before `time` will not run: their files go back to the front of the queue, in order. */
  private giveBack(time: number): void {
    if (this.restoredBatches.size === 0) return;
    const back: SeenFile[] = [];
    for (const t of [...this.restoredBatches.keys()].sort((a, b) => a - b)) {
      if (t >= time) break;
      for (const f of this.restoredBatches.get(t)!) {
        if (this.seen.get(f.name) === f) this.seen.delete(f.name);
        if (this.queuedNames.has(f.name)) continue;
        f.batchTime = 0;
        back.push(f);
        this.queuedNames.add(f.name);
      }
      this.restoredBatches.delete(t);
      this.batches.delete(t);
    }
    this.queue.unshift(...back);
  }

  /** A restored batch: exactly the files it read before the restart, whatever the directory holds now. */
  private readAgain(time: number, files: SeenFile[]): RDD<string> {
    this.restoredBatches.delete(time);
    this.firstScan = false;
    const scannedAt = this.scans.get(time);
    if (scannedAt !== undefined && !(scannedAt <= (this.lastScanAt ?? -Infinity))) this.lastScanAt = scannedAt;
    const started = performance.now();
    const partitions: string[][] = [];
    let n = 0;
    let bytes = 0;
    for (const f of files) {
      const lines = this.readFile(f);
      if (lines === undefined) {
        console.warn(
          `dstreams: textFileStream ${this.directory}: ${path.join(this.base, f.name)}, read by batch ${time} before the restart, ` +
            'is gone: the batch runs again without it',
        );
        continue;
      }
      this.filesRead++;
      bytes += f.size;
      n += lines.length;
      partitions.push(lines);
    }
    const cap = this.batchCap?.recordsLimit;
    this.cut.set(time, { records: n, bytes, readMs: performance.now() - started, cap });
    if (cap !== undefined) this.capsInForce.set(time, cap);
    this.report(time, n, bytes);
    return RDD.fromPartitions(partitions);
  }

  /**
   * The lines of file `f` now, its size and modification time updated to what was read;
   * undefined when it is gone. Any other error fails the batch naming the file.
   */
  private readFile(f: SeenFile): string[] | undefined {
    const full = path.join(this.base, f.name);
    let lines: string[];
    try {
      const fd = openSync(full, 'r');
      try {
        const stats = fstatSync(fd);
        lines = readLines(fd, stats.size);
        f.mtimeMs = stats.mtimeMs;
        f.size = stats.size;
        f.arrivedMs = Math.max(f.arrivedMs, stats.mtimeMs, stats.ctimeMs);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException)?.code === 'ENOENT') return undefined;
      // Unreadable (permissions, I/O error, a single line too long for a string): fail the batch
      // naming the file rather than skip its records without a word.
      throw new Error(`textFileStream ${this.directory}: cannot read ${full}: ${(e as Error)?.message ?? e}`, { cause: e });
    }
    return lines;
  }

  /** Reads queued files into batch `time`, in order, up to the cap (at least one file). */
  private readQueued(time: number): RDD<string> {
    const started = performance.now();
    const cap = this.batchCap;
    const maxRecords = cap ? cap.recordsLimit : Infinity;
    const maxBytes = cap ? cap.bytes() : this.maxBytes;
    const partitions: string[][] = [];
    const names: string[] = [];
    let n = 0;
    let bytes = 0;
    let files = 0;
    while (this.queue.length > 0 && files < this.maxFiles) {
      const f = this.queue[0]!;
      if (files > 0) {
        if (bytes + f.size > maxBytes) break;
        // Lines the next file would add, at this batch's lines per byte so far.
        if (n >= maxRecords || (bytes > 0 && n + (f.size * n) / bytes > maxRecords)) break;
      }
      this.queue.shift();
      this.queuedNames.delete(f.name);
      // Removed between the listing and now: not read, so not remembered.
      const lines = this.readFile(f);
      if (lines === undefined) continue;
      f.batchTime = time;
      this.seen.set(f.name, f);
      names.push(f.name);
      this.filesRead++;
      files++;
      bytes += f.size;
      n += lines.length;
      partitions.push(lines);
    }
    this.batches.set(time, names);
    this.cut.set(time, { records: n, bytes, readMs: performance.now() - started, cap: cap?.recordsLimit });
    if (cap) this.capsInForce.set(time, maxRecords);
    this.report(time, n, bytes);
    return RDD.fromPartitions(partitions);
  }

  private report(time: number, records: number, bytes: number): void {
    let waitingBytes = 0;
    for (const f of this.queue) waitingBytes += f.size;
    const error = this.listingError;
    this.reportRecords(time, records, error !== undefined ? { listingError: error } : undefined, {
      bytes,
      backlog: { files: this.queue.length, bytes: waitingBytes },
    });
  }

  override clearMetadata(time: number): void {
    super.clearMetadata(time);
    const horizon = time - (this.rememberDuration ?? this.slideDuration);
    for (const t of this.capsInForce.keys()) if (t <= horizon) this.capsInForce.delete(t);
    for (const t of this.scans.keys()) if (t < time) this.scans.delete(t);
    for (const t of this.batches.keys()) if (t <= time) this.batches.delete(t);
    if (time > this.lastCompleted) this.lastCompleted = time;
  }

  /** Files remembered now (tests). */
  get rememberedFiles(): number {
    return this.seen.size;
  }

  // ---- Checkpointable -----------------------------------------------------------------------

  checkpointDelta(time: number, _full: boolean): StreamCheckpoint {
    const files: FileStreamPosition['files'] = [];
    // Files read by batches after `time` are still to be read, as far as this commit knows:
    // queued (what older versions read back), and named by their batch in `pending`.
    const queued: NonNullable<FileStreamPosition['queued']> = [];
    for (const f of this.seen.values()) {
      if (f.batchTime <= time) files.push([f.name, f.mtimeMs, f.size, f.arrivedMs, f.batchTime]);
      else queued.push([f.name, f.mtimeMs, f.size, f.arrivedMs]);
    }
    for (const f of this.queue) queued.push([f.name, f.mtimeMs, f.size, f.arrivedMs]);
    const pending: NonNullable<FileStreamPosition['pending']> = [];
    for (const [t, names] of this.batches) {
      if (t <= time) continue;
      const at = this.scans.get(t);
      pending.push(at !== undefined ? [t, [...names], at] : [t, [...names]]);
    }
    pending.sort((a, b) => a[0] - b[0]);
    const scannedAt = this.scans.get(time);
    const meta: FileStreamPosition = {
      ignoreBefore: this.ignoreBefore,
      files,
      ...(queued.length > 0 ? { queued } : {}),
      ...(scannedAt !== undefined ? { scannedAt } : {}),
      ...(pending.length > 0 ? { pending } : {}),
      ...(this.firstScan ? { firstScan: true as const } : {}),
    };
    return { meta };
  }

  /**
   * After batch `time`'s files were chosen, before its output runs (Checkpointer.commitGenerated):
   * the position after the last completed batch, with the files of every batch chosen since.
   * Before the first batch completed it is the start record's (`lastCompletedTime` = the zero
   * time: the files ignored at start, with newFilesOnly), so a restart after a crash in the
   * first batches ignores the same ones and re-reads the same files.
   */
  generatedPosition(lastCompletedTime: number): FileStreamPosition {
    return this.checkpointDelta(lastCompletedTime, false).meta as FileStreamPosition;
  }

  restoreCheckpoint(saved: SavedStreamCheckpoint): void {
    const meta = saved.meta as Partial<FileStreamPosition> | undefined;
    if (!meta || !Array.isArray(meta.files)) return;
    this.restored = true;
    this.firstScan = meta.firstScan === true;
    this.ignoreBefore = typeof meta.ignoreBefore === 'number' ? meta.ignoreBefore : 0;
    this.seen.clear();
    for (const [name, mtimeMs, size, arrivedMs, batchTime] of meta.files) {
      const bt = typeof batchTime === 'number' ? batchTime : 0;
      // Older versions remembered a name once per (mtime, size): the latest read counts.
      const known = this.seen.get(name);
      if (known && known.batchTime > bt) continue;
      this.seen.set(name, { name, mtimeMs, size, arrivedMs, batchTime: bt });
    }
    this.queue.length = 0;
    this.queuedNames.clear();
    this.batches.clear();
    this.restoredBatches.clear();
    const queued = new Map<string, Omit<SeenFile, 'batchTime'>>();
    for (const [name, mtimeMs, size, arrivedMs] of Array.isArray(meta.queued) ? meta.queued : []) {
      if (!queued.has(name)) queued.set(name, { name, mtimeMs, size, arrivedMs });
    }
    // The batches generated and not completed: each reads its files again, and no scan takes them.
    for (const [t, names, scannedAt] of Array.isArray(meta.pending) ? meta.pending : []) {
      if (typeof t !== 'number' || !Array.isArray(names) || t <= saved.time || this.restoredBatches.has(t)) continue;
      const files: SeenFile[] = [];
      for (const name of names) {
        const q = queued.get(name) ?? { name, mtimeMs: 0, size: 0, arrivedMs: scannedAt ?? Date.now() };
        queued.delete(name);
        const f: SeenFile = { ...q, batchTime: t };
        this.seen.set(name, f);
        files.push(f);
      }
      this.restoredBatches.set(t, files);
      this.batches.set(t, [...names]);
      if (typeof scannedAt === 'number') this.scans.set(t, scannedAt);
    }
    for (const q of queued.values()) {
      if (this.seen.has(q.name)) continue;
      this.queue.push({ ...q, batchTime: 0 });
      this.queuedNames.add(q.name);
    }
    this.lastCompleted = Math.max(this.lastCompleted, saved.time);
    if (typeof meta.scannedAt === 'number') {
      this.lastScanAt = meta.scannedAt;
      this.scans.set(saved.time, meta.scannedAt);
    }
  }
}

function seenOf(name: string, stats: Stats): Omit<SeenFile, 'batchTime'> {
  return { name, mtimeMs: stats.mtimeMs, size: stats.size, arrivedMs: Math.max(stats.mtimeMs, stats.ctimeMs) };
}
