// SocketReceiver's line-block mode (used when a worker pool decodes the lines): the bytes are cut
// at newlines into blocks, and the lines read out of them are the lines the string mode reads —
// lines split across reads, \r\n, a last line without a newline, over-long lines dropped.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { LinesRDD } from '../../src/rdd/LinesRDD.js';
import { SocketReceiver } from '../../src/receivers/index.js';
import { LineServer, recordReceiverEvents, sleep, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Sends `pieces` one write at a time (a pause between, so each is its own read), then closes. */
async function linesOf(pieces: (string | Buffer)[], lineBlocks: boolean, maxLineLength?: number) {
  const server = await LineServer.start();
  cleanups.push(() => server.close());
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  cleanups.push(() => ssc.stop());
  const receiver = new SocketReceiver('127.0.0.1', server.port, { lineBlocks, maxLineLength });
  const events = recordReceiverEvents(ssc);
  const got: string[] = [];
  const kinds: boolean[] = [];
  let counted = 0;
  ssc.addStreamingListener({ onBatchCompleted: (b) => void (counted += b.numRecords) });
  ssc.receiverStream(receiver).foreachRDD((rdd) => {
    kinds.push(rdd instanceof LinesRDD);
    got.push(...rdd.collect());
  });
  await ssc.start();
  await server.waitForConnections(1);
  for (const p of pieces) {
    await server.write(p);
    await sleep(30);
  }
  for (const c of server.clients) c.end();
  await waitFor(() => receiver.stats.bytes >= pieces.reduce((n, p) => n + Buffer.byteLength(p), 0), 'all bytes read');
  await sleep(50);
  await clock.advance(1000);
  return { got, kinds, counted, errors: events.errors.map((e) => e.lastErrorMessage ?? '') };
}

describe('SocketReceiver line blocks', () => {
  const pieces = ['ab', 'c\r', '\nde', 'f\ng', 'h\n\nπ', Buffer.from([0xce]), Buffer.from([0xbb, 0x0a]), 'last'];

  it('reads the same lines as the string mode, split reads, \\r\\n, multi-byte characters and the last line included', async () => {
    const strings = await linesOf(pieces, false);
    const blocks = await linesOf(pieces, true);
    expect(strings.got).toEqual(['abc', 'def', 'gh', '', 'πλ', 'last']);
    expect(blocks.got).toEqual(strings.got);
    expect(blocks.kinds).toEqual([true]);
    expect(blocks.counted).toBe(6);
  });

  it('ends a line at a lone \\r as the string mode does, also a \\r ending a read whose \\n opens the next', async () => {
    const reads = ['a\rb\r', '\nc\r', 'd\r\re\r\n', '\rf', 'g\r'];
    const strings = await linesOf(reads, false);
    const blocks = await linesOf(reads, true);
    expect(strings.got).toEqual(['a', 'b', 'c', 'd', '', 'e', '', 'fg']);
    expect(blocks.got).toEqual(strings.got);
    expect(blocks.counted).toBe(8);
  });

  it('drops a line longer than maxLineLength, reports it and goes on with the next', async () => {
    const r = await linesOf(['short\nwaytoo', 'longline', 'still\nok\n'], true, 8);
    expect(r.got).toEqual(['short', 'ok']);
    expect(r.errors.some((m) => /longer than maxLineLength \(8 characters/.test(m))).toBe(true);
  });

  it('keeps and drops the same lines as the string mode: over-long lines inside one read, lines of more bytes than characters, a \r not counted', async () => {
    const reads = [
      `a\n${'x'.repeat(9)}\nb\n`, // a whole over-long line inside one read
      `${'日'.repeat(8)}\n`, // 24 bytes, 8 characters: kept
      `${'é'.repeat(8)}\r\n`, // 8 characters and a \r: kept
      `${'日'.repeat(9)}\nc\n${'y'.repeat(20)}\nd\n`, // two over-long lines among short ones in one read
      `${'日'.repeat(5)}`, // a partial line of 15 bytes, 5 characters: carried, not dropped
      `${'日'.repeat(3)}\ne\n`, // ... ending at 8 characters
    ];
    const strings = await linesOf(reads, false, 8);
    const blocks = await linesOf(reads, true, 8);
    expect(strings.got).toEqual(['a', 'b', '日'.repeat(8), 'é'.repeat(8), 'c', 'd', '日'.repeat(8), 'e']);
    expect(blocks.got).toEqual(strings.got);
    const dropped = (errors: string[]) => errors.filter((m) => m.startsWith('Dropped')).map((m) => m.replace(/ from .*/, ''));
    expect(dropped(blocks.errors)).toEqual(dropped(strings.errors));
    expect(dropped(blocks.errors)).toEqual([9, 9, 20].map((n) => `Dropped a line longer than maxLineLength (8 characters; ${n} received)`));
  });

  it('drops a read that is one line of maxLineLength + 1 characters, as the string mode does (its newline is not a \r\n)', async () => {
    const reads = ['abcdef\n', 'abcde\n'];
    const strings = await linesOf(reads, false, 5);
    const blocks = await linesOf(reads, true, 5);
    expect(strings.got).toEqual(['abcde']);
    expect(blocks.got).toEqual(strings.got);
    expect(blocks.errors.filter((m) => m.startsWith('Dropped'))).toHaveLength(1);
  });
});
