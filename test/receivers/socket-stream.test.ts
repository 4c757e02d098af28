// socketTextStream over real TCP connections: the netcat wordcount end to end, two sockets and a
// union, a server that is not up yet or restarts mid-stream, receiver events.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext, type DStream } from '../../src/index.js';
import { SocketReceiver } from '../../src/receivers/index.js';
import {
  countWords,
  freePort,
  generatedLines,
  LineServer,
  recordReceiverEvents,
  shakespeareLines,
  sleep,
  sortedEntries,
  splitWords,
  tempDir,
  waitFor,
} from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function wordcount(lines: DStream<string>): DStream<[string, number]> {
  return lines
    .flatMap(splitWords)
    .map((w): [string, number] => [w, 1])
    .reduceByKey((a, b) => a + b);
}

/** Adds every batch's counts into `totals`; returns a getter of the words counted so far. */
function accumulate(stream: DStream<[string, number]>, totals: Map<string, number>): () => number {
  let words = 0;
  stream.foreachRDD((rdd) => {
    for (const [w, n] of rdd.collect()) {
      totals.set(w, (totals.get(w) ?? 0) + n);
      words += n;
    }
  });
  return () => words;
}

describe('socketTextStream', () => {
  it.each([
    ['', false],
    [' with the write-ahead log on', true],
  ])('counts the words of the Shakespeare text sent over a socket exactly as a plain count of the same text%s', async (_, wal) => {
    const lines = shakespeareLines();
    const expected = countWords(lines);
    const expectedWords = [...expected.values()].reduce((a, b) => a + b, 0);
    const server = await LineServer.start();
    cleanups.push(() => server.close());
    let checkpointDir: string | undefined;
    if (wal) {
      const t = tempDir();
      cleanups.push(t.remove);
      checkpointDir = t.dir;
    }

    const ssc = new StreamingContext({ batchDuration: 200, blockInterval: 50, receiverWriteAheadLog: wal, checkpointDir });
    cleanups.push(() => ssc.stop());
    const totals = new Map<string, number>();
    const counted = accumulate(wordcount(ssc.socketTextStream('127.0.0.1', server.port)), totals);
    const batchRecords: number[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (i) => void batchRecords.push(i.numRecords) });
    await ssc.start();
    await server.waitForConnections(1);
    await server.sendLines(lines);
    await waitFor(() => counted() >= expectedWords, `${expectedWords} words counted`, 30_000);
    await sleep(300); // nothing more may arrive
    await ssc.stop();

    expect(counted()).toBe(expectedWords);
    expect(sortedEntries(totals)).toEqual(sortedEntries(expected));
    // numRecords of the batches adds up to the lines sent.
    expect(batchRecords.reduce((a, b) => a + b, 0)).toBe(lines.length);
    expect(batchRecords.filter((n) => n > 0).length).toBeGreaterThan(0);
  });

  it('unions two socket streams (the slides\' receiver model): each line of both servers is counted once', async () => {
    const a = generatedLines(5000, 1);
    const b = generatedLines(7000, 2);
    const s1 = await LineServer.start();
    const s2 = await LineServer.start();
    cleanups.push(() => s1.close(), () => s2.close());
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const r1 = new SocketReceiver('127.0.0.1', s1.port);
    const r2 = new SocketReceiver('127.0.0.1', s2.port);
    const lines1 = ssc.receiverStream(r1);
    const lines2 = ssc.receiverStream(r2);
    const union = lines1.union(lines2);
    const totals = new Map<string, number>();
    accumulate(wordcount(union), totals);
    const firstBatch: string[][] = [];
    union.foreachRDD((rdd) => {
      if (firstBatch.length === 0) firstBatch.push(rdd.collect());
    });
    await ssc.start();
    await Promise.all([s1.waitForConnections(1), s2.waitForConnections(1)]);
    await Promise.all([s1.sendLines(a), s2.sendLines(b)]);
    await waitFor(() => r1.stats.lines === a.length && r2.stats.lines === b.length, 'both receivers to get every line');
    await clock.advance(1000);
    await ssc.stop();
    expect(sortedEntries(totals)).toEqual(sortedEntries(countWords([...a, ...b])));
    // The first stream's partitions come first, in the order the lines were sent.
    expect(firstBatch[0]).toEqual([...a, ...b]);
  });

  it('keeps retrying while the server is not up, reporting each failure, and connects once it is', async () => {
    const port = await freePort();
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock, receiverRestartDelay: 200 });
    cleanups.push(() => ssc.stop());
    const events = recordReceiverEvents(ssc);
    const errorTimes: number[] = [];
    ssc.addStreamingListener({ onReceiverError: () => void errorTimes.push(performance.now()) });
    const totals = new Map<string, number>();
    const receiver = new SocketReceiver('127.0.0.1', port);
    accumulate(wordcount(ssc.receiverStream(receiver)), totals);
    await ssc.start();
    await waitFor(() => events.errors.length >= 3, 'three connection errors');
    const err = events.errors[0]!;
    expect(err.lastErrorMessage).toContain(`127.0.0.1:${port}`);
    expect((err.lastError as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(err.active).toBe(false);
    expect(err.streamId).toBe(0);
    // Back-off: 100 ms, 200 ms, 200 ms … — the errors are spaced, not a busy loop.
    expect(errorTimes[1]! - errorTimes[0]!).toBeGreaterThanOrEqual(90);
    expect(errorTimes[2]! - errorTimes[1]!).toBeGreaterThanOrEqual(190);

    const server = new LineServer(port);
    await server.listen();
    cleanups.push(() => server.close());
    await server.waitForConnections(1);
    await waitFor(() => events.started.length > 0, 'onReceiverStarted');
    const lines = ['to be or not to be', 'that is the question'];
    await server.sendLines(lines);
    await waitFor(() => receiver.stats.lines === lines.length, 'the receiver to get every line');
    await clock.advance(1000);
    expect(sortedEntries(totals)).toEqual(sortedEntries(countWords(lines)));
    await ssc.stop();
    expect(events.stopped).toHaveLength(1);
    expect(events.stopped[0]!.active).toBe(false);
  });

  it('reconnects when the server goes away mid-stream; nothing sent after reconnecting is lost', async () => {
    const server = await LineServer.start();
    cleanups.push(() => server.close());
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock, receiverRestartDelay: 200 });
    cleanups.push(() => ssc.stop());
    const events = recordReceiverEvents(ssc);
    const receiver = new SocketReceiver('127.0.0.1', server.port);
    const totals = new Map<string, number>();
    accumulate(wordcount(ssc.receiverStream(receiver)), totals);
    await ssc.start();
    await server.waitForConnections(1);

    const before = generatedLines(3000, 11);
    await server.sendLines(before);
    await waitFor(() => receiver.stats.lines === before.length, 'the first part');
    await clock.advance(1000);

    // The server goes away (its connections are cut), then comes back on the same port.
    await server.close();
    await waitFor(() => events.errors.length >= 1, 'the receiver to report the lost connection');
    expect(events.errors[0]!.lastErrorMessage).toMatch(/no more data|Error receiving/);
    await sleep(300); // a reconnection attempt or two fail while the server is down
    await server.listen();
    await server.waitForConnections(2);
    await waitFor(() => events.started.length >= 2, 'the receiver to start again');

    const after = generatedLines(4000, 12);
    await server.sendLines(after);
    await waitFor(() => receiver.stats.lines === before.length + after.length, 'the second part');
    await clock.advance(1000);
    await ssc.stop();
    expect(sortedEntries(totals)).toEqual(sortedEntries(countWords([...before, ...after])));
    expect(receiver.stats.connections).toBe(2);
  });

  it('strips \\r before \\n, keeps a last line without newline, and gives every line to exactly one batch', async () => {
    const server = await LineServer.start();
    cleanups.push(() => server.close());
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const receiver = new SocketReceiver('127.0.0.1', server.port);
    const batches: string[][] = [];
    ssc.receiverStream(receiver).foreachRDD((rdd) => void batches.push(rdd.collect()));
    await ssc.start();
    await server.waitForConnections(1);
    await server.write('one\r\ntwo\n\nthr');
    await waitFor(() => receiver.stats.lines === 3, 'three lines');
    await clock.advance(1000);
    await server.write('ee\nfour');
    await waitFor(() => receiver.stats.lines === 4, 'four lines');
    await clock.advance(1000);
    // The server closes: the unterminated last line is a record, as BufferedReader.readLine gives it.
    await server.close();
    await waitFor(() => receiver.stats.lines === 5, 'the last line');
    await clock.advance(1000);
    await ssc.stop();
    expect(batches).toEqual([['one', 'two', ''], ['three'], ['four']]);
  });
});
