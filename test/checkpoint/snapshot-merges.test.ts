// Which way a snapshot merge is made — from the state in memory or from the stored log on the
// merge thread — and that either way the store then holds exactly the state.
import { Level } from 'level';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/CheckpointStore.js';
import { MIN_MERGE_CHANGES, SnapshotMerges } from '../../src/checkpoint/SnapshotMerges.js';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';
import { cleanupTempDirs, snapshotTimes, tempDir } from './helpers.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await cleanupTempDirs();
});

/** mapWithState counting `rows` records a batch, record i of batch t keyed by `keyOf(t, i)`, for `batches` batches. */
async function countingRun(keyOf: (t: number, i: number) => string, rows: number, interval: number, batches: number) {
  SnapshotMerges.minMergeChanges = 0;
  onTestFinished(() => void (SnapshotMerges.minMergeChanges = MIN_MERGE_CHANGES));
  const fromMemory = vi.spyOn(CheckpointStore.prototype, 'writeSnapshot');
  const fromLog = vi.spyOn(CheckpointStore.prototype, 'mergeLog');
  const dir = tempDir();
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  const spec = StateSpec.function((_k: string, v: number | undefined, s: State<number>) => s.update((s.getOption() ?? 0) + (v ?? 0)));
  const counts = ssc.rateStream<[string, number]>({ rowsPerBatch: rows, generate: (t, i) => [keyOf(t, i), 1] }).mapWithState(spec);
  counts.internalStream.checkpoint(interval);
  counts.foreachRDD(() => {});
  await ssc.start();
  for (let b = 0; b < batches; b++) {
    await clock.advance(1000);
    await new Promise((r) => setTimeout(r, 30)); // batches more than GROUP_LINGER_MS apart: each commit counts its own changes at once
  }
  await ssc.stop(); // waits for a merge under way
  const expected = new Map<string, number>();
  for (let t = 1000; t <= batches * 1000; t += 1000) for (let i = 0; i < rows; i++) expected.set(keyOf(t, i), (expected.get(keyOf(t, i)) ?? 0) + 1);
  const store = await CheckpointStore.open(dir);
  const [id] = await store.streamIds();
  const stored = new Map(await store.loadState<string, number>(id!));
  await store.close();
  return { fromMemory: fromMemory.mock.calls.length, fromLog: fromLog.mock.calls.length, snapshots: await snapshotTimes(dir), stored, expected };
}

describe('snapshot merges', () => {
  it('a state whose log is about its own size merges from the stored log, on the merge thread', async () => {
    // 200 keys, 100 of them a batch: two batches change every key once.
    const run = await countingRun((t, i) => `k${((t / 1000) * 100 + i) % 200}`, 100, 2000, 9);
    expect(run.fromLog).toBeGreaterThan(0);
    expect(run.fromMemory).toBe(0);
    expect(run.snapshots.length).toBe(1);
    expect(run.snapshots[0]).toBeGreaterThan(1000); // not the first commit's full copy
    expect(run.stored).toEqual(run.expected);
  });

  it('a small state changing fast (its log many times its keys) merges from memory', async () => {
    // 20 keys, each changed every batch: at 4000 the log holds batches 2-4, three times the keys
    // (the first commit is a full copy).
    const run = await countingRun((_t, i) => `k${i % 20}`, 100, 4000, 10);
    expect(run.fromMemory).toBeGreaterThan(0);
    expect(run.fromLog).toBe(0);
    expect(run.snapshots[0]).toBeGreaterThan(1000);
    expect(run.stored).toEqual(run.expected);
  });

  it('two states due at the same batches take turns: the second in graph order is merged too', async () => {
    SnapshotMerges.minMergeChanges = 0;
    onTestFinished(() => void (SnapshotMerges.minMergeChanges = MIN_MERGE_CHANGES));
    const dir = tempDir();
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc.checkpoint(dir);
    const spec = () => StateSpec.function((_k: string, v: number | undefined, s: State<number>) => s.update((s.getOption() ?? 0) + (v ?? 0)));
    const input = ssc.rateStream<[string, number]>({ rowsPerBatch: 100, generate: (t, i) => [`k${((t / 1000) * 100 + i) % 200}`, 1] });
    const streams = [input.mapWithState(spec()), input.mapWithState(spec())];
    for (const s of streams) {
      s.internalStream.checkpoint(2000);
      s.foreachRDD(() => {});
    }
    const fromMemory = vi.spyOn(CheckpointStore.prototype, 'writeSnapshot');
    const fromLog = vi.spyOn(CheckpointStore.prototype, 'mergeLog');
    const mergedStreams = (): number => new Set([...fromMemory.mock.calls, ...fromLog.mock.calls].map((c) => c[0])).size;
    await ssc.start();
    // Long enough for a few merges (the merge thread's start takes a few hundred ms, seconds on
    // a loaded machine): 30 batches, more until both states began a merge.
    for (let b = 0; b < 30 || (mergedStreams() < 2 && b < 300); b++) {
      await clock.advance(1000);
      await new Promise((r) => setTimeout(r, 50));
    }
    await ssc.stop(); // waits for a merge under way
    const raw = new Level<string, string>(dir);
    const merged = new Map<string, number[]>();
    for (const k of await raw.keys({ gte: 'snap/', lt: 'snap0' }).all()) {
      const [, id, time] = k.split('/');
      const times = merged.get(id!) ?? [];
      if (!times.includes(Number(time))) times.push(Number(time));
      merged.set(id!, times);
    }
    await raw.close();
    // Each state has a snapshot later than its first commit's full copy.
    expect(merged.size).toBe(2);
    for (const times of merged.values()) expect(Math.max(...times)).toBeGreaterThan(1000);
  });
});
