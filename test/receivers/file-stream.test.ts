// textFileStream over a real directory: files moved in during the run are read once each, in
// the batch that found them; files present at start, hidden and temporary files are ignored;
// the processed-file set is the checkpoint position.
import { mkdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { FileInputDStream, splitLines } from '../../src/receivers/index.js';
import { countWords, generatedLines, sleep, sortedEntries, splitWords, tempDir, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Writes a file outside the watched directory and renames it in (atomic, as Spark requires). */
function moveIn(watched: string, staging: string, name: string, lines: string[]): void {
  const tmp = path.join(staging, name);
  writeFileSync(tmp, lines.map((l) => l + '\n').join(''));
  renameSync(tmp, path.join(watched, name));
}

/** A first run (getOrCreate on `cp`) whose output fails in batch 1000, with the file `arrive` moves in after it started. */
async function failInFirstBatch(cp: string, make: (clock: ManualClock) => () => StreamingContext, arrive: () => void): Promise<void> {
  const clock = new ManualClock();
  const ssc = await StreamingContext.getOrCreate(cp, make(clock));
  cleanups.push(() => ssc.stop());
  await ssc.start();
  arrive();
  await clock.advance(1000).catch(() => undefined);
  await expect(ssc.awaitTermination()).rejects.toThrow(/output down/);
}

function dirs(): { watched: string; staging: string } {
  const { dir, remove } = tempDir('dstreams-files-');
  cleanups.push(remove);
  const watched = path.join(dir, 'in');
  const staging = path.join(dir, 'staging');
  mkdirSync(watched);
  mkdirSync(staging);
  return { watched, staging };
}

describe('textFileStream', () => {
  it('counts every line of files added during the run exactly once (real time)', async () => {
    const { watched, staging } = dirs();
    const ssc = new StreamingContext({ batchDuration: 100 });
    cleanups.push(() => ssc.stop());
    const totals = new Map<string, number>();
    let lines = 0;
    const stream = ssc.textFileStream(watched);
    stream.foreachRDD((rdd) => void (lines += rdd.count()));
    stream
      .flatMap(splitWords)
      .map((w): [string, number] => [w, 1])
      .reduceByKey((a, b) => a + b)
      .foreachRDD((rdd) => {
        for (const [w, n] of rdd.collect()) totals.set(w, (totals.get(w) ?? 0) + n);
      });
    await ssc.start();
    const all: string[] = [];
    for (let i = 0; i < 30; i++) {
      const content = generatedLines(200 + i, 100 + i);
      all.push(...content);
      moveIn(watched, staging, `part-${String(i).padStart(3, '0')}.txt`, content);
      await sleep(i % 3 === 0 ? 60 : 5);
    }
    await waitFor(() => lines >= all.length, 'every line');
    await sleep(350); // three more batches: nothing read twice
    await ssc.stop();
    expect(lines).toBe(all.length);
    expect(sortedEntries(totals)).toEqual(sortedEntries(countWords(all)));
  });

  it('puts a file in the batch whose scan found it, one partition per file; ignores files present at start', async () => {
    const { watched, staging } = dirs();
    writeFileSync(path.join(watched, 'old.txt'), 'already here\n');
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const batches: string[][][] = [];
    const numRecords: number[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (i) => void numRecords.push(i.numRecords) });
    ssc.textFileStream(watched).glom().foreachRDD((rdd) => void batches.push(rdd.collect()));
    await ssc.start();
    moveIn(watched, staging, 'a.txt', ['a1', 'a2']);
    await clock.advance(1000);
    await clock.advance(1000);
    moveIn(watched, staging, 'b.txt', ['b1']);
    await sleep(5);
    moveIn(watched, staging, 'c.txt', ['c1', 'c2', 'c3']);
    await clock.advance(1000);
    await ssc.stop();
    expect(batches).toEqual([[['a1', 'a2']], [], [['b1'], ['c1', 'c2', 'c3']]]);
    expect(numRecords).toEqual([2, 0, 4]);
  });

  it('reads the files present at start too with newFilesOnly: false', async () => {
    const { watched } = dirs();
    writeFileSync(path.join(watched, 'old.txt'), 'x\ny\n');
    // Older than the remember window: still read in the first batch when newFilesOnly is false.
    utimesSync(path.join(watched, 'old.txt'), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const got: string[][] = [];
    ssc.textFileStream(watched, { newFilesOnly: false }).foreachRDD((rdd) => void got.push(rdd.collect()));
    await ssc.start();
    await clock.advance(3000);
    expect(got).toEqual([['x', 'y'], [], []]);
  });

  it('ignores hidden and temporary files and what the filter rejects; picks up a temporary file once renamed', async () => {
    const { watched } = dirs();
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const got: string[] = [];
    ssc
      .textFileStream(watched, { filter: (p) => !p.endsWith('.skip') })
      .foreachRDD((rdd) => void got.push(...rdd.collect()));
    await ssc.start();
    writeFileSync(path.join(watched, '.hidden'), 'hidden\n');
    writeFileSync(path.join(watched, 'data.txt._COPYING_'), 'copying\n');
    writeFileSync(path.join(watched, 'data.tmp'), 'tmp\n');
    writeFileSync(path.join(watched, '_SUCCESS'), '');
    writeFileSync(path.join(watched, 'x.skip'), 'skipped\n');
    mkdirSync(path.join(watched, 'subdir'));
    await clock.advance(1000);
    expect(got).toEqual([]);
    renameSync(path.join(watched, 'data.txt._COPYING_'), path.join(watched, 'data.txt'));
    await clock.advance(1000);
    expect(got).toEqual(['copying']);
    // An old file moved in (mv keeps its mtime) is still new: the rename sets its ctime.
    const old = path.join(path.dirname(watched), 'staging', 'old.txt');
    writeFileSync(old, 'moved\n');
    utimesSync(old, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    renameSync(old, path.join(watched, 'old.txt'));
    await clock.advance(1000);
    expect(got).toEqual(['copying', 'moved']);
  });

  it('saves the files read as its checkpoint position and, restored, reads neither them nor the start-up files again', async () => {
    const { watched, staging } = dirs();
    writeFileSync(path.join(watched, 'present-at-start.txt'), 'old\n');
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const s1 = ssc.textFileStream(watched) as FileInputDStream;
    s1.foreachRDD(() => undefined);
    await ssc.start();
    moveIn(watched, staging, 'one.txt', ['1']);
    await clock.advance(1000);
    moveIn(watched, staging, 'two.txt', ['2']);
    const delta = s1.checkpointDelta(1000, false); // batch 1000 completed; two.txt not read yet
    await ssc.stop();
    const files = (delta.meta as { files: [string][] }).files.map((f) => f[0]).sort();
    expect(files).toEqual(['one.txt', 'present-at-start.txt']);

    // A new run restored from that position: two.txt (never processed) and three.txt are read.
    const clock2 = new ManualClock(1000);
    const ssc2 = new StreamingContext({ batchDuration: 1000, clock: clock2 });
    cleanups.push(() => ssc2.stop());
    const s2 = ssc2.textFileStream(watched) as FileInputDStream;
    const got: string[] = [];
    s2.foreachRDD((rdd) => void got.push(...rdd.collect()));
    s2.restoreCheckpoint({ time: 1000, state: [], slices: [], meta: JSON.parse(JSON.stringify(delta.meta)) });
    await ssc2.start();
    moveIn(watched, staging, 'three.txt', ['3']);
    await clock2.advance(1000);
    await ssc2.stop();
    expect(got.sort()).toEqual(['2', '3']);
  });

  it('resumes through getOrCreate: files read before the restart are not read again, files added meanwhile are', async () => {
    const { watched, staging } = dirs();
    const { dir: cp, remove } = tempDir('dstreams-files-cp-');
    cleanups.push(remove);
    const make = (clock: ManualClock, got: string[]) => (): StreamingContext => {
      const c = new StreamingContext({ batchDuration: 1000, clock });
      c.textFileStream(watched).foreachRDD((rdd) => void got.push(...rdd.collect()));
      return c;
    };
    const got1: string[] = [];
    const clock1 = new ManualClock();
    const ssc1 = await StreamingContext.getOrCreate(cp, make(clock1, got1));
    cleanups.push(() => ssc1.stop());
    await ssc1.start();
    moveIn(watched, staging, 'one.txt', ['1a', '1b']);
    await clock1.advance(1000);
    moveIn(watched, staging, 'two.txt', ['2']);
    await clock1.advance(1000);
    await ssc1.stop();
    expect(got1).toEqual(['1a', '1b', '2']);

    moveIn(watched, staging, 'three.txt', ['3']); // while the job is down
    const got2: string[] = [];
    const clock2 = new ManualClock(2000);
    const ssc2 = await StreamingContext.getOrCreate(cp, make(clock2, got2));
    cleanups.push(() => ssc2.stop());
    await ssc2.start();
    expect(ssc2.recoveredFrom).toBe(2000);
    await clock2.advance(1000);
    await ssc2.stop();
    expect(got2).toEqual(['3']);
  });

  it('resumed through getOrCreate after a downtime longer than the remember window, reads the files that came meanwhile', async () => {
    const { watched, staging } = dirs();
    const { dir: cp, remove } = tempDir('dstreams-files-cp-');
    cleanups.push(remove);
    const make = (clock: ManualClock, got: string[]) => (): StreamingContext => {
      const c = new StreamingContext({ batchDuration: 1000, clock });
      c.textFileStream(watched, { minRememberDuration: 100 }).foreachRDD((rdd) => void got.push(...rdd.collect()));
      return c;
    };
    const clock1 = new ManualClock();
    const ssc1 = await StreamingContext.getOrCreate(cp, make(clock1, []));
    cleanups.push(() => ssc1.stop());
    await ssc1.start();
    await clock1.advance(1000);
    await ssc1.stop();
    moveIn(watched, staging, 'while-down.txt', ['down']);
    await sleep(2500); // longer than the window (two batches of 1 s) plus the scan's slack
    const got: string[] = [];
    const clock2 = new ManualClock(1000);
    const ssc2 = await StreamingContext.getOrCreate(cp, make(clock2, got));
    cleanups.push(() => ssc2.stop());
    await ssc2.start();
    await clock2.advance(1000);
    expect(got).toEqual(['down']);
  });

  it('a first run that failed before its first batch completed: getOrCreate reads its batch\'s files again, and still ignores those present at its start', async () => {
    const { watched, staging } = dirs();
    const { dir: cp, remove } = tempDir('dstreams-files-cp-');
    cleanups.push(remove);
    moveIn(watched, staging, 'before.txt', ['old']);
    const make = (clock: ManualClock, got: string[], fail: boolean) => (): StreamingContext => {
      const c = new StreamingContext({ batchDuration: 1000, clock });
      c.textFileStream(watched).foreachRDD((rdd) => {
        const lines = rdd.collect();
        if (fail && lines.length > 0) throw new Error('output down');
        got.push(...lines);
      });
      return c;
    };
    await failInFirstBatch(cp, (clock) => make(clock, [], true), () => moveIn(watched, staging, 'first.txt', ['1']));
    moveIn(watched, staging, 'second.txt', ['2']);
    const got: string[] = [];
    const clock2 = new ManualClock();
    const ssc2 = await StreamingContext.getOrCreate(cp, make(clock2, got, false));
    cleanups.push(() => ssc2.stop());
    expect(ssc2.recoveredFrom).toBeUndefined();
    await ssc2.start();
    await clock2.advance(1000);
    // Batch 1000 runs again with exactly the file it read the first time (the start record
    // holds it); second.txt, which came after, goes to the next batch.
    expect(got).toEqual(['1']);
    await clock2.advance(1000);
    expect(got).toEqual(['1', '2']);
  });

  it('a first run that failed in its first batch, restarted later: that batch runs again at its own time, on the first run\'s grid (its window sees it where it was)', async () => {
    const { watched, staging } = dirs();
    const { dir: cp, remove } = tempDir('dstreams-files-cp-');
    cleanups.push(remove);
    const make = (clock: ManualClock, out: Array<[number, string[]]>, fail: boolean) => (): StreamingContext => {
      const c = new StreamingContext({ batchDuration: 1000, clock });
      c.textFileStream(watched)
        .window(3000, 1000)
        .foreachRDD((rdd, time) => {
          const lines = rdd.collect();
          if (fail && lines.length > 0) throw new Error('output down');
          if (lines.length > 0) out.push([time, lines]);
        });
      return c;
    };
    await failInFirstBatch(cp, (clock) => make(clock, [], true), () => moveIn(watched, staging, 'first.txt', ['1']));
    // The restart comes two batches later: a new grid would put the file in batch 4000.
    const out: Array<[number, string[]]> = [];
    const clock2 = new ManualClock(3000);
    const ssc2 = await StreamingContext.getOrCreate(cp, make(clock2, out, false));
    cleanups.push(() => ssc2.stop());
    expect(ssc2.recoveredFrom).toBeUndefined();
    expect(ssc2.firstRunZeroTime).toBe(0);
    await ssc2.start();
    await clock2.advance(1000);
    expect(out).toEqual([
      [1000, ['1']],
      [2000, ['1']],
      [3000, ['1']],
    ]);
  });

  it('a second crash before a batch completes: the restarted run\'s start record keeps what the first run recorded and adds an input the code gained', async () => {
    const a = dirs();
    const b = dirs();
    const { dir: cp, remove } = tempDir('dstreams-files-cp-');
    cleanups.push(remove);
    const make = (clock: ManualClock, out: string[], withB: boolean, fail: boolean) => (): StreamingContext => {
      const c = new StreamingContext({ batchDuration: 1000, clock });
      c.textFileStream(a.watched).foreachRDD((rdd, t) => {
        const lines = rdd.collect();
        if (lines.length > 0) out.push(`A@${t}=${lines.join(',')}`);
        if (fail && lines.length > 0) throw new Error('output down');
      });
      if (withB) c.textFileStream(b.watched).foreachRDD((rdd, t) => void (rdd.count() > 0 && out.push(`B@${t}=${rdd.collect().join(',')}`)));
      return c;
    };
    const run = async (withB: boolean, fail: boolean, whileUp?: () => void): Promise<string[]> => {
      const out: string[] = [];
      const clock = new ManualClock();
      const ssc = await StreamingContext.getOrCreate(cp, make(clock, out, withB, fail), { log: () => undefined });
      cleanups.push(() => ssc.stop());
      await ssc.start();
      whileUp?.();
      if (fail) {
        await clock.advance(1000).catch(() => undefined);
        await expect(ssc.awaitTermination()).rejects.toThrow(/output down/);
      } else {
        await clock.advance(2000);
        await ssc.stop();
      }
      return out;
    };
    // Run 1 reads a.txt in batch 1000, whose output fails; run 2, whose code also reads B, fails
    // in batch 1000 again, x.txt having come into B while it was up; run 3 works.
    await run(false, true, () => moveIn(a.watched, a.staging, 'a.txt', ['a']));
    expect(await run(true, true, () => moveIn(b.watched, b.staging, 'x.txt', ['x']))).toEqual(['A@1000=a', 'B@1000=x']);
    // Before: run 2 never wrote its start record, so run 3 took x.txt for present at B's start.
    expect(await run(true, false)).toEqual(['A@1000=a', 'B@1000=x']);
  });

  it('a first run seeded from a sink\'s table (resumeFromSink) that failed in its first batch: a plain getOrCreate refuses to re-run it, naming resumeFromSink', async () => {
    const { watched, staging } = dirs();
    const { dir: cp, remove } = tempDir('dstreams-files-cp-');
    cleanups.push(remove);
    const make = (clock: ManualClock, seededFrom?: number) => (): StreamingContext => {
      const c = new StreamingContext({ batchDuration: 1000, clock });
      c.textFileStream(watched).foreachRDD((rdd) => {
        if (rdd.count() > 0) throw new Error('output down');
      });
      // As resumeFromSink marks a run whose state it seeded from the table.
      if (seededFrom !== undefined) c.seededFrom = seededFrom;
      return c;
    };
    await failInFirstBatch(cp, (clock) => make(clock, 42_000), () => moveIn(watched, staging, 'first.txt', ['1']));
    const ssc = await StreamingContext.getOrCreate(cp, make(new ManualClock()));
    cleanups.push(() => ssc.stop());
    expect(ssc.firstRunSeededFrom).toBe(42_000);
    // Before: it re-ran the batch on whatever state create built (counted twice, or the table's results dropped), silently.
    await expect(ssc.start()).rejects.toThrow(/seeded from a sink's table \(results up to batch 42000.*Restart it with resumeFromSink/);
  });

  it('treats a missing directory as empty and reads it once it exists', async () => {
    const { watched, staging } = dirs();
    const later = path.join(watched, 'later');
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const s = ssc.textFileStream(later) as FileInputDStream;
    const got: string[] = [];
    s.foreachRDD((rdd) => void got.push(...rdd.collect()));
    await ssc.start();
    await clock.advance(1000);
    expect((s.lastError as NodeJS.ErrnoException).code).toBe('ENOENT');
    mkdirSync(later);
    moveIn(later, staging, 'f.txt', ['hello']);
    await clock.advance(1000);
    expect(got).toEqual(['hello']);
  });

  it('splits lines as Hadoop does', () => {
    expect(splitLines('')).toEqual([]);
    expect(splitLines('a')).toEqual(['a']);
    expect(splitLines('a\n')).toEqual(['a']);
    expect(splitLines('a\r\n\nb')).toEqual(['a', '', 'b']);
  });

  it('ends a line at a lone \\r too and skips a byte-order mark opening the file, as Hadoop\'s LineRecordReader', () => {
    expect(splitLines('a1\r\na2\rb2\n')).toEqual(['a1', 'a2', 'b2']);
    expect(splitLines('a\r\rb\r')).toEqual(['a', '', 'b']);
    expect(splitLines('\uFEFFbom-line\nsecond\uFEFF\n')).toEqual(['bom-line', 'second\uFEFF']);
    expect(splitLines('\uFEFF')).toEqual([]);
  });
});
