// Line splitting of socket streams: chunk boundaries, \r\n, over-long lines (reported, dropped,
// memory bounded) and invalid UTF-8 (replacement characters and a counter, never a crash).
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { LineSplitter, SocketReceiver } from '../../src/receivers/index.js';
import { LineServer, recordReceiverEvents, waitFor } from './helpers.js';

function splitter(max = 1000): { s: LineSplitter; overlong: number[] } {
  const overlong: number[] = [];
  return { s: new LineSplitter({ maxLineLength: max, onOverlong: (n) => void overlong.push(n) }), overlong };
}

/** Feeds `bytes` cut at every given offset; returns all lines including the end-of-stream one. */
function feed(s: LineSplitter, bytes: Buffer, cuts: number[]): string[] {
  const out: string[] = [];
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(...s.push(bytes.subarray(prev, c)));
    prev = c;
  }
  out.push(...s.end());
  return out;
}

describe('LineSplitter', () => {
  it('gives the same lines however the bytes are cut into chunks, multi-byte characters included', () => {
    const text = 'héllo wörld\r\nΣωκράτης 🎭 naïve\n\nlast line €';
    const bytes = Buffer.from(text, 'utf8');
    const expected = ['héllo wörld', 'Σωκράτης 🎭 naïve', '', 'last line €'];
    for (let cut = 1; cut < bytes.length; cut++) {
      const { s } = splitter();
      expect(feed(s, bytes, [cut])).toEqual(expected);
    }
    const { s } = splitter();
    expect(feed(s, bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1))).toEqual(expected);
    expect(s.invalidSequences).toBe(0);
  });

  it('handles a \\r\\n split across chunks', () => {
    const { s } = splitter(3);
    expect(feed(s, Buffer.from('abc\r\ndef\r\n'), [4])).toEqual(['abc', 'def']);
    expect(s.overlongLines).toBe(0);
  });

  it('drops over-long lines, reports each once, keeps the lines around them, and holds at most maxLineLength characters', () => {
    const { s, overlong } = splitter(10);
    const long = 'x'.repeat(50_000);
    const bytes = Buffer.from(`short\n${long}\nafter\n0123456789\n01234567890\nend`);
    const cuts: number[] = [];
    for (let i = 3; i < bytes.length; i += 7) cuts.push(i);
    expect(feed(s, bytes, cuts)).toEqual(['short', 'after', '0123456789', 'end']);
    expect(overlong).toHaveLength(2);
    expect(s.overlongLines).toBe(2);
    // Memory: the partial line kept between chunks never grows past the limit.
    const { s: s2 } = splitter(10);
    for (let i = 0; i < 1000; i++) s2.push(Buffer.from('y'.repeat(1000)));
    expect((s2 as unknown as { partial: string }).partial.length).toBeLessThanOrEqual(11);
    expect(s2.overlongLines).toBe(1);
  });

  it('a last line without a newline one character over the limit is dropped too, as it would be with one', () => {
    const { s, overlong } = splitter(3);
    expect(feed(s, Buffer.from('abc\nabcd'), [])).toEqual(['abc']);
    expect(overlong).toEqual([4]);
    const { s: s2 } = splitter(3);
    expect(feed(s2, Buffer.from('abc\nabc\r'), [])).toEqual(['abc', 'abc']);
  });

  it('matches a line-by-line reading of the whole text for any cuts: empty lines, \\r\\n, lines at and over the limit', () => {
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const max = 12;
    const parts: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const len = [0, 1, 5, max - 1, max, max + 1, max + 2, 40, 300][rnd(9)]!;
      parts.push(String(i % 10) + 'x'.repeat(len) + (rnd(3) === 0 ? '\r' : ''));
    }
    const text = parts.join('\n') + (rnd(2) === 0 ? '\n' : '');
    // The reference: every line of the text, its \r stripped, those longer than the limit dropped.
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const stripped = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    const expected = stripped.filter((l) => l.length <= max);
    const bytes = Buffer.from(text);
    for (const step of [1, 3, 17, 256, 4096, bytes.length]) {
      const { s, overlong } = splitter(max);
      const cuts: number[] = [];
      for (let c = step; c < bytes.length; c += step + rnd(5)) cuts.push(c);
      expect(feed(s, bytes, cuts)).toEqual(expected);
      expect(overlong).toHaveLength(stripped.length - expected.length);
    }
  });

  it('ends a line at a lone \\r as Java\'s readLine does, however the bytes are cut (a \\r ending a chunk, its \\n in the next)', () => {
    // Java's BufferedReader.readLine: \n, \r\n or \r ends a line.
    const readLine = (text: string): string[] => {
      const out: string[] = [];
      let cur = '';
      for (let i = 0; i < text.length; i++) {
        const c = text[i]!;
        if (c !== '\n' && c !== '\r') cur += c;
        else {
          out.push(cur);
          cur = '';
          if (c === '\r' && text[i + 1] === '\n') i++;
        }
      }
      if (cur.length > 0) out.push(cur);
      return out;
    };
    const text = 'a\rb\r\nc\n\rd\r\re€\r\r\n\n' + 'x'.repeat(20) + '\rafter long\rlast\r';
    const expected = readLine(text).filter((l) => l.length <= 12);
    expect(expected).toEqual(['a', 'b', 'c', '', 'd', '', 'e€', '', '', 'after long', 'last']);
    const bytes = Buffer.from(text, 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      const { s, overlong } = splitter(12);
      expect(feed(s, bytes, [cut])).toEqual(expected);
      expect(overlong).toHaveLength(1);
    }
    const { s } = splitter(12);
    expect(feed(s, bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1))).toEqual(expected);
  });

  it('replaces invalid UTF-8 with U+FFFD and counts it, but not a real U+FFFD in the input', () => {
    const { s } = splitter();
    const bytes = Buffer.concat([
      Buffer.from('ok '),
      Buffer.from([0xff, 0xfe]), // never valid
      Buffer.from(' mid\nreal \uFFFD char\ntruncated '),
      Buffer.from([0xe2, 0x82]), // a 3-byte sequence cut short by the newline
      Buffer.from('\n'),
    ]);
    const lines = feed(s, bytes, [4, 20]);
    expect(lines).toEqual(['ok \uFFFD\uFFFD mid', 'real \uFFFD char', 'truncated \uFFFD']);
    expect(s.invalidSequences).toBe(3);
  });
});

describe('socketTextStream line limits over a real socket', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('reports an over-long line to listeners, drops it and goes on; invalid UTF-8 never stops the receiver', async () => {
    const server = await LineServer.start();
    cleanups.push(() => server.close());
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const events = recordReceiverEvents(ssc);
    const receiver = new SocketReceiver('127.0.0.1', server.port, { maxLineLength: 100 });
    const got: string[] = [];
    ssc.receiverStream(receiver).foreachRDD((rdd) => void got.push(...rdd.collect()));
    await ssc.start();
    await server.waitForConnections(1);

    await server.write('before\n' + 'z'.repeat(1_000_000) + '\nafter\n');
    await server.write(Buffer.concat([Buffer.from('bad '), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from(' bytes\n')]));
    await server.write('fine\n');
    await waitFor(() => receiver.stats.lines === 4, 'four lines');
    await clock.advance(1000);

    expect(got).toEqual(['before', 'after', 'bad \uFFFD(\uFFFD\uFFFD bytes', 'fine']);
    expect(receiver.stats.overlongLines).toBe(1);
    expect(receiver.stats.invalidUtf8Sequences).toBe(3);
    expect(events.errors).toHaveLength(1);
    expect(events.errors[0]!.lastErrorMessage).toContain('maxLineLength (100 characters');
    expect(events.errors[0]!.active).toBe(true); // reported, not restarted
    expect(receiver.stats.connections).toBe(1);
    expect(receiver.isStarted()).toBe(true);
    await ssc.stop();
  });
});
