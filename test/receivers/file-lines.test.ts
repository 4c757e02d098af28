// A text file's lines read in pieces (a file too large for one string) are exactly the lines of
// the whole text: pieces cut after a '\n' split no CRLF, no UTF-8 sequence, no line.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLines, splitLines } from '../../src/receivers/fileLines.js';
import { tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function linesInPieces(bytes: Buffer, pieceBytes: number, size = bytes.length): string[] {
  const { dir, remove } = tempDir();
  cleanups.push(remove);
  const file = path.join(dir, 'f.txt');
  writeFileSync(file, bytes);
  const fd = openSync(file, 'r');
  try {
    return readLines(fd, size, pieceBytes);
  } finally {
    closeSync(fd);
  }
}

describe('a file read in pieces', () => {
  it('gives the lines of the whole text, whatever the piece size: CRLF, lone CR, BOM, multibyte, empty lines, invalid UTF-8, a line longer than a piece', () => {
    const text = Buffer.concat([
      Buffer.from('\uFEFFfirst\r\nsecond\rthird\n\n\nλόγος ∑ 😀 line\r\n'),
      Buffer.from([0x61, 0xe2, 0x82, 0x0a]), // a truncated sequence before a '\n'
      Buffer.from('x'.repeat(300) + '\n\uFEFFmid-file BOM is kept\r\n\r\nlast without a break'),
    ]);
    const whole = splitLines(text.toString('utf8'));
    expect(whole[0]).toBe('first');
    expect(whole).toContain('\uFEFFmid-file BOM is kept');
    for (const piece of [1, 2, 3, 7, 16, 64, 299, 301, text.length - 1]) {
      expect(linesInPieces(text, piece), `pieces of ${piece} bytes`).toEqual(whole);
    }
  });

  it('a file ending with line breaks, or a lone CR, gives no extra empty record', () => {
    for (const t of ['a\n', 'a\n\n', 'a\r', 'a\r\n', '\n', 'a\r\rb\r']) {
      const bytes = Buffer.from(t);
      for (const piece of [1, 2]) expect(linesInPieces(bytes, piece), JSON.stringify(t)).toEqual(splitLines(t));
    }
  });

  it('reads only the size the file had when opened (bytes appended since are the next read\'s concern)', () => {
    expect(linesInPieces(Buffer.from('a\nb\nc\n'), 2, 4)).toEqual(['a', 'b']);
  });
});
