import { StringDecoder } from 'node:string_decoder';

const REPLACEMENT_BYTES = Buffer.from([0xef, 0xbf, 0xbd]);

export interface LineSplitterOptions {
  /** Longest line kept, in characters (UTF-16 code units); longer ones are dropped. */
  maxLineLength: number;
  /** Called once per dropped over-long line, with its length (or the length seen when it was dropped). */
  onOverlong: (length: number) => void;
}

/**
 * Bytes → newline-delimited UTF-8 lines, as Spark's socketTextStream reads them: `\n` ends a
 * record and a `\r` before it is stripped. Invalid UTF-8 becomes U+FFFD and is counted, never
 * thrown. A line longer than `maxLineLength` is reported and dropped — the rest of it is skipped
 * up to the next newline without being kept — so memory stays bounded whatever the peer sends.
 */
export class LineSplitter {
  private decoder = new StringDecoder('utf8');
  private partial = '';
  /** Skipping the rest of an over-long line. */
  private discarding = false;
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
    if (!this.discarding && this.partial.length > 0) {
      out.push(stripCR(this.partial));
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
  }

  private split(text: string): string[] {
    const max = this.opts.maxLineLength;
    const out: string[] = [];
    let start = 0;
    if (this.discarding) {
      const nl = text.indexOf('\n');
      if (nl === -1) return out;
      this.discarding = false;
      start = nl + 1;
    }
    let nl = text.indexOf('\n', start);
    if (nl !== -1 && this.partial.length > 0) {
      this.emit(this.partial + text.slice(start, nl), out, max);
      this.partial = '';
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    while (nl !== -1) {
      let end = nl;
      if (end > start && text.charCodeAt(end - 1) === 13) end--;
      if (end - start > max) this.overlong(end - start);
      else {
        out.push(text.slice(start, end));
        this.lines++;
      }
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    if (start < text.length) {
      const restLen = this.partial.length + text.length - start;
      // One more character is allowed: it may be the \r of a \r\n split across chunks.
      if (restLen > max + 1) {
        this.partial = '';
        this.discarding = true;
        this.overlong(restLen);
      } else {
        this.partial = this.partial.length === 0 ? (start === 0 ? text : text.slice(start)) : this.partial + text.slice(start);
      }
    }
    return out;
  }

  private emit(line: string, out: string[], max: number): void {
    const l = stripCR(line);
    if (l.length > max) this.overlong(l.length);
    else {
      out.push(l);
      this.lines++;
    }
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

function stripCR(s: string): string {
  return s.length > 0 && s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s;
}
