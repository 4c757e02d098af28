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
      // The one character more a partial line may hold was not a \r after all: the line is too long.
      const line = stripCR(this.partial);
      if (line.length > this.opts.maxLineLength) this.overlong(line.length);
      else {
        out.push(line);
        this.lines++;
      }
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
    let start = 0;
    if (this.discarding) {
      const nl = text.indexOf('\n');
      if (nl === -1) return [];
      this.discarding = false;
      start = nl + 1;
    }
    // The native split sizes its array once; a loop of indexOf and push grew it (and its garbage)
    // a line at a time. The last part is what follows the last newline.
    const out = (start === 0 ? text : text.slice(start)).split('\n');
    const rest = out.pop()!;
    const partial = this.partial;
    if (out.length > 0 && partial.length > 0) {
      out[0] = partial + out[0]!;
      this.partial = '';
    }
    let kept = 0;
    for (let i = 0; i < out.length; i++) {
      let line = out[i]!;
      if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      if (line.length > max) this.overlong(line.length);
      else out[kept++] = line;
    }
    out.length = kept;
    this.lines += kept;
    if (rest.length > 0) {
      const restLen = this.partial.length + rest.length;
      // One more character is allowed: it may be the \r of a \r\n split across chunks.
      if (restLen > max + 1) {
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

function stripCR(s: string): string {
  return s.length > 0 && s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s;
}
