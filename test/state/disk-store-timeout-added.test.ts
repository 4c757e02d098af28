// A timeout added to a disk-backed mapWithState at a restart (or added again after a run without
// one): the store's index by time of last write was not kept meanwhile, yet the keys stored before
// time out as in memory, where a key not written since the restored batch counts as written by it.
// Afterwards the index holds every key once, at its time of last write (no stale entry left).
import { describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/index.js';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';
import type { StateStoreOption } from '../../src/dstream/stateStore.js';
import { tempDirs } from '../helpers/diskState.js';

const tempDir = tempDirs('dstreams-disk-timeout-added-');

interface Run {
  ssc: StreamingContext;
  clock: ManualClock;
}

/** Batch t: `live` every batch; `old` in batches 1–2; `k<t mod 6>` besides (keys idle for a while, then written again). */
function wordsAt(t: number): string[] {
  const b = t / 1000;
  return ['live', b <= 2 ? 'old' : 'live', `k${b % 6}`, b % 4 === 0 ? 'k1' : 'live'];
}

function job(dir: string, store: StateStoreOption, timeout: number | undefined, out: string[]): Run {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock, defaultParallelism: 2 });
  ssc.checkpoint(dir);
  const pairs = ssc.rateStream<string>({ rowsPerBatch: 4, generate: (t, i) => wordsAt(t)[i]! }).map((w): [string, number] => [w, 1]);
  const spec = StateSpec.function((k: string, v: number | undefined, s: State<number>) => {
    if (s.isTimingOut()) return `timeout ${k} ${s.get()}`;
    s.update((s.getOption() ?? 0) + (v ?? 0));
    return undefined;
  })
    .name('m')
    .stateStore(store);
  if (timeout !== undefined) spec.timeout(timeout);
  const m = pairs.mapWithState(spec);
  m.foreachRDD((rdd, t) => {
    const got = rdd.collect().filter((x) => x !== undefined).sort();
    if (got.length > 0) out.push(`${t} ${JSON.stringify(got)}`);
  });
  m.stateSnapshots().foreachRDD((rdd, t) => void out.push(`${t} state ${JSON.stringify(rdd.collect().sort())}`));
  return { ssc, clock };
}

/** Runs the job through `runs` (timeout, batches) in turn, restarting from its checkpoint each time; its outputs. */
async function runs(store: StateStoreOption, dir: string, plan: Array<[timeout: number | undefined, batches: number]>): Promise<string[]> {
  const out: string[] = [];
  let upTo = 0;
  for (const [timeout, batches] of plan) {
    let run: Run | undefined;
    const ssc = await StreamingContext.getOrCreate(dir, () => (run = job(dir, store, timeout, out)).ssc, { log: () => undefined });
    await ssc.start();
    upTo += batches * 1000;
    await run!.clock.setTime(upTo);
    await ssc.stop();
  }
  return out;
}

/** The disk store's keys with their time of last write, and its idle index's entries, as [key, time]. */
async function storeAndIndex(dir: string): Promise<{ stored: string[]; indexed: string[] }> {
  const store = await CheckpointStore.open(dir);
  try {
    const stored = (await store.loadState<string, [number, number]>('n:m')).map(([k, [, t]]) => JSON.stringify([k, t]));
    const indexed: string[] = [];
    for await (const flat of store.keyedReader('n:m').idleBefore(1e12, 100)) {
      for (let i = 0; i < flat.length; i += 2) indexed.push(JSON.stringify([flat[i + 1], flat[i]]));
    }
    return { stored: stored.sort(), indexed: indexed.sort() };
  } finally {
    await store.close();
  }
}

describe('a timeout added to a disk-backed mapWithState at a restart', () => {
  it.each<[string, Array<[number | undefined, number]>]>([
    ['added at the restart', [[undefined, 3], [2000, 9]]],
    ['added, then a restart before the old keys time out', [[undefined, 3], [2000, 1], [2000, 8]]],
    ['added again after a run without it (stale index entries)', [[2000, 4], [undefined, 3], [2000, 9]]],
  ])('times the keys stored before out as the memory store does: %s', async (_what, plan) => {
    const memory = await runs('memory', tempDir(), plan);
    expect(memory.join('\n')).toMatch(/timeout old/);
    const dir = tempDir();
    const disk = await runs('disk', dir, plan);
    expect(disk).toEqual(memory);
    const { stored, indexed } = await storeAndIndex(dir);
    expect(indexed).toEqual(stored);
  });
});
