import { RDD, type Push } from './RDD.js';

/**
 * Whole `\n`-terminated UTF-8 lines, kept as the bytes they arrived in: a receiver cuts its
 * input at newlines and stores these instead of decoded strings, so the bytes can move to a
 * worker thread as one transferable buffer and be decoded there (see src/workers).
 */
export class LineBlock {
  constructor(
    /** Complete lines, each ending with `\n` (a `\r` before it is not part of the line). */
    readonly bytes: Uint8Array,
    /** How many lines: the number of `\n` bytes. */
    readonly lines: number,
  ) {}
}

// Keep a U+FEFF at a piece's start, as one thread's StringDecoder (and Java's reader) keeps it.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
/**
 * Bytes decoded at a time, cut after a newline. A piece's text dies young with its lines, in the
 * young generation's pages, already written; a task's whole slice decoded at once was a string of
 * tens of MB in fresh pages, a page fault every 4 KB (~14 us each on the 2-vCPU VM).
 * bench/socket-threads.ts, 2 threads, alternated: worker CPU 2.25-2.32 s for 60 MB against
 * 2.57-2.68 s decoded whole; 64 KB pieces gave about the same, 256 KB less.
 */
export const DECODE_PIECE = 16 * 1024;

/**
 * Each line of `bytes` (whole lines, each ending with `\n`; a trailing `\r` stripped, as
 * socketTextStream reads them), decoded a piece at a time (DECODE_PIECE) and pushed one at a
 * time: no array of the block's lines, so a line dies young once the stage after it has read it
 * (an array of them lived through the whole task and was copied by every scavenge meanwhile:
 * bench/socket-threads.ts, 2 threads 2.47-2.63 s of worker CPU for 60 MB before, 2.25-2.28 s
 * after).
 */
function forEachLine(bytes: Uint8Array, push: Push<string>): void {
  for (let from = 0; from < bytes.length; ) {
    // Up to the last newline within DECODE_PIECE bytes (a line longer than that: up to its end).
    let to = from + DECODE_PIECE >= bytes.length ? bytes.length : bytes.lastIndexOf(10, from + DECODE_PIECE - 1) + 1;
    if (to <= from) to = bytes.indexOf(10, from + DECODE_PIECE) + 1 || bytes.length;
    const text = utf8.decode(bytes.subarray(from, to));
    from = to;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      push(text.slice(start, end));
      start = nl + 1;
    }
  }
}

/** The number of lines in `bytes`: its `\n` bytes, counted four at a time. */
export function countLines(bytes: Uint8Array): number {
  const end = bytes.length;
  const offset = bytes.byteOffset;
  let n = 0;
  let i = 0;
  for (; i < end && ((offset + i) & 3) !== 0; i++) if (bytes[i] === 10) n++;
  const words = (end - i) >>> 2;
  if (words > 0) {
    const w = new Uint32Array(bytes.buffer, offset + i, words);
    for (let j = 0; j < words; j++) {
      const x = w[j]! ^ 0x0a0a0a0a; // a zero byte where the byte was '\n'
      const nonZero = ((((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080) >>> 7; // 1 in each non-zero byte
      n += 4 - (Math.imul(nonZero, 0x01010101) >>> 24);
    }
    i += words * 4;
  }
  for (; i < end; i++) if (bytes[i] === 10) n++;
  return n;
}

/** An RDD of text lines whose partitions are line blocks, decoded where they are read. */
export class LinesRDD extends RDD<string> {
  readonly numPartitions: number;
  constructor(readonly blocks: readonly (readonly LineBlock[])[]) {
    super();
    this.numPartitions = blocks.length;
  }

  protected compute(i: number, push: Push<string>): void {
    for (const block of this.blocks[i]!) forEachLine(block.bytes, push);
  }

  override count(): number {
    let n = 0;
    for (const part of this.blocks) for (const b of part) n += b.lines;
    return n;
  }
}
