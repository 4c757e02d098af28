/**
 * The receivers' write-ahead log: an append-only file log per input stream under
 * `<checkpointDir>/receivedData/<streamId>/`, as Spark's FileBasedWriteAheadLog.
 *
 * Why files and not the LevelDB checkpoint store's `blob/` namespace:
 *  - a received block must be durable before `store()` resolves, i.e. one fsync'd write every
 *    block interval per receiver. Sequential appends to a file do exactly that and nothing more;
 *    in LevelDB the same bytes would go to its own log, then be rewritten by compactions, and
 *    every block would queue behind the batch commits in the store's single commit queue;
 *  - received data is short-lived: cleaning it is unlinking whole segment files once every
 *    block in them belongs to a checkpointed batch, not deleting keys and compacting;
 *  - receivers start before (and independently of) whatever opens the checkpoint store, and a
 *    LevelDB directory can be opened by one handle only.
 * What must be atomic with a batch — which blocks the completed batches consumed — is not in the
 * log but in the batch's checkpoint commit (the input stream's `checkpointDelta` position), so
 * after a crash the blocks past that position are replayed from here.
 *
 * Segment files are named `log-<id of their first block, 16 digits>`. A record is
 * `[u32 length][u32 crc32][payload]` (little endian), the payload `{ id, records }` as JSON when
 * every record is a string (the common case, and the fastest), else with `node:v8` serialize:
 * records must then be plain data (util/plainData.ts) — an instance of a class of its own is
 * written with a warning (once per class), as it comes back from a replay as a plain object, and
 * a record v8 cannot serialise (one holding a function) fails its block's append, naming the
 * record and where in it the value is. New blocks always go to a new segment after opening, so a torn tail left
 * by a crash (a block whose store() never resolved) is never appended to; reading stops at it.
 * A record that cannot be read with an intact record after it is not a torn tail but damage:
 * the blocks from there on had their store() resolved, so reading fails (CheckpointError
 * CORRUPT, naming the segment file and the offset) rather than dropping them.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import zlib from 'node:zlib';
import { CheckpointError } from '../util/checkpointErrors.js';
import { firstAltered, refusedBySerialize, serialises } from '../util/plainData.js';

export interface LoggedBlock<T> {
  id: number;
  records: T[];
}

interface Segment {
  name: string;
  firstId: number;
  lastId: number;
  size: number;
  /** performance.now() when the segment was started (for rolling by age). */
  startedAt: number;
}

export interface WriteAheadLogOptions {
  /** Start a new segment once the current one holds this many bytes (default 16 MiB). */
  segmentBytes?: number;
  /** … or is this old, in ms (default 10 s), so cleaning can free space soon after batches complete. */
  segmentMaxAgeMs?: number;
  /** fsync every append (default true). Tests of the framing may turn it off. */
  sync?: boolean;
}

const HEADER = 8;
const SEGMENT_PREFIX = 'log-';

const crc32: (b: Uint8Array) => number =
  typeof (zlib as { crc32?: (b: Uint8Array) => number }).crc32 === 'function'
    ? (b) => (zlib as unknown as { crc32: (b: Uint8Array) => number }).crc32(b)
    : crc32Table;

let table: Uint32Array | undefined;
function crc32Table(b: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = table[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function segmentName(firstId: number): string {
  return SEGMENT_PREFIX + String(firstId).padStart(16, '0');
}

const TAG_JSON = 0x4a; // 'J'
const TAG_V8 = 0x56; // 'V'

function encodePayload<T>(block: LoggedBlock<T>): Buffer {
  const recs = block.records;
  let strings = true;
  for (let i = 0; i < recs.length; i++) {
    if (typeof recs[i] !== 'string') {
      strings = false;
      break;
    }
  }
  if (strings) return Buffer.from('J' + JSON.stringify({ id: block.id, records: recs }), 'utf8');
  warnAboutClasses(recs);
  let body: Buffer;
  try {
    body = v8.serialize({ id: block.id, records: recs });
  } catch (e) {
    throw unserialisable(block, e);
  }
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = TAG_V8;
  body.copy(out, 1);
  return out;
}

/** What v8 serialize gives back as it was besides what a structured clone does (as checkpoint/codec.ts). */
const V8_KEEPS = new Set<unknown>([Buffer.prototype, Date.prototype]);
/** The classes a warning was given for (once each), and their prototypes (not walked again). */
const warnedAbout = new Set<string>();
const warnedProtos = new Set<unknown>();
/**
 * Records walked so far: the walk is only for a warning, so past this many only records that are
 * themselves instances of a class of their own are walked (as checkpoint/codec.ts does).
 */
let recordsChecked = 0;
const CHECK_WHOLE_RECORDS = 1000;

/**
 * Warns, once per class, when a record holds an instance of a class of its own: it is processed
 * as it is, but a replay from the log after a restart gives it back as a plain object.
 */
function warnAboutClasses(recs: readonly unknown[]): void {
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i];
    if (typeof r !== 'object' || r === null) continue; // a primitive (a function: serialize refuses it)
    const proto = Object.getPrototypeOf(r) as unknown;
    if (recordsChecked >= CHECK_WHOLE_RECORDS) {
      if (proto === Object.prototype || proto === Array.prototype || proto === Map.prototype || proto === Set.prototype || proto === null) continue;
    } else {
      recordsChecked++;
    }
    if (warnedProtos.has(proto)) continue;
    const altered = firstAltered(r, V8_KEEPS);
    // A function or a symbol: serialize refuses the block, which names it (below).
    if (altered === undefined || altered.what.startsWith('a function') || altered.what.startsWith('a symbol') || warnedAbout.has(altered.what)) continue;
    warnedAbout.add(altered.what);
    if (altered.path === '') warnedProtos.add(proto);
    console.warn(
      `dstreams: a record written to the receiver write-ahead log holds ${altered.what}${altered.path === '' ? '' : ` at ${altered.path}`}: ` +
        'it is processed as it is, but the records replayed from the log after a restart come back as plain objects, ' +
        'their class and methods lost. Store plain data (primitives, plain objects, arrays, Map, Set, Date, typed arrays…) ' +
        'when receiverWriteAheadLog is on',
    );
  }
}

/** The error of a block v8 cannot serialise: which record, and where in it the value is. */
function unserialisable<T>(block: LoggedBlock<T>, e: unknown): TypeError {
  const reason = ((e as Error)?.message ?? String(e)).replace(/\.$/, '');
  const i = block.records.findIndex((r) => !serialises(r));
  const where =
    i === -1
      ? `a record of block ${block.id}`
      : (() => {
          const found = refusedBySerialize(block.records[i]);
          return `record ${i} of block ${block.id}: it holds ${found.what}${found.path === '' ? '' : ` at ${found.path}`}`;
        })();
  return new TypeError(
    `the receiver write-ahead log cannot serialise ${where} (${reason}). Records must be plain data when ` +
      'receiverWriteAheadLog is on (primitives, plain objects, arrays, Map, Set, Date, typed arrays…)',
    { cause: e },
  );
}

function decodePayload(payload: Buffer): unknown {
  if (payload[0] === TAG_JSON) return JSON.parse(payload.toString('utf8', 1));
  if (payload[0] === TAG_V8) return v8.deserialize(payload.subarray(1));
  throw new Error('unknown record encoding');
}

/**
 * Encodes one block as a log record (header + payload). Throws a TypeError naming the record and
 * the value in it when v8 cannot serialise a record.
 */
export function encodeRecord<T>(block: LoggedBlock<T>): Buffer {
  const payload = encodePayload(block);
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/** The record at `off`: its block and payload length, or why it cannot be read. */
function readRecord<T>(buf: Buffer, off: number): { block: LoggedBlock<T>; len: number } | { bad: string } {
  if (off + HEADER > buf.length) return { bad: `an incomplete record header (${buf.length - off} bytes)` };
  const len = buf.readUInt32LE(off);
  if (len === 0) return { bad: 'a record length of 0' };
  if (off + HEADER + len > buf.length) return { bad: `a record length of ${len} bytes with ${buf.length - off - HEADER} left` };
  const payload = buf.subarray(off + HEADER, off + HEADER + len);
  if (crc32(payload) !== buf.readUInt32LE(off + 4)) return { bad: 'a CRC mismatch' };
  let v: { id?: unknown; records?: unknown };
  try {
    v = decodePayload(payload) as { id?: unknown; records?: unknown };
  } catch (e) {
    return { bad: `an undecodable record (${(e as Error)?.message ?? String(e)})` };
  }
  if (typeof v?.id !== 'number' || !Array.isArray(v.records)) return { bad: 'a record that is not a block' };
  return { block: { id: v.id, records: v.records as T[] }, len };
}

/**
 * The offset of the first intact record starting after `off`, or -1. Only offsets where a
 * payload could begin ('J{' or 'V' and v8's version tag) are checked: a torn tail's bytes (a
 * prefix of one record) are passed over at the cost of a scan, never a CRC each.
 */
function nextIntactRecord(buf: Buffer, off: number): number {
  for (let p = off + 1; p + HEADER < buf.length; p++) {
    const tag = buf[p + HEADER];
    if (tag === TAG_JSON ? buf[p + HEADER + 1] !== 0x7b : tag !== TAG_V8 || buf[p + HEADER + 1] !== 0xff) continue;
    const len = buf.readUInt32LE(p);
    if (len < 2 || p + HEADER + len > buf.length) continue;
    if ('block' in readRecord(buf, p)) return p;
  }
  return -1;
}

/**
 * The intact records of a segment's bytes, in order. A torn tail — a last record cut short by a
 * crash mid-append, never acknowledged — ends them. A record that cannot be read followed by an
 * intact one is damage to acknowledged data: throws a CheckpointError (CORRUPT) naming `file`
 * and the offset, never dropping the records after it.
 */
export function decodeRecords<T>(buf: Buffer, sizes?: number[], file?: string): { blocks: LoggedBlock<T>[]; intactBytes: number } {
  const blocks: LoggedBlock<T>[] = [];
  let off = 0;
  while (off < buf.length) {
    const r = readRecord<T>(buf, off);
    if ('bad' in r) {
      const next = nextIntactRecord(buf, off);
      if (next < 0) break; // a torn tail
      throw new CheckpointError(
        'CORRUPT',
        file === undefined ? '' : path.dirname(file),
        `receiver write-ahead log segment${file === undefined ? '' : ` ${file}`} is damaged at byte ${off} of ${buf.length} (${r.bad}), ` +
          `with intact records after it (from byte ${next}): the blocks logged there were acknowledged (their store() resolved) ` +
          `and cannot be read. It was left as it is: restore it from a backup, or move the segment away to go on without its blocks (they are lost)`,
      );
    }
    blocks.push(r.block);
    sizes?.push(r.len);
    off += HEADER + r.len;
  }
  return { blocks, intactBytes: off };
}

export class FileWriteAheadLog<T> {
  private readonly segments: Segment[];
  private active: { fd: fsp.FileHandle; seg: Segment } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly segmentBytes: number;
  private readonly segmentMaxAgeMs: number;
  private readonly sync: boolean;
  /** Bytes written (for figures). */
  bytesWritten = 0;

  private constructor(
    readonly dir: string,
    segments: Segment[],
    /** The highest block id found in the log when it was opened (-1 when empty). */
    readonly maxRecoveredId: number,
    opts: WriteAheadLogOptions,
  ) {
    this.segments = segments;
    this.segmentBytes = opts.segmentBytes ?? 16 * 1024 * 1024;
    this.segmentMaxAgeMs = opts.segmentMaxAgeMs ?? 10_000;
    this.sync = opts.sync ?? true;
  }

  /** Opens (creating when missing) the log in `dir` and reads what it holds. */
  static async open<T>(dir: string, opts: WriteAheadLogOptions = {}): Promise<FileWriteAheadLog<T>> {
    await fsp.mkdir(dir, { recursive: true });
    const names = (await fsp.readdir(dir)).filter((n) => n.startsWith(SEGMENT_PREFIX)).sort();
    const segments: Segment[] = [];
    let maxId = -1;
    for (const name of names) {
      const buf = await fsp.readFile(path.join(dir, name));
      const { blocks } = decodeRecords<T>(buf, undefined, path.join(dir, name));
      if (blocks.length === 0) {
        // Nothing intact (a segment created just before a crash): of no use to anyone.
        await fsp.rm(path.join(dir, name), { force: true });
        continue;
      }
      const firstId = blocks[0]!.id;
      const lastId = blocks[blocks.length - 1]!.id;
      maxId = Math.max(maxId, lastId);
      segments.push({ name, firstId, lastId, size: buf.length, startedAt: -Infinity });
    }
    return new FileWriteAheadLog<T>(dir, segments, maxId, opts);
  }

  /** Every intact block with an id greater than `afterId`, in id order. */
  async readAfter(afterId: number): Promise<LoggedBlock<T>[]> {
    const out: LoggedBlock<T>[] = [];
    for (const seg of this.segments) {
      if (seg.lastId <= afterId) continue;
      let buf: Buffer;
      try {
        buf = await fsp.readFile(path.join(this.dir, seg.name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      for (const b of decodeRecords<T>(buf, undefined, path.join(this.dir, seg.name)).blocks) if (b.id > afterId) out.push(b);
    }
    out.sort((a, b) => a.id - b.id);
    return out;
  }

  /**
   * The segments holding blocks with ids greater than `afterId`, in id order, with their sizes:
   * what a replay reads one segment at a time (readSegment), so a long log is never in memory at once.
   */
  segmentsAfter(afterId: number): Array<{ name: string; size: number }> {
    return this.segments.filter((s) => s.lastId > afterId).map((s) => ({ name: s.name, size: s.size }));
  }

  /** The intact blocks of one segment with ids greater than `afterId`, each with its encoded size. */
  async readSegment(name: string, afterId: number): Promise<Array<LoggedBlock<T> & { bytes: number }>> {
    let buf: Buffer;
    try {
      buf = await fsp.readFile(path.join(this.dir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const sizes: number[] = [];
    const { blocks } = decodeRecords<T>(buf, sizes, path.join(this.dir, name));
    const out: Array<LoggedBlock<T> & { bytes: number }> = [];
    blocks.forEach((b, i) => {
      if (b.id > afterId) out.push({ ...b, bytes: sizes[i]! });
    });
    return out;
  }

  /**
   * Appends a block; resolves once it is on disk (fsync'd). Appends are written in call order.
   * A block that cannot be encoded rejects (never throws: the caller is a block timer).
   */
  append(block: LoggedBlock<T>): Promise<void> {
    let record: Buffer;
    try {
      // Encoded now, while the previous append may be writing: the block as it was when cut.
      record = encodeRecord(block);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.enqueue(async () => {
      if (this.closed) throw new Error('write-ahead log is closed');
      let a = this.active;
      if (
        a &&
        (a.seg.size >= this.segmentBytes || performance.now() - a.seg.startedAt >= this.segmentMaxAgeMs)
      ) {
        await this.roll();
        a = undefined;
      }
      if (!a) {
        const seg: Segment = {
          name: segmentName(block.id),
          firstId: block.id,
          lastId: block.id,
          size: 0,
          startedAt: performance.now(),
        };
        const fd = await fsp.open(path.join(this.dir, seg.name), 'a');
        if (this.sync) await syncDir(this.dir);
        this.segments.push(seg);
        a = this.active = { fd, seg };
      }
      try {
        await a.fd.write(record, 0, record.length);
        if (this.sync) await a.fd.datasync();
      } catch (e) {
        // Part of the record may be on disk: never append after it, later blocks would be unreadable.
        await this.roll().catch(() => undefined);
        throw e;
      }
      a.seg.size += record.length;
      a.seg.lastId = block.id;
      this.bytesWritten += record.length;
    });
  }

  /**
   * Deletes the segments whose blocks all have ids ≤ `upToId`. The segment being written is
   * closed too (the next block starts a new one), so segments follow the batches that clean them.
   */
  cleanup(upToId: number): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      if (this.active) await this.roll();
      const keep: Segment[] = [];
      for (const seg of this.segments) {
        if (seg.lastId <= upToId && seg !== this.active?.seg) {
          await fsp.rm(path.join(this.dir, seg.name), { force: true });
        } else {
          keep.push(seg);
        }
      }
      this.segments.splice(0, this.segments.length, ...keep);
    });
  }

  /** Segment files currently in the log (for tests and figures). */
  get segmentCount(): number {
    return this.segments.length;
  }

  close(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      await this.roll();
      this.closed = true;
    });
  }

  private async roll(): Promise<void> {
    const a = this.active;
    this.active = undefined;
    if (a) await a.fd.close();
  }

  private enqueue(f: () => Promise<void>): Promise<void> {
    const p = this.queue.then(f);
    this.queue = p.catch(() => undefined);
    return p;
  }
}

async function syncDir(dir: string): Promise<void> {
  let fd: fsp.FileHandle | undefined;
  try {
    fd = await fsp.open(dir, 'r');
    await fd.sync();
  } catch {
    // Some platforms cannot fsync a directory; the file's own fsync is what we can do there.
  } finally {
    await fd?.close();
  }
}
