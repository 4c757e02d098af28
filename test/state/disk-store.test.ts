// The disk state store (StateSpec.stateStore('disk')) gives the same results as the memory store:
// batch by batch, with evictions from a tiny cache, across a restart; and restarting loads nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/index.js';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';
import type { StateStoreOption } from '../../src/state/stateStore.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'dstreams-disk-state-'));
  dirs.push(d);
  return d;
};

/** Word `i` of batch `t`: 40 words, with tuple keys among them; "stop" words remove their key. */
function batchAt(t: number): [unknown, number][] {
  const out: [unknown, number][] = [];
  let seed = t * 7919 + 1;
  const rand = (m: number): number => (seed = (Math.imul(seed, 48271) + 11) >>> 0) % m;
  for (let i = 0; i < 30; i++) {
    const w = rand(40);
    out.push([w % 5 === 0 ? ['w', w] : `w${w}`, w % 13 === 0 ? -1 : 1]);
  }
  return out;
}

interface Run {
  ssc: StreamingContext;
  clock: ManualClock;
  outputs: Map<number, string[]>;
}

function job(dir: string, store: StateStoreOption): Run {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  const outputs = new Map<number, string[]>();
  const spec = StateSpec.function((_k: unknown, v: number | undefined, st: State<{ n: number }>) => {
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
  ssc
    .rateStream<[unknown, number]>({ rowsPerBatch: 30, generate: (t, i) => batchAt(t)[i]! })
    .mapWithState(spec)
    .foreachRDD((rdd, t) => void outputs.set(t, rdd.collect().map((x) => JSON.stringify(x)).sort()));
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

  it('refuses what it cannot do yet, saying so: a timeout, stateSnapshots()', () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0) });
    const pairs = ssc.queueStream<[string, number]>([]);
    const f = (_k: string, v: number | undefined, st: State<number>) => st.update(v ?? 0);
    expect(() => pairs.mapWithState(StateSpec.function(f).stateStore('disk').timeout(5000))).toThrow(/timeout is not supported with the disk state store/);
    expect(() => pairs.mapWithState(StateSpec.function(f).stateStore('disk')).stateSnapshots()).toThrow(/stateSnapshots\(\) is not supported with the disk state store/);
    expect(() => StateSpec.function(f).stateStore('tape' as never)).toThrow(/'memory', 'disk'/);
  });
});
