// A receiver write-ahead log is read only by a job resumed from its checkpoint (getOrCreate), as
// Spark's ReceivedBlockTracker recovers its log only when the context recovers. A fresh context on
// a directory holding another run's log (killed before any batch completed) refuses to start, as
// it refuses a directory holding a completed batch, instead of replaying those records into its
// first batch — with the option off too, which the log used to turn on.
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { ManualReceiver, tempDir, walChildKilledBeforeFirstBatch } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

const killedBeforeFirstBatch = (dir: string): Promise<void> => walChildKilledBeforeFirstBatch(dir, 1500, cleanups);

function context(clock: ManualClock, wal: boolean, got: Map<number, string[]>): StreamingContext {
  const c = new StreamingContext({ batchDuration: 1000, clock, receiverWriteAheadLog: wal, blockInterval: 20 });
  c.receiverStream(new ManualReceiver<string>()).foreachRDD((rdd, time) => void got.set(time, rdd.collect()));
  return c;
}

it('a fresh context refuses a directory holding a receiver write-ahead log no batch processed; getOrCreate replays it exactly', { timeout: 180_000 }, async () => {
  const { dir, remove } = tempDir();
  cleanups.push(remove);
  await killedBeforeFirstBatch(dir);
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);

  for (const wal of [false, true]) {
    const got = new Map<number, string[]>();
    const fresh = context(new ManualClock(), wal, got);
    fresh.checkpoint(dir);
    cleanups.push(() => fresh.stop());
    await expect(fresh.start(), `receiverWriteAheadLog ${wal}`).rejects.toThrow(
      /holds a receiver write-ahead log .*receivedData.* no checkpoint this context resumes refers to.*getOrCreate/,
    );
    expect(got.size).toBe(0);
  }

  // The run that wrote it resumes and gets every record once.
  const clock = new ManualClock();
  const got = new Map<number, string[]>();
  const ssc = await StreamingContext.getOrCreate(dir, () => context(clock, false, got), { log: () => undefined });
  cleanups.push(() => ssc.stop());
  await ssc.start();
  await clock.advance(1000);
  await clock.advance(1000);
  await ssc.stop();
  expect(got.get(1000)).toEqual(Array.from({ length: 1500 }, (_, i) => `record-${i}`));
  expect(got.get(2000)).toEqual([]);
});

it('getOrCreate over a run killed before it recorded its start (a log, no store) replays the log exactly', { timeout: 180_000 }, async () => {
  const { dir, remove } = tempDir();
  cleanups.push(remove);
  await killedBeforeFirstBatch(dir);
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  // The receivers store before the context writes its start record: a kill between leaves the log alone.
  for (const name of readdirSync(dir)) if (name !== 'receivedData') rmSync(path.join(dir, name), { recursive: true, force: true });

  const clock = new ManualClock();
  const got = new Map<number, string[]>();
  const ssc = await StreamingContext.getOrCreate(dir, () => context(clock, false, got), { log: () => undefined });
  cleanups.push(() => ssc.stop());
  await ssc.start();
  await clock.advance(1000);
  await ssc.stop();
  expect(got.get(1000)).toEqual(Array.from({ length: 1500 }, (_, i) => `record-${i}`));
});
