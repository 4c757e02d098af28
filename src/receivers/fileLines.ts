/**
 * A text file's lines, as Hadoop's LineRecordReader reads them (Spark's textFileStream): `\n`,
 * `\r\n` or a `\r` alone ends a line; no empty record after a final line break; a UTF-8
 * byte-order mark opening the file is skipped; invalid UTF-8 becomes U+FFFD.
 *
 * A file of up to PIECE_BYTES is decoded as one string. A larger one is read and decoded in
 * pieces, each cut just after a `\n` (never inside a UTF-8 sequence or a `\r\n`), so that no
 * string outgrows V8's limit (~512 M characters): Hadoop reads a file of any size, and a file the
 * stream cannot read would stop it at every restart.
 */
import { readFileSync, readSync } from 'node:fs';
import { splitAtLineBreaks } from './LineSplitter.js';

const PIECE_BYTES = 64 * 1024 * 1024;

/** `text`, a whole file's, as lines. */
export function splitLines(text: string): string[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return linesOfPiece(text);
}

/** The lines of a piece that ends the file or ends with a `\n`. */
function linesOfPiece(text: string): string[] {
  if (text.length === 0) return [];
  const lines = splitAtLineBreaks(text);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The lines of the first `size` bytes of the open file `fd` (its size when it was opened; `pieceBytes`: tests). */
export function readLines(fd: number, size: number, pieceBytes = PIECE_BYTES): string[] {
  if (size <= pieceBytes) return splitLines(readFileSync(fd, 'utf8'));
  const out: string[] = [];
  let buf = Buffer.allocUnsafe(pieceBytes);
  let held = 0; // bytes at the start of buf after the last `\n` decoded
  let first = true;
  let left = size;
  const emit = (end: number): void => {
    const text = buf.toString('utf8', 0, end);
    const lines = first ? splitLines(text) : linesOfPiece(text);
    first = false;
    for (const line of lines) out.push(line);
  };
  for (;;) {
    // A line longer than the buffer: a larger one (the line itself must still fit in a string).
    if (held === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]);
    const n = left === 0 ? 0 : readSync(fd, buf, held, Math.min(buf.length - held, left), null);
    left -= n;
    const end = held + n;
    if (n === 0) {
      emit(end);
      return out;
    }
    const nl = buf.lastIndexOf(0x0a, end - 1);
    if (nl < 0) {
      held = end;
      continue;
    }
    emit(nl + 1);
    held = buf.copy(buf, 0, nl + 1, end);
  }
}
