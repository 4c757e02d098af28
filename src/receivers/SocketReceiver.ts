import net from 'node:net';
import { countLines, LineBlock } from '../rdd/LinesRDD.js';
import { LineSplitter } from './LineSplitter.js';
import { Receiver } from './Receiver.js';
import type { ReceiverStreamOptions } from './options.js';

export interface SocketStreamOptions extends ReceiverStreamOptions {
  /**
   * Longest line kept, in characters (default 1 MiB = 1,048,576). A longer line is reported to
   * listeners (onReceiverError) and dropped; the receiver skips to the next newline and goes on.
   */
  maxLineLength?: number;
  /** Give up a connection attempt after this many ms and retry (default 10 s; a positive number). */
  connectTimeout?: number;
}

/** How a socket receiver stores what it reads. */
export interface SocketReceiverMode {
  /**
   * Store blocks of whole lines as bytes (LineBlock records, one per chunk read) instead of one
   * string per line: the context turns this on when a worker pool decodes and processes the
   * lines (src/workers). Lines are then checked against maxLineLength (in bytes) only while
   * incomplete, and invalid UTF-8 is replaced where the lines are decoded, not counted.
   */
  lineBlocks?: boolean;
}

export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;
/** The longest timeout node's timers take (2^31 - 1 ms, about 24.8 days). */
const MAX_CONNECT_TIMEOUT = 2 ** 31 - 1;

/** A value as an argument error names it: a string quoted and called one. */
function describeValue(v: unknown): string {
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : String(v);
}

/** What a socket receiver has seen (figures, tests). */
export interface SocketReceiverStats {
  connections: number;
  bytes: number;
  lines: number;
  invalidUtf8Sequences: number;
  overlongLines: number;
  paused: number;
}

/**
 * Spark's SocketReceiver: a TCP client reading UTF-8 text, one record per line. When the server
 * is not up yet, goes away or closes the connection, the receiver restarts (reported to
 * listeners as a receiver error) and connects again with back-off. The socket is paused while
 * stored lines wait for the rate limit or for the write-ahead log, so a fast sender is held
 * back by TCP flow control instead of filling memory.
 */
export class SocketReceiver extends Receiver<string> {
  private socket: net.Socket | undefined;
  private generation = 0;
  private splitter: LineSplitter;
  private unsettledBytes = 0;
  private paused = false;
  private readonly maxLineLength: number;
  private readonly connectTimeout: number;
  /**
   * Pause reading once this many characters were passed to store() and are not stored yet
   * (default 16 Mi). Only the write-ahead log holds stores that long (a block interval and an
   * fsync): this much in flight keeps a receiver with the log near the speed of one without.
   */
  maxUnsettledBytes = 16 * 1024 * 1024;
  private readonly counters = { connections: 0, paused: 0 };
  private readonly lineBlocks: boolean;
  /** Block mode: the incomplete last line read so far, and whether an over-long one is being skipped. */
  private carry: Buffer | undefined;
  private skipping = false;
  /** Block mode: the last read ended with a `\r`, so a `\n` opening the next one belongs to that break. */
  private skipLF = false;

  constructor(
    readonly host: string,
    readonly port: number,
    options: SocketStreamOptions & SocketReceiverMode = {},
  ) {
    super();
    this.lineBlocks = options.lineBlocks ?? false;
    if (typeof host !== 'string' || host === '') {
      throw new TypeError(`socketTextStream(host, port) needs a host name (a non-empty string) first, got ${describeValue(host)}`);
    }
    if (typeof port !== 'number') {
      throw new TypeError(`socketTextStream needs a TCP port (a number, 0-65535), got ${describeValue(port)}`);
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`socketTextStream needs a TCP port (0-65535), got ${String(port)}`);
    }
    const max = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxLineLength must be a positive integer, got ${describeValue(max)}`);
    this.maxLineLength = max;
    const timeout = options.connectTimeout ?? 10_000;
    // Checked here: node's socket.setTimeout would throw at every (re)start, a restart loop.
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0 || timeout > MAX_CONNECT_TIMEOUT) {
      throw new (typeof timeout === 'number' ? RangeError : TypeError)(
        `socketTextStream connectTimeout must be a positive number of milliseconds (at most ${MAX_CONNECT_TIMEOUT}), got ${describeValue(timeout)}`,
      );
    }
    this.connectTimeout = timeout;
    this.splitter = this.newSplitter();
  }

  get stats(): SocketReceiverStats {
    return {
      connections: this.counters.connections,
      bytes: this.splitter.bytes,
      lines: this.splitter.lines,
      invalidUtf8Sequences: this.splitter.invalidSequences,
      overlongLines: this.splitter.overlongLines,
      paused: this.counters.paused,
    };
  }

  private newSplitter(old?: LineSplitter): LineSplitter {
    const s = new LineSplitter({
      maxLineLength: this.maxLineLength,
      onOverlong: (length) => this.reportOverlong(length),
    });
    if (old) {
      s.bytes = old.bytes;
      s.lines = old.lines;
      s.invalidSequences = old.invalidSequences;
      s.overlongLines = old.overlongLines;
    }
    return s;
  }

  onStart(): void {
    const gen = ++this.generation;
    this.splitter.reset();
    this.carry = undefined;
    this.skipping = false;
    this.skipLF = false;
    this.unsettledBytes = 0;
    this.paused = false;
    const socket = net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.setTimeout(this.connectTimeout, () => {
      if (!socket.connecting) return;
      socket.destroy(new Error(`connecting to ${this.host}:${this.port} timed out after ${this.connectTimeout} ms`));
    });
    socket.once('connect', () => {
      socket.setTimeout(0);
      this.counters.connections++;
    });
    socket.on('data', (chunk: Buffer) => {
      if (gen !== this.generation) return;
      // The unsettled bytes count the chunk's size, not a sum over its lines: no loop a line.
      if (this.lineBlocks) this.deliverBlocks(socket, gen, this.cutLines(chunk));
      else this.deliver(socket, gen, this.splitter.push(chunk), chunk.length);
    });
    socket.once('end', () => {
      if (gen !== this.generation) return;
      if (this.lineBlocks) this.deliverBlocks(socket, gen, this.endLines());
      else this.deliver(socket, gen, this.splitter.end());
    });
    socket.once('error', (e) => {
      if (gen !== this.generation || this.isStopped()) return;
      this.restart(`Error receiving data from ${this.host}:${this.port}`, e);
    });
    socket.once('close', (hadError) => {
      if (hadError || gen !== this.generation || this.isStopped()) return;
      this.restart(`Socket data stream had no more data (${this.host}:${this.port} closed the connection)`);
    });
  }

  /**
   * Block mode: the whole lines of `chunk` as blocks — the line begun in earlier chunks (copied
   * together with its end), then the chunk's own whole lines (not copied). Lines longer than
   * maxLineLength are dropped and reported exactly as the LineSplitter of one thread does it (in
   * characters, a line's \r not counted): only a run of bytes longer than the limit can hold
   * such a line, so a chunk shorter than the limit (the default 1 MiB against 64 KiB reads) is
   * not looked into line by line.
   */
  private cutLines(chunk: Buffer): LineBlock[] {
    this.splitter.bytes += chunk.length;
    const blocks: LineBlock[] = [];
    let data = chunk;
    if (this.skipLF) {
      this.skipLF = false;
      if (data[0] === 10) data = data.subarray(1);
    }
    // A lone \r ends a line as \n does (LineSplitter): it becomes one, so the blocks, their line
    // counts and LinesRDD's decoding know \n only.
    this.skipLF = endLinesAtCR(data);
    if (this.skipping || this.carry) {
      const nl = data.indexOf(10);
      if (nl === -1) {
        if (this.carry) data = Buffer.concat([this.carry, data]);
        else return blocks;
      } else {
        if (this.carry) {
          const line = Buffer.concat([this.carry, data.subarray(0, nl + 1)]);
          if (this.fits(line, 0, line.length - 1)) blocks.push(new LineBlock(line, 1));
        }
        this.skipping = false;
        data = data.subarray(nl + 1);
      }
      this.carry = undefined;
    }
    const last = data.lastIndexOf(10);
    const rest = data.subarray(last + 1);
    // As LineSplitter: a partial line over the limit is dropped at once (it never holds a \r: one ends a line).
    const restChars = rest.length > this.maxLineLength ? partialChars(rest) : rest.length;
    if (restChars > this.maxLineLength) {
      this.overlong(restChars);
      this.skipping = true;
    } else if (rest.length > 0) {
      this.carry = Buffer.from(rest); // a copy: the chunk's memory is not kept for it
    }
    if (last !== -1) this.wholeLines(data.subarray(0, last + 1), blocks);
    for (const b of blocks) this.splitter.lines += b.lines;
    return blocks;
  }

  /** Whole lines (`whole` ends with a newline) as blocks, leaving out the lines over maxLineLength. */
  private wholeLines(whole: Buffer, blocks: LineBlock[]): void {
    const push = (from: number, to: number): void => {
      if (to <= from) return;
      const run = whole.subarray(from, to);
      blocks.push(new LineBlock(run, countLines(run)));
    };
    // A line over the limit takes at least limit + 1 bytes and its newline.
    if (whole.length <= this.maxLineLength + 1) return push(0, whole.length);
    let kept = 0;
    for (let start = 0; start < whole.length; ) {
      const nl = whole.indexOf(10, start);
      if (!this.fits(whole, start, nl)) {
        push(kept, start);
        kept = nl + 1;
      }
      start = nl + 1;
    }
    push(kept, whole.length);
  }

  /** Whether the line in bytes [start, nl) of `buf` (nl its newline) is within maxLineLength; reports it when not. */
  private fits(buf: Buffer, start: number, nl: number): boolean {
    const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
    // A character takes one byte or more: only a line of more bytes than the limit needs decoding.
    if (end - start <= this.maxLineLength) return true;
    const chars = buf.toString('utf8', start, end).length;
    if (chars <= this.maxLineLength) return true;
    this.overlong(chars);
    return false;
  }

  private overlong(chars: number): void {
    this.splitter.overlongLines++;
    this.reportOverlong(chars);
  }

  private reportOverlong(chars: number): void {
    this.reportError(
      `Dropped a line longer than maxLineLength (${this.maxLineLength} characters; ${chars} received) from ${this.host}:${this.port}`,
      new RangeError(`line longer than ${this.maxLineLength} characters`),
    );
  }

  /** Block mode, at the end of the stream: the last line when it had no newline. */
  private endLines(): LineBlock[] {
    const rest = this.skipping ? undefined : this.carry;
    this.carry = undefined;
    this.skipping = false;
    if (!rest) return [];
    this.splitter.lines++;
    return [new LineBlock(Buffer.concat([rest, Buffer.from('\n')]), 1)];
  }

  private deliverBlocks(socket: net.Socket, gen: number, blocks: LineBlock[]): void {
    // A block is stored as one record; the receiver's stream turns its blocks into a LinesRDD.
    let bytes = 0;
    for (const b of blocks) bytes += b.bytes.length;
    this.deliver(socket, gen, blocks as unknown as string[], bytes);
  }

  private deliver(socket: net.Socket, gen: number, lines: string[], bytes?: number): void {
    if (lines.length === 0) return;
    let size = bytes ?? 0;
    if (bytes === undefined) for (let i = 0; i < lines.length; i++) size += lines[i]!.length + 1;
    this.unsettledBytes += size;
    const settled = (): void => {
      if (gen !== this.generation) return;
      this.unsettledBytes -= size;
      if (this.paused && !this.storeBacklogged && this.unsettledBytes <= this.maxUnsettledBytes / 2) {
        this.paused = false;
        socket.resume();
      }
    };
    this.store(lines).then(settled, (e: unknown) => {
      settled();
      if (gen === this.generation && !this.isStopped()) this.restart('Could not store received lines', e);
    });
    if (!this.paused && (this.storeBacklogged || this.unsettledBytes > this.maxUnsettledBytes)) {
      this.paused = true;
      this.counters.paused++;
      socket.pause();
    }
  }

  onStop(): void {
    this.generation++;
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
    this.splitter = this.newSplitter(this.splitter);
  }
}

/**
 * Turns each `\r` of `bytes` not followed by `\n` into `\n`, in place (the bytes of a read, the
 * receiver's own): Java's readLine ends a line at a lone `\r`. True when `bytes` ends with a `\r`
 * (turned too): a `\n` opening the next read then belongs to it. Input without `\r` costs one
 * native search.
 */
export function endLinesAtCR(bytes: Buffer): boolean {
  for (let cr = bytes.indexOf(13); cr !== -1; cr = bytes.indexOf(13, cr + 1)) {
    if (cr + 1 === bytes.length) {
      bytes[cr] = 10;
      return true;
    }
    if (bytes[cr + 1] !== 10) bytes[cr] = 10;
  }
  return false;
}

/**
 * The characters of a partial line's bytes, without a multi-byte sequence the read cut short at
 * its end (LineSplitter's decoder holds those back for the next read).
 */
function partialChars(bytes: Buffer): number {
  let end = bytes.length;
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (need > back) end = bytes.length - back;
    break;
  }
  return bytes.toString('utf8', 0, end).length;
}
