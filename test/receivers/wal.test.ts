// The receivers' write-ahead log: store() resolved ⇒ the block is in the log on disk; blocks
// of unfinished batches are replayed on recovery (also after SIGKILL); the log is cleaned as
// batches complete; torn tails are ignored.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { DStreamGraph } from '../../src/dstream/index.js';
import {
  decodeRecords,
  encodeRecord,
  FileWriteAheadLog,
  receivedDataDir,
  ReceiverInputDStream,
  type ReceiverEnvironment,
} from '../../src/receivers/index.js';
import { ManualReceiver, ROOT, sleep, tempDir, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Every record currently in the log files of `dir`, read straight from the files. */
function recordsOnDisk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    for (const b of decodeRecords<string>(readFileSync(path.join(dir, f))).blocks) out.push(...b.records);
  }
  return out;
}

/** A receiver input stream with the WAL on, driven by hand (no context), as the scheduler and checkpoints would. */
async function walStream(dir: string, start = true, options: Partial<ReceiverEnvironment['options']> = {}): Promise<{
  stream: ReceiverInputDStream<string>;
  receiver: ManualReceiver<string>;
  complete: (time: number) => Promise<void>;
}> {
  const graph = new DStreamGraph(1000);
  const receiver = new ManualReceiver<string>();
  const env: ReceiverEnvironment = {
    options: { receiverWriteAheadLog: true, blockInterval: 10, ...options },
    checkpointDir: () => dir,
    now: () => Date.now(),
    post: () => undefined,
  };
  const stream = new ReceiverInputDStream<string>(graph, receiver, env);
  if (start) await stream.start();
  const complete = (time: number): Promise<void> =>
    stream.batchHooks.onBatchCompleted(time, { processingDelay: 1, schedulingDelay: 0, processingEndTime: time });
  return { stream, receiver, complete };
}

function walContext(dir: string, clock = new ManualClock()): { ssc: StreamingContext; clock: ManualClock } {
  const ssc = new StreamingContext({ batchDuration: 1000, clock, checkpointDir: dir, receiverWriteAheadLog: true, blockInterval: 20 });
  cleanups.push(() => ssc.stop());
  return { ssc, clock };
}

describe('receiver write-ahead log', () => {
  it('needs a checkpoint directory', async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), receiverWriteAheadLog: true });
    ssc.receiverStream(new ManualReceiver<string>()).foreachRDD(() => undefined);
    await expect(ssc.start()).rejects.toThrow(/write-ahead log.*checkpoint/);
  });

  it('resolves store() only once the block is in the log on disk', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const { ssc } = walContext(dir);
    const r = new ManualReceiver<string>();
    ssc.receiverStream(r).foreachRDD(() => undefined);
    await ssc.start();
    const logDir = receivedDataDir(dir, 0);
    const stored: string[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      const batch = [`a${i}`, `b${i}`];
      pending.push(
        r.put(batch).then(() => {
          stored.push(...batch);
          // Whatever resolved is already in the files — read without the log's help.
          const onDisk = new Set(recordsOnDisk(logDir));
          for (const x of stored) if (!onDisk.has(x)) throw new Error(`${x} resolved but is not on disk`);
        }),
      );
      if (i % 10 === 0) await sleep(25);
    }
    await Promise.all(pending);
    expect(recordsOnDisk(logDir)).toEqual(Array.from({ length: 50 }, (_, i) => [`a${i}`, `b${i}`]).flat());
    // Not a string? v8 serialisation instead of JSON: still one record each.
    await ssc.stop();
  });

  it('a store() the rate limit admits in parts rejects when the log write of any of its blocks fails, not only the last', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const { stream, receiver } = await walStream(dir, true, { receiverMaxRate: 10 });
    cleanups.push(() => stream.stop());
    const append = FileWriteAheadLog.prototype.append;
    let appends = 0;
    FileWriteAheadLog.prototype.append = function (this: FileWriteAheadLog<unknown>, block) {
      return ++appends === 1 ? Promise.reject(new Error('disk on fire')) : append.call(this, block);
    } as typeof append;
    cleanups.push(() => void (FileWriteAheadLog.prototype.append = append));
    const items = Array.from({ length: 15 }, (_, i) => `r${i}`);
    await expect(receiver.put(items)).rejects.toThrow('disk on fire');
    expect(appends).toBeGreaterThanOrEqual(2); // the rest went into later blocks
  });

  it('replays on recovery the blocks after the checkpointed position, pending batches into their own batch', async () => {
    // At the level of the input stream, as the checkpoint machinery drives it.
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    // Run 1: batch 1000 completes with a, b; batch 2000 is generated (c) but the "crash" comes
    // before it completes; d, e are stored after that. The checkpoint of batch 1000 is taken
    // when batch 2000 has already been generated (as happens when batches queue up).
    const run1 = await walStream(dir);
    await run1.receiver.put(['a', 'b']);
    expect(run1.stream.compute(1000).collect()).toEqual(['a', 'b']);
    await run1.complete(1000);
    await run1.receiver.put('c');
    expect(run1.stream.compute(2000).collect()).toEqual(['c']);
    const delta = run1.stream.checkpointDelta(1000, false);
    expect(delta.meta).toMatchObject({ pending: [[2000, expect.any(Number), expect.any(Number)]] });
    await run1.receiver.put(['d', 'e']);
    await run1.stream.stop();

    // Run 2: restored to the checkpoint of batch 1000; batch 2000 runs again, then 3000.
    const run2 = await walStream(dir, false);
    await run2.stream.restoreCheckpoint({ time: 1000, state: [], slices: [], meta: JSON.parse(JSON.stringify(delta.meta)) });
    await run2.stream.start();
    await run2.receiver.put('f');
    expect(run2.stream.replayedRecords).toBe(3);
    expect(run2.stream.compute(2000).collect()).toEqual(['c']);
    expect(run2.stream.compute(3000).collect()).toEqual(['d', 'e', 'f']);
    await run2.stream.stop();
  });


  it('re-runs a pending batch that had no block empty, so a second crash loses no pending batch\'s block', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    // Run 1: batch 1000 = [a] runs long; 2000 is generated empty, 3000 = [b]; c is stored after.
    // The checkpoint of batch 1000 is taken then, and the process crashes.
    const run1 = await walStream(dir);
    await run1.receiver.put('a');
    expect(run1.stream.compute(1000).collect()).toEqual(['a']);
    expect(run1.stream.compute(2000).collect()).toEqual([]);
    await run1.receiver.put('b');
    expect(run1.stream.compute(3000).collect()).toEqual(['b']);
    await run1.receiver.put('c');
    await run1.complete(1000);
    const first = JSON.parse(JSON.stringify(run1.stream.checkpointDelta(1000, false).meta));
    run1.stream.checkpointWritten(1000);
    await run1.stream.stop();

    // Run 2: batch 2000 runs again as it was (empty, not c), completes and is checkpointed; crash.
    const run2 = await walStream(dir, false);
    await run2.stream.restoreCheckpoint({ time: 1000, state: [], slices: [], meta: first });
    await run2.stream.start();
    expect(run2.stream.compute(2000).collect()).toEqual([]);
    expect(run2.stream.compute(3000).collect()).toEqual(['b']);
    await run2.complete(2000);
    const second = JSON.parse(JSON.stringify(run2.stream.checkpointDelta(2000, false).meta));
    run2.stream.checkpointWritten(2000);
    await run2.stream.stop();

    // Run 3: batch 3000 still gets b, and c follows.
    const run3 = await walStream(dir, false);
    await run3.stream.restoreCheckpoint({ time: 2000, state: [], slices: [], meta: second });
    await run3.stream.start();
    expect(run3.stream.compute(3000).collect()).toEqual(['b']);
    expect(run3.stream.compute(4000).collect()).toEqual(['c']);
    await run3.stream.stop();
  });
  it('cleans the log as batches complete, and never past the last committed checkpoint position', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const { stream, receiver, complete } = await walStream(dir);
    const logDir = receivedDataDir(dir, stream.id);
    for (let b = 1; b <= 10; b++) {
      await receiver.put([`x${b}`, `y${b}`]);
      stream.compute(b * 1000);
      await complete(b * 1000);
    }
    // Only the last batch's blocks are still there (a batch's blocks go once the next completes).
    expect(recordsOnDisk(logDir)).toEqual(['x10', 'y10']);
    expect(readdirSync(logDir).length).toBe(1);

    // Once checkpoints are taken, a block stays until a checkpoint past it is written
    // (checkpointWritten: group commit writes a batch's commit after it completed, maybe later).
    await receiver.put('z');
    stream.compute(11_000);
    stream.checkpointDelta(10_000, false);
    stream.checkpointWritten(10_000);
    await complete(11_000);
    stream.checkpointDelta(11_000, false); // 11000 (z) queued, not written
    stream.compute(12_000);
    await complete(12_000);
    stream.checkpointDelta(12_000, false); // queued too
    stream.compute(13_000);
    await complete(13_000);
    expect(recordsOnDisk(logDir)).toContain('z');
    stream.checkpointWritten(12_000); // the commits of 11000 (past z) and 12000 written together
    stream.compute(14_000);
    await complete(14_000);
    expect(recordsOnDisk(logDir)).not.toContain('z');
    await stream.stop();
  });

  async function killedChild(dir: string, count: number, mode: 'after-batch' | 'before-batch'): Promise<string> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/receivers/wal-child.ts'), dir, String(count), mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: ROOT,
    });
    const exited = new Promise<string>((r) => child.once('exit', (code, signal) => r(String(signal ?? code))));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    // Starting tsx and fsyncing every block takes long on a busy machine: wait for the line, not a
    // fixed time, and fail at once (with its output) if the child dies first.
    await waitFor(
      () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the child exited (${child.signalCode ?? child.exitCode}) before storing ${count} records:\n${out}\n${err}`);
        return out.includes(`STORED ${count}`);
      },
      `the child to store ${count} records`,
      120_000,
    );
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    return out;
  }

  async function recover(dir: string, clock: ManualClock): Promise<{ ssc: StreamingContext; got: Map<number, string[]> }> {
    const got = new Map<number, string[]>();
    const ssc = await StreamingContext.getOrCreate(dir, () => {
      const c = new StreamingContext({ batchDuration: 1000, clock, receiverWriteAheadLog: true, blockInterval: 20 });
      c.receiverStream(new ManualReceiver<string>()).foreachRDD((rdd, time) => void got.set(time, rdd.collect()));
      return c;
    });
    cleanups.push(() => ssc.stop());
    return { ssc, got };
  }

  const records = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `record-${from + i}`);

  it('loses nothing whose store() resolved when the process is killed with SIGKILL before the batch ran (getOrCreate)', { timeout: 180_000 }, async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    // The child runs batch 1000 (records 0-999, checkpointed), stores 1000-2999 — each
    // store() resolved — then is killed before batch 2000 runs.
    const out = await killedChild(dir, 3000, 'after-batch');
    expect(out).toContain('BATCH 1000 1000');
    const clock = new ManualClock(1000);
    const { ssc, got } = await recover(dir, clock);
    await ssc.start();
    expect(ssc.recoveredFrom).toBe(1000);
    await clock.advance(1000);
    await ssc.stop();
    expect([...got.keys()]).toEqual([2000]);
    expect(got.get(2000)).toEqual(records(1000, 3000));
  });

  it('loses nothing either when the process is killed before its first batch completed (no checkpoint yet)', { timeout: 180_000 }, async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    await killedChild(dir, 1500, 'before-batch');
    const clock = new ManualClock();
    const { ssc, got } = await recover(dir, clock);
    await ssc.start();
    expect(ssc.recoveredFrom).toBeUndefined();
    await clock.advance(1000);
    await ssc.stop();
    expect(got.get(1000)).toEqual(records(0, 1500));
  });

  it('keeps non-string records (v8 serialisation) and ignores a torn tail', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const wal = await FileWriteAheadLog.open<unknown>(dir);
    await wal.append({ id: 0, records: [{ a: 1, when: new Date(5) }, new Map([[1, 2]])] });
    await wal.append({ id: 1, records: ['plain'] });
    await wal.close();
    // A crash in the middle of writing block 2: half a record at the end of the file.
    const [file] = readdirSync(dir);
    const torn = encodeRecord({ id: 2, records: ['never acknowledged'] });
    writeFileSync(path.join(dir, file!), Buffer.concat([readFileSync(path.join(dir, file!)), torn.subarray(0, torn.length - 3)]));
    const again = await FileWriteAheadLog.open<unknown>(dir);
    expect(again.maxRecoveredId).toBe(1);
    const blocks = await again.readAfter(-1);
    expect(blocks.map((b) => b.id)).toEqual([0, 1]);
    expect(blocks[0]!.records).toEqual([{ a: 1, when: new Date(5) }, new Map([[1, 2]])]);
    // New blocks go to a new segment, never after the torn bytes.
    await again.append({ id: 2, records: ['after'] });
    await again.close();
    const reread = await FileWriteAheadLog.open<unknown>(dir);
    expect((await reread.readAfter(-1)).map((b) => b.records)).toEqual([[{ a: 1, when: new Date(5) }, new Map([[1, 2]])], ['plain'], ['after']]);
    await reread.close();
  });
});
