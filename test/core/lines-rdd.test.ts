// LinesRDD decodes a block's bytes a piece at a time (DECODE_PIECE, cut after a newline): the
// lines read are the block's lines whatever falls on a piece's edge.
import { describe, expect, it } from 'vitest';
import { countLines, DECODE_PIECE, LineBlock, LinesRDD } from '../../src/rdd/LinesRDD.js';

function linesOf(text: string): string[] {
  const bytes = new TextEncoder().encode(text);
  const rdd = new LinesRDD([[new LineBlock(bytes, countLines(bytes))]]);
  expect(rdd.count()).toBe(text.split('\n').length - 1);
  return rdd.collect();
}

describe('LinesRDD', () => {
  it('reads every line of a block many pieces long, multi-byte characters and \\r\\n on the pieces\' edges', () => {
    const lines: string[] = [];
    // Lines of every length around the piece size, of 1- to 4-byte characters, some ending in \r\n.
    for (let i = 0; lines.join('\n').length < 5 * DECODE_PIECE; i++) {
      const ch = ['a', 'é', '€', '𝄞'][i % 4]!;
      lines.push(`${i}:` + ch.repeat((i * 37) % 700));
    }
    const text = lines.map((l, i) => (i % 3 === 0 ? l + '\r\n' : l + '\n')).join('');
    expect(linesOf(text)).toEqual(lines);
  });

  it('reads a line longer than a piece whole, and the lines around it', () => {
    const long = 'x'.repeat(3 * DECODE_PIECE + 5) + 'ü';
    expect(linesOf(`before\n${long}\nafter\n\n`)).toEqual(['before', long, 'after', '']);
    expect(linesOf(`${long}\r\n`)).toEqual([long]);
  });

  it('reads a line ending exactly at a piece\'s edge', () => {
    const first = 'y'.repeat(DECODE_PIECE - 1);
    expect(linesOf(`${first}\nz\n`)).toEqual([first, 'z']);
    const second = 'y'.repeat(DECODE_PIECE);
    expect(linesOf(`${second}\nz\n`)).toEqual([second, 'z']);
  });
});
