// Recovery of the receivers' write-ahead log: a batch re-run after a crash holds exactly the
// blocks it held the first time (recorded before its output ran); a damaged segment fails
// recovery naming the file and offset instead of dropping what follows; a job resumed with the
// option off still reads the log the checkpoint's run wrote.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { CheckpointError } from '../../src/util/checkpointErrors.js';
import { DStreamGraph } from '../../src/dstream/index.js';
import {
  encodeRecord,
  FileWriteAheadLog,
  receivedDataDir,
  ReceiverInputDStream,
  type ReceiverEnvironment,
} from '../../src/receivers/index.js';
import { runChild } from '../helpers/child.js';
import { ManualReceiver, tempDir, walChildKilledBeforeFirstBatch } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

const flip = (buf: Buffer, at: number): void => void buf.writeUInt8(buf.readUInt8(at) ^ 0xff, at);

const recs = (from: number, to: number, prefix = 'r'): string[] => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

/** Runs test/receivers/wal-realloc-child.ts until it kills itself; its stdout. */
async function crashedChild(dir: string, mode: 'inside-first' | 'inside-second', commits: 'strict' | 'group'): Promise<string> {
  const run = await runChild('test/receivers/wal-realloc-child.ts', [dir, mode, commits], [], 120_000);
  expect(run.signal, `the child did not crash as planned:\n${run.stdout}\n${run.stderr}`).toBe('SIGKILL');
  expect(run.stdout).toContain('CRASH'); // printed just before it kills itself (a timeout's kill prints nothing)
  return run.stdout;
}

/** Resumes `dir` in this process (the option as given); the records of every batch. */
async function resume(dir: string, wal: boolean, clock: ManualClock): Promise<{ ssc: StreamingContext; got: Map<number, string[]> }> {
  const got = new Map<number, string[]>();
  const ssc = await StreamingContext.getOrCreate(
    dir,
    () => {
      const c = new StreamingContext({ batchDuration: 1000, clock, receiverWriteAheadLog: wal, blockInterval: 20 });
      c.receiverStream(new ManualReceiver<string>()).foreachRDD((rdd, time) => void got.set(time, rdd.collect()));
      return c;
    },
    { log: () => undefined },
  );
  cleanups.push(() => ssc.stop());
  return { ssc, got };
}

/** A receiver input stream driven by hand (no context), as the scheduler and checkpoints would. */
async function handStream(dir: string, wal: boolean): Promise<{ stream: ReceiverInputDStream<string>; receiver: ManualReceiver<string> }> {
  const graph = new DStreamGraph(1000);
  const receiver = new ManualReceiver<string>();
  const env: ReceiverEnvironment = {
    options: { receiverWriteAheadLog: wal, blockInterval: 10 },
    checkpointDir: () => dir,
    now: () => Date.now(),
    post: () => undefined,
  };
  return { stream: new ReceiverInputDStream<string>(graph, receiver, env), receiver };
}

describe('a batch re-run after a crash (receiver with the write-ahead log)', () => {
  for (const commits of ['strict', 'group'] as const) {
    it(`holds exactly the blocks it held the first time, not those logged while it ran (SIGKILL inside its output, ${commits} commits)`, { timeout: 180_000 }, async () => {
      const { dir, remove } = tempDir();
      cleanups.push(remove);
      const out = await crashedChild(dir, 'inside-second', commits);
      expect(out).toContain('BATCH 1000 r0..r99 100');
      expect(out).toContain('BATCH 2000 r100..r199 100');
      const clock = new ManualClock(2000);
      const { ssc, got } = await resume(dir, true, clock);
      await ssc.start();
      expect(ssc.recoveredFrom).toBe(1000);
      await clock.advance(1000);
      await ssc.stop();
      // Batch 2000 again with r100-r199 (an output idempotent by batch time keeps its first
      // write); r200-r299, logged while it ran, in the next batch.
      expect(got.get(2000)).toEqual(recs(100, 200));
      expect(got.get(3000)).toEqual(recs(200, 300));
    });
  }

  it('also when no batch had completed yet (the start record holds the allocation)', { timeout: 180_000 }, async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const out = await crashedChild(dir, 'inside-first', 'strict');
    expect(out).toContain('BATCH 1000 r0..r99 100');
    const clock = new ManualClock();
    const { ssc, got } = await resume(dir, true, clock);
    await ssc.start();
    expect(ssc.recoveredFrom).toBeUndefined();
    await clock.advance(2000);
    await ssc.stop();
    expect(got.get(1000)).toEqual(recs(0, 100));
    expect(got.get(2000)).toEqual(recs(100, 200));
  });

  it('records the allocation only with the log on (no per-batch commit without it)', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const off = await handStream(dir, false);
    expect(off.stream.generatedPosition).toBeUndefined();
    const on = await handStream(dir, true);
    await on.stream.start();
    cleanups.push(() => on.stream.stop());
    await on.receiver.put(['a', 'b']);
    on.stream.compute(1000);
    await on.receiver.put('c');
    on.stream.compute(2000);
    expect(on.stream.generatedPosition!(-Infinity)).toEqual({ position: -1, pending: [[1000, 0, 0], [2000, 1, 1]], wal: true });
  });
});

describe('a damaged receiver write-ahead log segment', () => {
  async function logOf(n: number): Promise<{ dir: string; file: string; buf: Buffer; offsets: number[] }> {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const wal = await FileWriteAheadLog.open<string>(dir, { sync: false });
    for (let i = 0; i < n; i++) await wal.append({ id: i, records: recs(i * 10, i * 10 + 10) });
    await wal.close();
    const [name] = readdirSync(dir);
    const file = path.join(dir, name!);
    const buf = readFileSync(file);
    const offsets: number[] = [];
    for (let off = 0; off < buf.length; off += 8 + buf.readUInt32LE(off)) offsets.push(off);
    return { dir, file, buf, offsets };
  }

  async function openFails(dir: string, file: string, offset: number): Promise<void> {
    const e = await FileWriteAheadLog.open<string>(dir).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as CheckpointError).code).toBe('CORRUPT');
    expect((e as Error).message).toContain(file);
    expect((e as Error).message).toContain(`damaged at byte ${offset}`);
  }

  it('a flipped byte in the 2nd record fails opening the log, naming the file and the offset', async () => {
    const { dir, file, buf, offsets } = await logOf(50);
    flip(buf, offsets[1]! + 8 + 12);
    writeFileSync(file, buf);
    await openFails(dir, file, offsets[1]!);
  });

  it('so does a damaged length field, and a record whose header was zeroed', async () => {
    const a = await logOf(50);
    a.buf.writeUInt32LE(0x7fff0000, a.offsets[3]!);
    writeFileSync(a.file, a.buf);
    await openFails(a.dir, a.file, a.offsets[3]!);
    const b = await logOf(50);
    b.buf.fill(0, b.offsets[7]!, b.offsets[7]! + 8);
    writeFileSync(b.file, b.buf);
    await openFails(b.dir, b.file, b.offsets[7]!);
  });

  it('a torn tail stays tolerated: cut short, zero-filled, or a last record whose bytes did not all reach the disk', async () => {
    const torn = encodeRecord({ id: 50, records: ['never acknowledged'] });
    const cases: Array<(buf: Buffer) => Buffer> = [
      (buf) => Buffer.concat([buf, torn.subarray(0, torn.length - 3)]),
      (buf) => Buffer.concat([buf, torn.subarray(0, 5)]),
      (buf) => Buffer.concat([buf, Buffer.alloc(4096)]),
      (buf) => Buffer.concat([buf, torn.subarray(0, 8), Buffer.alloc(torn.length - 8)]),
    ];
    for (const tear of cases) {
      const { dir, file, buf } = await logOf(50);
      writeFileSync(file, tear(buf));
      const wal = await FileWriteAheadLog.open<string>(dir);
      expect(wal.maxRecoveredId).toBe(49);
      expect((await wal.readAfter(-1)).flatMap((b) => b.records)).toEqual(recs(0, 500));
      await wal.close();
    }
  });

  it('a job resumed over it fails to start with that error, instead of running without the blocks', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const cp = path.join(dir, 'cp');
    const clock = new ManualClock();
    const receiver = new ManualReceiver<string>();
    const run1 = new StreamingContext({ batchDuration: 1000, clock, checkpointDir: cp, receiverWriteAheadLog: true, blockInterval: 20 });
    run1.receiverStream(receiver).foreachRDD(() => undefined);
    await run1.start();
    for (let i = 0; i < 30; i++) await receiver.put(recs(i * 10, i * 10 + 10));
    await run1.stop();
    const logDir = receivedDataDir(cp, 0);
    const file = path.join(logDir, readdirSync(logDir).sort()[0]!);
    const buf = readFileSync(file);
    const second = 8 + buf.readUInt32LE(0);
    flip(buf, second + 8 + 12);
    writeFileSync(file, buf);

    const { ssc, got } = await resume(cp, true, new ManualClock());
    const e = await ssc.start().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect((e as CheckpointError)?.code).toBe('CORRUPT');
    expect((e as Error).message).toContain(`${file} is damaged at byte ${second}`);
    expect(got.size).toBe(0);
  });
});

describe('a job resumed with receiverWriteAheadLog off', () => {
  it('keeps the log on when its checkpoint was written with it on, and reads what the log holds', { timeout: 120_000 }, async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const cp = path.join(dir, 'cp');
    const clock = new ManualClock();
    const receiver = new ManualReceiver<string>();
    const run1 = new StreamingContext({ batchDuration: 1000, clock, checkpointDir: cp, receiverWriteAheadLog: true, blockInterval: 20, overlapCheckpointWrites: false });
    const first: string[] = [];
    run1.receiverStream(receiver).foreachRDD((rdd) => void first.push(...rdd.collect()));
    await run1.start();
    await receiver.put(recs(0, 100));
    await clock.advance(1000);
    expect(first).toEqual(recs(0, 100));
    await receiver.put(recs(100, 300)); // durable in the log, never processed
    await run1.stop();

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { ssc, got } = await resume(cp, false, clock);
    await ssc.start();
    expect(ssc.recoveredFrom).toBe(1000);
    await clock.advance(1000);
    await ssc.stop();
    expect(got.get(2000)).toEqual(recs(100, 300));
    expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/receiverWriteAheadLog/);
  });

  it('reads the log after a SIGKILL before the first batch completed (only a start record in the store)', { timeout: 180_000 }, async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    await walChildKilledBeforeFirstBatch(dir, 1500, cleanups);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const clock = new ManualClock();
    const { ssc, got } = await resume(dir, false, clock);
    await ssc.start();
    await clock.advance(1000);
    await ssc.stop();
    expect(got.get(1000)).toEqual(recs(0, 1500, 'record-'));
  });

  it('reads the log of a checkpoint of an older version (no record of the option) when it holds blocks', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const run1 = await handStream(dir, true);
    await run1.stream.start();
    await run1.receiver.put(['a', 'b']);
    run1.stream.compute(1000);
    await run1.stream.batchHooks.onBatchCompleted(1000, { processingDelay: 1, schedulingDelay: 0 });
    await run1.receiver.put(['c', 'd']);
    const meta = run1.stream.checkpointDelta(1000, false).meta as Record<string, unknown>;
    expect(meta.wal).toBe(true);
    delete meta.wal; // as an older version wrote it
    await run1.stream.stop();

    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const run2 = await handStream(dir, false);
    await run2.stream.restoreCheckpoint({ time: 1000, state: [], slices: [], meta });
    await run2.stream.start();
    cleanups.push(() => run2.stream.stop());
    expect(run2.stream.settings.writeAheadLog).toBe(true);
    await run2.stream.prepareBatch(2000);
    expect(run2.stream.compute(2000).collect()).toEqual(['c', 'd']);
  });
});
