import { StringDecoder } from 'node:string_decoder';

const REPLACEMENT_BYTES = Buffer.from([0xef, 0xbf, 0xbd]);

export interface LineSplitterOptions {
  /** Longest line kept, in characters (UTF-16 code units); longer ones are dropped. */
  maxLineLength: number;
  /** Called once per dropped over-long line, with its length (or the length seen when it was dropped). */
  onOverlong: (length: number) => void;
}

/** A line break as Java's BufferedReader.readLine (Spark's socketTextStream) and Hadoop's LineReader read one. */
const LINE_BREAK = /\r\n|\r|\n/;

/**
 * `text` split at its line breaks — `\n`, `\r\n` or a `\r` alone — the text after the last one
 * last (as String.prototype.split: '' when `text` ends with a break). Text without a `\r`, or
 * with `\r` only before `\n` (CRLF text), is split natively at `\n`: only a lone `\r` costs a
 * regular expression.
 */
export function splitAtLineBreaks(text: string): string[] {
  let cr = text.indexOf('\r');
  if (cr === -1) return text.split('\n');
  for (; cr !== -1; cr = text.indexOf('\r', cr + 2)) if (text.charCodeAt(cr + 1) !== 10) return text.split(LINE_BREAK);
  const parts = text.split('\n');
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    if (p.length > 0 && p.charCodeAt(p.length - 1) === 13) parts[i] = p.slice(0, -1);
  }
  return parts;
}

/**
 * Bytes → UTF-8 lines, as Spark's socketTextStream reads them (Java's BufferedReader.readLine):
 * `\n`, `\r\n` or a `\r` alone ends a record; a `\r` ending a chunk ends its line, and a `\n`
 * opening the next chunk is then part of that break. Invalid UTF-8 becomes U+FFFD and is counted, never
 * thrown. A line longer than `maxLineLength` is reported and dropped — the rest of it is skipped
 * up to the next newline without being kept — so memory stays bounded whatever the peer sends.
 */
export class LineSplitter {
  private decoder = new StringDecoder('utf8');
  private partial = '';
  /** Skipping the rest of an over-long line. */
  private discarding = false;
  /** The last text ended with a `\r`: a `\n` opening the next one belongs to that break. */
  private skipLF = false;
  /** Invalid UTF-8 sequences replaced by U+FFFD. */
  invalidSequences = 0;
  overlongLines = 0;
  bytes = 0;
  lines = 0;

  constructor(private readonly opts: LineSplitterOptions) {}

  /** The complete lines of `chunk` (with what was left over from earlier chunks). */
  push(chunk: Buffer): string[] {
    this.bytes += chunk.length;
    const text = this.decoder.write(chunk);
    if (text.length === 0) return [];
    if (text.indexOf('\uFFFD') !== -1) this.countInvalid(text, chunk);
    return this.split(text);
  }

  /** At the end of the stream: the last line when it had no newline. */
  end(): string[] {
    const rest = this.decoder.end();
    const out = rest.length > 0 ? this.split(rest) : [];
    if (rest.indexOf('\uFFFD') !== -1) this.invalidSequences += countChar(rest);
    // A partial line is within the limit (split drops it once it is over).
    if (!this.discarding && this.partial.length > 0) {
      out.push(this.partial);
      this.lines++;
    }
    this.reset();
    return out;
  }

  /** Forget any partial line (a new connection starts clean). */
  reset(): void {
    this.decoder = new StringDecoder('utf8');
    this.partial = '';
    this.discarding = false;
    this.skipLF = false;
  }

  private split(text: string): string[] {
    const max = this.opts.maxLineLength;
    let start = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (text.charCodeAt(0) === 10) start = 1;
    }
    if (this.discarding) {
      const end = firstBreak(text, start);
      if (end === -1) return [];
      this.discarding = false;
      start = end + 1;
      if (text.charCodeAt(end) === 13 && text.charCodeAt(start) === 10) start++;
    }
    const body = start === 0 ? text : text.slice(start);
    if (body.length === 0) {
      this.skipLF = start > 0 && text.charCodeAt(start - 1) === 13;
      return [];
    }
    this.skipLF = body.charCodeAt(body.length - 1) === 13;
    // The native split sizes its array once; a loop of indexOf and push grew it (and its garbage)
    // a line at a time. The last part is what follows the last break.
    const out = splitAtLineBreaks(body);
    const rest = out.pop()!;
    const partial = this.partial;
    if (out.length > 0 && partial.length > 0) {
      out[0] = partial + out[0]!;
      this.partial = '';
    }
    let kept = 0;
    for (let i = 0; i < out.length; i++) {
      const line = out[i]!;
      if (line.length > max) this.overlong(line.length);
      else out[kept++] = line;
    }
    out.length = kept;
    this.lines += kept;
    if (rest.length > 0) {
      const restLen = this.partial.length + rest.length;
      // Over the limit already: dropped now, so memory stays bounded (it holds no \r, which ends a line).
      if (restLen > max) {
        this.partial = '';
        this.discarding = true;
        this.overlong(restLen);
      } else {
        this.partial = this.partial.length === 0 ? rest : this.partial + rest;
      }
    }
    return out;
  }

  private overlong(length: number): void {
    this.overlongLines++;
    this.opts.onOverlong(length);
  }

  /** Replacement characters that were not in the input as U+FFFD itself are invalid sequences. */
  private countInvalid(text: string, chunk: Buffer): void {
    let legit = 0;
    for (let i = chunk.indexOf(REPLACEMENT_BYTES); i !== -1; i = chunk.indexOf(REPLACEMENT_BYTES, i + 3)) legit++;
    this.invalidSequences += Math.max(0, countChar(text) - legit);
  }
}

function countChar(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\uFFFD'); i !== -1; i = s.indexOf('\uFFFD', i + 1)) n++;
  return n;
}

/** The index of the first `\n` or `\r` in `text` from `from`, or -1. */
function firstBreak(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  const cr = text.indexOf('\r', from);
  return nl === -1 ? cr : cr === -1 || nl < cr ? nl : cr;
}
