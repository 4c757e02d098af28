import { closeSync, fstatSync, openSync, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Checkpointable, SavedStreamCheckpoint, StreamCheckpoint } from '../dstream/Checkpointable.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { InputDStream } from '../dstream/InputDStream.js';
import { RDD } from '../rdd/RDD.js';
import { checkDuration, type Duration } from '../util/duration.js';
import { BatchCap } from '../rate/BatchCap.js';

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
  /** Files found and not read yet (the backlog, in reading order): read by the next batches whatever their age. */
  queued?: Array<[name: string, mtimeMs: number, size: number, arrivedMs: number]>;
  /** Wall-clock time of the batch's scan: files that arrived after it are read whatever their age (a restart long after). */
  scannedAt?: number;
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
 * Files must appear atomically (written elsewhere, then renamed into the directory), as in
 * Spark. Hidden (`.name`), `_name`, `*._COPYING_` (hdfs put) and `*.tmp` files are ignored, so a
 * writer can also write under such a name and rename when done. A file is identified by name,
 * modification time and size: once read it is not read again while it is remembered
 * (`minRememberDuration`), and files older than that window — that arrived before the previous
 * scan too — are ignored. The remembered set is the stream's checkpoint position
 * (Checkpointable); before the first batch completed, the files ignored at start are
 * (startingPosition).
 *
 * A backlog (a folder that holds thousands of files at start with `newFilesOnly: false`, or
 * after a restart) is read over several batches: files found wait in a queue, in arrival order,
 * and each batch reads them up to its cap (FileStreamOptions.maxFilesPerBatch /
 * maxBytesPerBatch, else the default cap). Queued files are part of the position, so a restart
 * reads them however old they are by then. When things happen: the listing and the reading are
 * done when the batch is generated (compute); the cap learns from the batch's completion
 * (batchHooks), counting the reading time with the processing.
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
  /** Files found and not read yet, in reading order. */
  private readonly queue: SeenFile[] = [];
  private readonly queuedKeys = new Set<string>();
  private readonly maxFiles: number;
  private readonly maxBytes: number;
  /** The default cap; undefined when maxFilesPerBatch/maxBytesPerBatch are given. */
  readonly batchCap: BatchCap | undefined;
  /** Per batch not completed yet: lines, bytes, ms spent reading, the records limit it was cut with. */
  private readonly cut = new Map<number, { records: number; bytes: number; readMs: number; cap: number | undefined }>();
  private readonly capsInForce = new Map<number, number>();
  /** Wall-clock time of each remembered batch's scan, and of the last scan (restored: the checkpointed batch's). */
  private readonly scans = new Map<number, number>();
  private lastScanAt: number | undefined;
  /** Wall-clock time of the start listing (newFilesOnly, a fresh start). */
  private listedAt: number | undefined;

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
    const limit = (v: number | undefined, what: string): number => {
      if (v === undefined) return Infinity;
      if (!(typeof v === 'number' && v >= 1)) throw new RangeError(`textFileStream ${what} must be a number ≥ 1, got ${String(v)}`);
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
      // The files listed now are remembered, hence ignored, by identity. The time threshold,
      // saved in the checkpoint, keeps files that arrived before the first start out for good
      // (once forgotten, after a recovery); the second of slack allows for coarse timestamps.
      this.listedAt = Date.now();
      this.ignoreBefore = this.listedAt - 1000;
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
      const key = keyOf(name, stats);
      if (this.seen.has(key) || this.queuedKeys.has(key)) continue;
      const s = seenOf(name, stats);
      if (s.arrivedMs < this.ignoreBefore) continue;
      if (s.arrivedMs < horizon && !(first && !this.newFilesOnly)) continue;
      found.push({ ...s, batchTime: 0 });
    }
    found.sort((a, b) => a.arrivedMs - b.arrivedMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const f of found) {
      this.queue.push(f);
      this.queuedKeys.add(keyOf(f.name, f));
    }
    return this.readQueued(time);
  }

  /** Reads queued files into batch `time`, in order, up to the cap (at least one file). */
  private readQueued(time: number): RDD<string> {
    const started = performance.now();
    const cap = this.batchCap;
    const maxRecords = cap ? cap.recordsLimit : Infinity;
    const maxBytes = cap ? cap.bytes() : this.maxBytes;
    const partitions: string[][] = [];
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
      this.queuedKeys.delete(keyOf(f.name, f));
      let text: string;
      const full = path.join(this.directory, f.name);
      try {
        // Remembered as read (identity: name, mtime, size): a file that changed while it waited
        // in the queue is remembered as it was read, not read again at the next scan.
        const fd = openSync(full, 'r');
        try {
          const stats = fstatSync(fd);
          text = readFileSync(fd, 'utf8');
          f.mtimeMs = stats.mtimeMs;
          f.size = stats.size;
        } finally {
          closeSync(fd);
        }
      } catch (e) {
        // Removed between the listing and now: not read, so not remembered.
        if ((e as NodeJS.ErrnoException)?.code === 'ENOENT') continue;
        // Unreadable (permissions, I/O error, too big for a string): fail the batch naming the
        // file rather than skip its records without a word.
        throw new Error(`textFileStream ${this.directory}: cannot read ${full}: ${(e as Error)?.message ?? e}`, { cause: e });
      }
      f.batchTime = time;
      this.seen.set(keyOf(f.name, f), f);
      this.filesRead++;
      files++;
      bytes += f.size;
      const lines = splitLines(text);
      n += lines.length;
      partitions.push(lines);
    }
    this.cut.set(time, { records: n, bytes, readMs: performance.now() - started, cap: cap?.recordsLimit });
    if (cap) this.capsInForce.set(time, maxRecords);
    let waitingBytes = 0;
    for (const f of this.queue) waitingBytes += f.size;
    this.reportRecords(time, n, undefined, { bytes, backlog: { files: this.queue.length, bytes: waitingBytes } });
    return RDD.fromPartitions(partitions);
  }

  override clearMetadata(time: number): void {
    super.clearMetadata(time);
    const horizon = time - (this.rememberDuration ?? this.slideDuration);
    for (const t of this.capsInForce.keys()) if (t <= horizon) this.capsInForce.delete(t);
    for (const t of this.scans.keys()) if (t < time) this.scans.delete(t);
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
    // Files read by batches after `time` are still to be read, as far as this commit knows.
    const queued: NonNullable<FileStreamPosition['queued']> = [];
    for (const f of this.seen.values()) if (f.batchTime > time) queued.push([f.name, f.mtimeMs, f.size, f.arrivedMs]);
    for (const f of this.queue) queued.push([f.name, f.mtimeMs, f.size, f.arrivedMs]);
    const scannedAt = this.scans.get(time);
    const meta: FileStreamPosition = {
      ignoreBefore: this.ignoreBefore,
      files,
      ...(queued.length > 0 ? { queued } : {}),
      ...(scannedAt !== undefined ? { scannedAt } : {}),
    };
    return { meta };
  }

  /**
   * Before the first batch completed (checkpoint/startRecord.ts): with newFilesOnly, the files
   * ignored at start, so a restart after a crash in the first batches ignores the same ones and
   * reads every file that came after (a fresh start would ignore them too).
   */
  startingPosition(): FileStreamPosition | undefined {
    if (!this.newFilesOnly) return undefined;
    const files: FileStreamPosition['files'] = [];
    for (const f of this.seen.values()) if (f.batchTime === 0) files.push([f.name, f.mtimeMs, f.size, f.arrivedMs, 0]);
    // Files that came after the start listing are never too old for a restart.
    return { ignoreBefore: this.ignoreBefore, files, ...(this.listedAt !== undefined ? { scannedAt: this.listedAt } : {}) };
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
    this.queue.length = 0;
    this.queuedKeys.clear();
    for (const [name, mtimeMs, size, arrivedMs] of Array.isArray(meta.queued) ? meta.queued : []) {
      const key = keyOf(name, { mtimeMs, size });
      if (this.seen.has(key) || this.queuedKeys.has(key)) continue;
      this.queue.push({ name, mtimeMs, size, arrivedMs, batchTime: 0 });
      this.queuedKeys.add(key);
    }
    this.lastCompleted = Math.max(this.lastCompleted, saved.time);
    if (typeof meta.scannedAt === 'number') this.lastScanAt = meta.scannedAt;
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
