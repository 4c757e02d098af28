// mapWithState's checkpoint deltas, taken however the checkpointer takes them, applied one after
// another to a store, always equal a full copy of the state at the same time: one batch at a time,
// groups held for a later take (group commit), batches that fail partway and run again writing
// other keys, a batch's state computed before the batch before it is taken (an action in a
// transform), escaped versions (no in-place writes), restores, an initial state and timeouts.
// A seeded property test: each case runs the same input through two identical streams, one taken
// as deltas, the other asked for full copies.
import { describe, expect, it } from 'vitest';
import { jsonEntry } from '../../src/checkpoint/bulk.js';
import type { SavedStreamCheckpoint, StreamCheckpoint } from '../../src/dstream/Checkpointable.js';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';
import type { StateMaps } from '../../src/state/StateMaps.js';

interface Case {
  timeout?: number;
  /** Chances, per batch: the next batch's state computed first; the batch failing once; its delta held. */
  early: number;
  fail: number;
  hold: number;
  keys: number;
  batches: number;
  initial: boolean;
  parts: number;
}

/** The internal stream's hooks the checkpointer calls. */
interface StateStream {
  checkpointDelta(time: number, full: boolean): StreamCheckpoint | undefined;
  deferDelta(time: number, check: (key: unknown, value: unknown) => boolean): number | undefined;
  keepReadable(time: number): void;
  restoreCheckpoint(saved: SavedStreamCheckpoint): void;
  maps: StateMaps<unknown, unknown>;
  editSeq: number;
}
interface Graph {
  start(time: number): void;
  computeInputs(time: number): void;
  generateJobs(time: number): { run(): Promise<unknown> }[];
  materializeState(time: number): void;
  clearMetadata(time: number): void;
}

const seeded = (seed: number): (() => number) => {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
};

type Seen = { inPlace: number; held: number; failed: number; early: number; restores: number };

/** Runs one case; returns the first difference between the stored deltas and the full copy, if any. */
async function run(seed: number, c: Case, seen: Seen): Promise<string | undefined> {
  const r = seeded(seed);
  const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0), defaultParallelism: c.parts });
  const input: [string, number][][] = [];
  for (let b = 0; b < c.batches + 2; b++) {
    const batch: [string, number][] = [];
    for (let i = Math.floor(r() * 10); i > 0; i--) batch.push([`k${Math.floor(r() * c.keys)}`, r() < 0.08 ? 13 : 1 + Math.floor(r() * 6)]);
    input.push(batch);
  }
  let failing = false;
  let retrying = false;
  const fn = (k: string, v: number | undefined, st: State<number>): string => {
    if (st.isTimingOut()) return `${k} timed out`;
    if (failing && v === 13) throw new Error('boom');
    if (retrying && (k === 'k0' || k === 'k1' || k === 'k2')) return 'skipped on the run again';
    if (v! % 7 === 0) return 'unchanged';
    const n = (st.getOption() ?? 0) + v!;
    if (n % 4 === 0 && st.exists()) st.remove();
    else st.update(n);
    return `${k}=${n}`;
  };
  const spec = (): StateSpec<string, number, number, string> => {
    let s = StateSpec.function(fn);
    if (c.timeout !== undefined) s = s.timeout(c.timeout);
    if (c.initial) s = s.initialState([['k0', 5], ['k1', 6]]);
    return s;
  };
  const q = ssc.queueStream(input);
  const deltas = q.mapWithState(spec());
  const copies = q.mapWithState(spec());
  deltas.foreachRDD((rdd) => void rdd.collect());
  copies.foreachRDD((rdd) => void rdd.collect());
  const a = deltas.internalStream as unknown as StateStream;
  const b = copies.internalStream as unknown as StateStream;
  const graph = (ssc as unknown as { graph: Graph }).graph;
  graph.start(0);

  const store = new Map<string, string>();
  const apply = (d: StreamCheckpoint | undefined): void => {
    if (d?.state === undefined) return;
    const { replace, puts, deletes, flat = [] } = d.state;
    if (replace) store.clear();
    for (const k of deletes) store.delete(String(k));
    for (const [k, v] of puts) store.set(String(k), JSON.stringify(v));
    for (let i = 0; i < flat.length; i += 2) store.set(String(flat[i]), JSON.stringify(flat[i + 1]));
  };
  const differs = (t: number, how: string): string | undefined => {
    const want = new Map<string, string>();
    for (const [k, v] of b.checkpointDelta(t, true)!.state!.puts) want.set(String(k), JSON.stringify(v));
    const diffs: string[] = [];
    for (const [k, v] of want) if (store.get(k) !== v) diffs.push(`${k}: ${v} stored as ${store.get(k)}`);
    for (const [k, v] of store) if (!want.has(k)) diffs.push(`${k}: absent stored as ${v}`);
    return diffs.length > 0 ? `seed ${seed}, ${how} take at ${t}: ${diffs.join('; ')}` : undefined;
  };
  const advance = (t: number): { run(): Promise<unknown> }[] => {
    graph.computeInputs(t);
    const jobs = graph.generateJobs(t);
    failing = r() < c.fail;
    try {
      graph.materializeState(t);
    } catch (e) {
      if ((e as Error).message !== 'boom') throw e;
      seen.failed++;
      // Run again, writing other keys than the failed run did.
      failing = false;
      retrying = true;
      graph.materializeState(t);
    }
    failing = false;
    retrying = false;
    for (const m of a.maps.maps) for (const l of m.prim.values()) if (l.mark === -a.editSeq) seen.inPlace++;
    return jobs;
  };

  let next: { run(): Promise<unknown> }[] | undefined;
  let held = false;
  for (let i = 1; i <= c.batches; i++) {
    const t = i * 1000;
    const jobs = next ?? advance(t);
    next = undefined;
    if (r() < 0.15) a.keepReadable(t);
    for (const j of jobs) await j.run();
    let taken: string | undefined;
    if (i === 1) {
      apply(a.checkpointDelta(t, true));
      taken = 'full';
    } else if (i < c.batches && r() < c.early) {
      next = advance(t + 1000);
      seen.early++;
      apply(a.checkpointDelta(t, false));
      taken = held ? 'group (the next batch computed)' : 'single (the next batch computed)';
      held = false;
    } else if (i < c.batches && r() < c.hold && a.deferDelta(t, jsonEntry) !== undefined) {
      held = true;
      seen.held++;
    } else {
      apply(a.checkpointDelta(t, false));
      taken = held ? 'group' : 'single';
      held = false;
    }
    if (taken !== undefined) {
      const diff = differs(t, taken);
      if (diff !== undefined) return diff;
      if (taken !== 'full' && next === undefined && r() < 0.1) {
        seen.restores++;
        const saved = { time: t, state: [...store].map(([k, v]): [unknown, unknown] => [k, JSON.parse(v)]), slices: [], meta: { stamps: c.timeout !== undefined } };
        a.restoreCheckpoint(saved);
        b.restoreCheckpoint(structuredClone(saved));
      }
    }
    graph.clearMetadata(t);
  }
  return undefined;
}

describe("mapWithState's deltas", () => {
  it.each<[string, Case]>([
    ['held groups', { early: 0, fail: 0, hold: 0.7, keys: 6, batches: 40, initial: false, parts: 2 }],
    ['held groups, failed batches run again', { early: 0, fail: 0.3, hold: 0.7, keys: 6, batches: 40, initial: false, parts: 2 }],
    ['… and the next batch computed before a take, an initial state', { early: 0.3, fail: 0.3, hold: 0.7, keys: 6, batches: 40, initial: true, parts: 2 }],
    ['held groups, a timeout', { timeout: 2000, early: 0, fail: 0, hold: 0.7, keys: 8, batches: 40, initial: false, parts: 2 }],
    ['everything, a timeout, 3 partitions', { timeout: 2000, early: 0.3, fail: 0.3, hold: 0.7, keys: 8, batches: 40, initial: true, parts: 3 }],
    ['long groups, a timeout of one batch, 1 partition', { timeout: 1000, early: 0.2, fail: 0.2, hold: 0.9, keys: 12, batches: 60, initial: false, parts: 1 }],
  ])('applied one after another equal a full copy at every take: %s', async (_name, c) => {
    const seen: Seen = { inPlace: 0, held: 0, failed: 0, early: 0, restores: 0 };
    const diffs: string[] = [];
    for (let s = 1; s <= 40; s++) {
      const diff = await run(s * 7919 + c.keys * 31 + c.parts, c, seen);
      if (diff !== undefined) diffs.push(diff);
    }
    expect(diffs).toEqual([]);
    // What the cases went through (not a vacuous pass).
    expect(seen.inPlace).toBeGreaterThan(0);
    expect(seen.held).toBeGreaterThan(0);
    expect(seen.restores).toBeGreaterThan(0);
    if (c.fail > 0) expect(seen.failed).toBeGreaterThan(0);
    if (c.early > 0) expect(seen.early).toBeGreaterThan(0);
  });
});
