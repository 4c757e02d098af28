// The disk state store (StateSpec.stateStore('disk')) gives the same results as the memory store:
// batch by batch, with evictions from a tiny cache, across a restart; and restarting loads nothing.
// With a timeout, keys time out as in memory (idle index in the store), stateSnapshots() included.
import { describe, expect, it, vi } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/index.js';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';
import type { StateStoreOption } from '../../src/dstream/stateStore.js';
import { tempDirs, wordBatchAt as batchAt } from '../helpers/diskState.js';

const tempDir = tempDirs('dstreams-disk-state-');

/** For timeouts: batch b writes 30 of 40 keys from 11·b on; every third batch only 5 of them. */
function idleBatchAt(t: number): [unknown, number][] {
  const b = t / 1000;
  return Array.from({ length: 30 }, (_, i): [unknown, number] => {
    const w = (b * 11 + (b % 3 === 0 ? i % 5 : i)) % 40;
    return [w % 5 === 0 ? ['w', w] : `w${w}`, w % 13 === 0 && b % 4 === 0 ? -1 : 1];
  });
}

interface Run {
  ssc: StreamingContext;
  clock: ManualClock;
  outputs: Map<number, string[]>;
}

function job(dir: string, store: StateStoreOption, timeout?: number, overlap = false): Run {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock, overlapCheckpointWrites: overlap });
  ssc.checkpoint(dir);
  const outputs = new Map<number, string[]>();
  const spec = StateSpec.function((_k: unknown, v: number | undefined, st: State<{ n: number }>) => {
    if (st.isTimingOut()) return `out:${st.get().n}`;
    if (v === -1) {
      if (st.exists()) st.remove();
      return -1;
    }
    const s = st.getOption() ?? { n: 0 };
    s.n += v ?? 0;
    st.update(s);
    return s.n;
  })
    .stateStore(store)
    .name('counts');
  if (timeout !== undefined) spec.timeout(timeout);
  const input = timeout === undefined ? batchAt : idleBatchAt;
  const mapped = ssc.rateStream<[unknown, number]>({ rowsPerBatch: 30, generate: (t, i) => input(t)[i]! }).mapWithState(spec);
  mapped.foreachRDD((rdd, t) => void outputs.set(t, rdd.collect().map((x) => JSON.stringify(x)).sort()));
  if (timeout !== undefined) {
    mapped.stateSnapshots().foreachRDD((rdd, t) => void outputs.set(-t, rdd.collect().map((x) => JSON.stringify(x)).sort()));
  }
  return { ssc, clock, outputs };
}

async function runBatches(run: Run, n: number): Promise<void> {
  await run.ssc.start();
  await run.clock.advance(n * 1000);
  await run.ssc.stop();
}

describe('mapWithState with the disk state store', () => {
  it.each<[string, StateStoreOption]>([
    ['the default cache', 'disk'],
    ['a cache of 3 keys (evictions every batch)', { type: 'disk', cacheKeys: 3 }],
    ['no cache', { type: 'disk', cacheKeys: 0 }],
  ])('outputs what the memory store outputs, batch by batch, with %s', async (_what, store) => {
    const memory = job(tempDir(), 'memory');
    await runBatches(memory, 12);
    const disk = job(tempDir(), store);
    await runBatches(disk, 12);
    expect(disk.outputs.size).toBe(12);
    expect([...disk.outputs]).toEqual([...memory.outputs]);
  });

  it('keeps its state in the store, key by key: a restart loads nothing and goes on exactly', async () => {
    const memory = job(tempDir(), 'memory');
    await runBatches(memory, 10);

    const dir = tempDir();
    const first = job(dir, { type: 'disk', cacheKeys: 5 });
    await runBatches(first, 6);
    const store = await CheckpointStore.open(dir);
    const stored = await store.loadState('n:counts');
    expect(stored.length).toBeGreaterThan(5);
    expect(await store.countKeyed('n:counts')).toBe(stored.length);
    await store.close();

    const resumed = await StreamingContext.getOrCreate(dir, () => {
      const j = job(dir, { type: 'disk', cacheKeys: 5 });
      Object.assign(first, { next: j });
      return j.ssc;
    });
    const next = (first as unknown as { next: Run }).next;
    let keys: { inMemory: number; onDisk: number } | undefined;
    resumed.addStreamingListener({ onBatchCompleted: (info) => void (keys = info.memory?.stateKeys) });
    const loads = vi.spyOn(CheckpointStore.prototype, 'loadState');
    await resumed.start();
    expect(loads).not.toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(resumed.recoveredFrom).toBe(6000);
    await next.clock.advance(6000 + 4000);
    await resumed.stop();
    expect([...next.outputs.keys()]).toEqual([7000, 8000, 9000, 10000]);
    for (const t of next.outputs.keys()) expect(next.outputs.get(t)).toEqual(memory.outputs.get(t));
    // The listener's figures: keys in the store, and only the cache and the last batches' changes in memory.
    const reopened = await CheckpointStore.open(dir);
    expect(keys!.onDisk).toBe(await reopened.countKeyed('n:counts'));
    await reopened.close();
    expect(keys!.inMemory).toBeLessThanOrEqual(5 + 30 * 2);
  });

  it('refuses a state store it does not know, naming the choices', () => {
    const f = (_k: string, v: number | undefined, st: State<number>) => st.update(v ?? 0);
    expect(() => StateSpec.function(f).stateStore('tape' as never)).toThrow(/'memory', 'disk'/);
  });

  it.each([
    ['commits written before each batch completes', false],
    ['commits overlapping the next batch', true],
  ])('times keys out as the memory store does, across a restart, keeping one idle-index entry per key (%s)', async (_what, overlap) => {
    const memory = job(tempDir(), 'memory', 1500);
    await runBatches(memory, 14);
    expect([...memory.outputs.values()].flat().filter((x) => x.startsWith('"out:')).length).toBeGreaterThan(5);

    const dir = tempDir();
    const first = job(dir, { type: 'disk', cacheKeys: 4 }, 1500, overlap);
    await runBatches(first, 7);
    let next: Run | undefined;
    const resumed = await StreamingContext.getOrCreate(dir, () => (next = job(dir, { type: 'disk', cacheKeys: 4 }, 1500, overlap)).ssc);
    await resumed.start();
    expect(resumed.recoveredFrom).toBe(7000);
    await next!.clock.advance(7000 + 7000);
    await resumed.stop();
    const disk = new Map([...first.outputs, ...next!.outputs]);
    expect([...disk.keys()].sort((a, b) => a - b)).toEqual([...memory.outputs.keys()].sort((a, b) => a - b));
    for (const [t, out] of memory.outputs) expect(disk.get(t), `batch ${t}`).toEqual(out);

    // The store: every key once in the idle index, at its time of last write.
    const store = await CheckpointStore.open(dir);
    try {
      const stored = await store.loadState<unknown, [unknown, number]>('n:counts');
      const idle: string[] = [];
      for await (const flat of store.keyedReader('n:counts').idleBefore(1e12, 100)) {
        for (let i = 0; i < flat.length; i += 2) idle.push(JSON.stringify([flat[i + 1], flat[i]]));
      }
      expect(idle.sort()).toEqual(stored.map(([k, [, t]]) => JSON.stringify([k, t])).sort());
      expect(stored.length).toBe(memory.outputs.get(-14000)!.length);
    } finally {
      await store.close();
    }
  });

  it('times out keys whose commit is written while the idle index is read (in neither the read nor the unwritten changes)', async () => {
    const memory = job(tempDir(), 'memory', 1500);
    await runBatches(memory, 10);
    const run = job(tempDir(), { type: 'disk', cacheKeys: 4 }, 1500, true);
    const internal = (run.ssc as unknown as { graph: { streams: unknown[] } }).graph.streams.find(
      (s) => (s as { constructor: { name: string } }).constructor.name === 'DiskMapWithStateDStream',
    ) as { reader: { idleBefore(b: number, n: number): AsyncIterable<unknown[]> }; changes: { unsettled: Map<unknown, { value?: [unknown, number] }> } };
    // Slow writes: commits lag batches behind (group commit queues up to 4).
    const proto = CheckpointStore.prototype as unknown as { writeGroup(g: unknown): Promise<void> };
    const writeGroup = proto.writeGroup;
    const slow = vi.spyOn(proto, 'writeGroup').mockImplementation(async function (this: unknown, g: unknown) {
      await new Promise((r) => setTimeout(r, 60));
      return writeGroup.call(this, g);
    });
    await run.ssc.start();
    // Each read of the index takes its first chunk (LevelDB's snapshot of that moment), then waits
    // until the commits in flight holding keys old enough to time out are written, then hands over.
    const reader = internal.reader;
    const idleBefore = reader.idleBefore.bind(reader);
    let raced = 0;
    const oldUnsettled = (before: number): boolean => [...internal.changes.unsettled.values()].some((c) => (c.value?.[1] ?? Infinity) < before);
    reader.idleBefore = async function* (before: number, size: number) {
      const it = idleBefore(before, size)[Symbol.asyncIterator]();
      const first = await it.next();
      if (oldUnsettled(before)) raced++;
      for (let i = 0; i < 100 && oldUnsettled(before); i++) await new Promise((r) => setTimeout(r, 5));
      if (!first.done) yield first.value;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    };
    try {
      await run.clock.advance(10_000);
      await run.ssc.stop();
    } finally {
      slow.mockRestore();
    }
    expect(raced, 'reads that raced a commit').toBeGreaterThan(0);
    for (const [t, out] of memory.outputs) expect(run.outputs.get(t), `batch ${t}`).toEqual(out);
  });
});
