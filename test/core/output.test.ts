// Output operations: pprint's exact text, saveAsTextFiles' layout, foreachRDD with async functions.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, StreamingContext, type DStream } from '../../src/index.js';

const RULE = '-'.repeat(43);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A local time on a whole second, as epoch ms, and how pprint must print it. */
const T = new Date(2017, 9, 21, 20, 10, 0).getTime();
const T_TEXT = 'Time: 2017-10-21 20:10:00';

/**
 * Run `batches` through `build` on a context whose first batch is at `T`, and return what
 * console.log printed, as text (each call one line, as console.log writes it).
 */
async function printed<T>(batches: T[][], build: (s: DStream<T>) => void): Promise<string> {
  const clock = new ManualClock(T - 1000);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  build(ssc.queueStream(batches));
  const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await ssc.start();
    await clock.advance(1000 * batches.length);
    await ssc.stop();
    return spy.mock.calls.map((args) => args.map(String).join(' ') + '\n').join('');
  } finally {
    spy.mockRestore();
  }
}

describe('pprint', () => {
  it('prints the book’s format: rule, local time, rule, pairs, “...”, blank line', async () => {
    const counts: [string, number][] = [
      ['and', 11],
      ['laugh', 1],
      ['the', 25],
    ];
    const out = await printed([counts], (s) => s.pprint(2));
    expect(out).toBe(`${RULE}\n${T_TEXT}\n${RULE}\n('and', 11)\n('laugh', 1)\n...\n\n`);
    expect(RULE).toHaveLength(43);
  });

  it('prints at most 10 elements by default and “...” only when there were more', async () => {
    const out = await printed([Array.from({ length: 11 }, (_, i) => i), Array.from({ length: 10 }, (_, i) => i)], (s) =>
      s.pprint(),
    );
    const ten = Array.from({ length: 10 }, (_, i) => `${i}\n`).join('');
    const next = T_TEXT.replace(':00', ':01');
    expect(out).toBe(`${RULE}\n${T_TEXT}\n${RULE}\n${ten}...\n\n${RULE}\n${next}\n${RULE}\n${ten}\n`);
  });

  it('an empty batch prints the header and the blank line', async () => {
    const out = await printed([[]], (s) => s.pprint());
    expect(out).toBe(`${RULE}\n${T_TEXT}\n${RULE}\n\n`);
  });

  it('strings are quoted, other values are JSON, pairs are (key, value)', async () => {
    const out = await printed<unknown>(
      [['word', 42, 1.5, true, null, { a: 1 }, [1, 2, 3], ['k', 'v'], ['k', [1, 'x']], [7, { n: 2 }], "it's"]],
      (s) => s.pprint(20),
    );
    const lines = out.split('\n').slice(3, -2);
    expect(lines).toEqual([
      "'word'",
      '42',
      '1.5',
      'true',
      'null',
      '{"a":1}',
      '[1,2,3]',
      "('k', 'v')",
      `('k', [1,"x"])`,
      '(7, {"n":2})',
      `"it's"`,
    ]);
  });

  it('pprint(0) prints only the header, with “...” when the batch has elements', async () => {
    const out = await printed([[1]], (s) => s.pprint(0));
    expect(out).toBe(`${RULE}\n${T_TEXT}\n${RULE}\n...\n\n`);
  });

  it('the time is local time as YYYY-MM-DD HH:mm:ss (zero-padded)', async () => {
    const t = new Date(2024, 0, 2, 3, 4, 5).getTime();
    const clock = new ManualClock(t - 1000);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc.queueStream([[1]]).pprint();
    const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await ssc.start();
      await clock.advance(1000);
      await ssc.stop();
      expect(String(spy.mock.calls[0]![0])).toContain('\nTime: 2024-01-02 03:04:05\n');
    } finally {
      spy.mockRestore();
    }
  });

  it('takes only what it prints from each batch (num + 1 elements)', async () => {
    let computed = 0;
    await printed([Array.from({ length: 100 }, (_, i) => i)], (s) => s.map((x) => (computed++, x)).pprint(3));
    // take() stops after the partition holding the 4th element: at most the first partition of 50.
    expect(computed).toBeLessThanOrEqual(50);
  });
});

describe('saveAsTextFiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dstreams-save-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes prefix-<timeMs>.suffix/part-NNNNN, one file per partition, one element per line', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const s = ssc.queueStream<unknown>([
      ['a', 'b', 'c', 'd'],
      [1, 2, 3],
      [['word', 3], { x: 1 }],
    ]);
    s.saveAsTextFiles(join(dir, 'out'), 'txt');
    await ssc.start();
    await clock.advance(3000);
    await ssc.stop();

    expect((await readdir(dir)).sort()).toEqual(['out-1000.txt', 'out-2000.txt', 'out-3000.txt']);
    const files = async (d: string): Promise<string[]> => (await readdir(join(dir, d))).filter((f) => f.startsWith('part-')).sort();
    expect(await files('out-1000.txt')).toEqual(['part-00000', 'part-00001']);
    const read = (d: string, f: string): Promise<string> => readFile(join(dir, d, f), 'utf8');
    expect(await read('out-1000.txt', 'part-00000')).toBe('a\nb\n');
    expect(await read('out-1000.txt', 'part-00001')).toBe('c\nd\n');
    expect(await read('out-2000.txt', 'part-00000')).toBe('1\n');
    expect(await read('out-2000.txt', 'part-00001')).toBe('2\n3\n');
    expect(await read('out-3000.txt', 'part-00000')).toBe("('word', 3)\n");
    expect(await read('out-3000.txt', 'part-00001')).toBe('{"x":1}\n');
  });

  it('without a suffix the directory is prefix-<timeMs>; empty partitions give empty part files', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc.queueStream([['x'], []]).repartition(3).saveAsTextFiles(join(dir, 'plain'));
    await ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    expect((await readdir(dir)).sort()).toEqual(['plain-1000', 'plain-2000']);
    const parts = (await readdir(join(dir, 'plain-1000'))).filter((f) => f.startsWith('part-')).sort();
    expect(parts).toEqual(['part-00000', 'part-00001', 'part-00002']);
    const contents = await Promise.all(parts.map((f) => readFile(join(dir, 'plain-1000', f), 'utf8')));
    expect(contents.join('')).toBe('x\n');
    // repartition(3) of an empty batch still has 3 (empty) partitions.
    const empty = (await readdir(join(dir, 'plain-2000'))).filter((f) => f.startsWith('part-')).sort();
    expect(empty).toEqual(['part-00000', 'part-00001', 'part-00002']);
    for (const f of empty) expect(await readFile(join(dir, 'plain-2000', f), 'utf8')).toBe('');
  });

  it('a batch from an empty queue (an RDD of no partitions) gives a directory without part files', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc.queueStream<string>([]).saveAsTextFiles(join(dir, 'none'));
    await ssc.start();
    await clock.advance(1000);
    await ssc.stop();
    expect((await readdir(join(dir, 'none-1000'))).filter((f) => f.startsWith('part-'))).toEqual([]);
  });

  it('a batch run again replaces its directory instead of adding to it', async () => {
    const target = join(dir, 'again-1000');
    const { saveBatch } = await import('../../src/dstream/operators/saveAsTextFiles.js');
    await saveBatch(target, [['a'], ['b'], ['c']]);
    await saveBatch(target, [['x']]);
    expect((await readdir(target)).filter((f) => f.startsWith('part-'))).toEqual(['part-00000']);
    expect(await readFile(join(target, 'part-00000'), 'utf8')).toBe('x\n');
  });

  it('advance resolves only once the files are written', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc.queueStream([Array.from({ length: 1000 }, (_, i) => `line ${i}`)]).saveAsTextFiles(join(dir, 'big'));
    await ssc.start();
    await clock.advance(1000);
    const text = await readFile(join(dir, 'big-1000', 'part-00000'), 'utf8');
    expect(text.split('\n')).toHaveLength(501);
    await ssc.stop();
  });
});

describe('foreachRDD', () => {
  it('gets each batch’s RDD and time; async functions are awaited before the next batch', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const log: string[] = [];
    ssc.queueStream([[1, 2], [3]]).foreachRDD(async (rdd, time) => {
      log.push(`start ${time} ${rdd.collect().join(',')}`);
      await sleep(10);
      await Promise.resolve();
      log.push(`end ${time}`);
    });
    await ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    expect(log).toEqual(['start 1000 1,2', 'end 1000', 'start 2000 3', 'end 2000']);
  });

  it('can use async RDD actions such as foreachPartition with an async function', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const written: number[][] = [];
    ssc.queueStream([[1, 2, 3, 4]]).foreachRDD((rdd) =>
      rdd.foreachPartition(async (part) => {
        await sleep(5);
        written.push(part);
      }),
    );
    await ssc.start();
    await clock.advance(1000);
    expect(written.sort((a, b) => a[0]! - b[0]!)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    await ssc.stop();
  });

  it('the batch waits for the partitions of a foreachPartition whose promise the function dropped, as Spark’s blocking action', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const log: string[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (i) => void log.push(`completed ${i.batchTime}`) });
    ssc.queueStream([[1, 2], [3, 4]]).foreachRDD((rdd, time) => {
      void rdd.foreachPartition(async (part) => {
        await sleep(20);
        log.push(`wrote ${time} ${part.join(',')}`);
      });
      void rdd.foreach(async (x) => {
        await sleep(30);
        log.push(`each ${time} ${x}`);
      });
    });
    await ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    expect(log).toEqual([
      ...['wrote 1000 1', 'wrote 1000 2', 'each 1000 1', 'each 1000 2', 'completed 1000'],
      ...['wrote 2000 3', 'wrote 2000 4', 'each 2000 3', 'each 2000 4', 'completed 2000'],
    ]);
  });

  it('a dropped foreachPartition or foreach whose partition fails fails its batch, not the process', async () => {
    for (const action of ['foreachPartition', 'foreach'] as const) {
      const clock = new ManualClock();
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      const unhandled: unknown[] = [];
      const onUnhandled = (e: unknown): void => void unhandled.push(e);
      process.on('unhandledRejection', onUnhandled);
      const failures: (string | undefined)[] = [];
      ssc.addStreamingListener({ onBatchCompleted: (i) => void failures.push(i.failureReason?.split('\n')[0]) });
      ssc.queueStream([[1, 2], [3, 4]]).foreachRDD((rdd, time) => {
        const write = async (): Promise<void> => {
          await sleep(10);
          if (time === 2000) throw new Error(`sink write failed (${action})`);
        };
        if (action === 'foreachPartition') void rdd.foreachPartition(write);
        else void rdd.foreach(write);
      });
      try {
        await ssc.start();
        await clock.advance(1000);
        await expect(clock.advance(1000)).rejects.toThrow(`sink write failed (${action})`);
        await expect(ssc.awaitTerminationOrTimeout(10)).rejects.toThrow(`sink write failed (${action})`);
        await sleep(20);
        expect(failures).toEqual([undefined, `Error: sink write failed (${action})`]);
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
        await ssc.stop().catch(() => undefined);
      }
    }
  });

  it('a thenable that is not a Promise is awaited too', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    let done = false;
    ssc.queueStream([[1]]).foreachRDD(
      () =>
        ({
          then(resolve: () => void) {
            setTimeout(() => {
              done = true;
              resolve();
            }, 10);
          },
        }) as unknown as Promise<void>,
    );
    await ssc.start();
    await clock.advance(1000);
    expect(done).toBe(true);
    await ssc.stop();
  });
});
