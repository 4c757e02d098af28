// Incremental checkpoints of the state streams: what checkpointDelta writes, and that restoring
// what the deltas built reproduces the same later outputs.
import { describe, expect, it } from 'vitest';
import type { Checkpointable, StreamCheckpoint } from '../../src/dstream/Checkpointable.js';
import { StateSpec, type DStream, type State, type StreamingContext } from '../../src/index.js';
import { Appender } from '../../src/state/Appender.js';
import { ChangeLog, type Changes, type StoredChanges } from '../../src/state/ChangeLog.js';
import type { StateDStream } from '../../src/state/updateStateByKey.js';
import {
  collect,
  copyInput,
  expectBatchSets,
  FakeStateStore,
  manualDriver,
  testContext,
  type Collected,
} from './helpers.js';

/** A deterministic input: 16 batches of words from a small vocabulary, some words idle for a while. */
function generatedInput(): string[][] {
  let seed = 42;
  const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const vocabulary = Array.from({ length: 14 }, (_, i) => `w${i}`);
  return Array.from({ length: 16 }, (_, b) =>
    Array.from({ length: 3 + Math.floor(rand() * 6) }, () => vocabulary[Math.floor(rand() * (b % 4 === 3 ? 4 : 14))]!),
  );
}

interface Graph {
  outputs: Collected<unknown>[];
  stateful: Checkpointable;
}

/** Runs `define` over `input` from `startTime`, optionally restoring first; checkpoints after every batch. */
async function runWithCheckpoints(
  define: (ssc: StreamingContext, lines: DStream<string>) => Graph,
  input: string[][],
  options: {
    startTime?: number;
    restore?: ReturnType<FakeStateStore['saved']>;
    store: FakeStateStore;
    fullEvery: number;
    saveAt?: number;
  },
): Promise<{ outputs: unknown[][][]; saved?: ReturnType<FakeStateStore['saved']> }> {
  const ctx = testContext({ checkpoint: false });
  let saved: ReturnType<FakeStateStore['saved']> | undefined;
  const graph = define(ctx.ssc, ctx.ssc.queueStream(copyInput(input)));
  if (options.restore) graph.stateful.restoreCheckpoint(options.restore);
  const driver = manualDriver(ctx.ssc, options.startTime ?? 0, (time) => {
    options.store.apply(graph.stateful.checkpointDelta(time, (time / 1000) % options.fullEvery === 0));
    if (time === options.saveAt) saved = options.store.saved(time);
  });
  await driver.run(input.length);
  await ctx.close();
  return { outputs: graph.outputs.map((o) => o.outputs), saved };
}

const RESTORE_AT = 7000;

async function roundTrip(define: (ssc: StreamingContext, lines: DStream<string>) => Graph): Promise<unknown[][][]> {
  const input = generatedInput();
  const storeA = new FakeStateStore();
  const a = await runWithCheckpoints(define, input, { store: storeA, fullEvery: 5, saveAt: RESTORE_AT });
  expect(a.saved).toBeDefined();
  // Mostly incremental: only a few of the 16 commits are full copies (the first, then every 5th batch).
  expect(storeA.fullCommits).toBeLessThanOrEqual(5);

  // A new context resumes from the checkpoint of batch 7000 with the batches after it.
  const storeB = new FakeStateStore();
  storeB.apply({ state: { replace: true, puts: [...a.saved!.state] as [unknown, unknown][], deletes: [] } });
  const b = await runWithCheckpoints(define, input.slice(RESTORE_AT / 1000), {
    startTime: RESTORE_AT,
    restore: a.saved,
    store: storeB,
    fullEvery: 1000,
  });
  for (let i = 0; i < a.outputs.length; i++) {
    expectBatchSets(b.outputs[i]!, a.outputs[i]!.slice(RESTORE_AT / 1000));
  }
  // The restored run's own deltas, applied to the restored store, end where the first run's did.
  expect(sortEntries(storeB.saved(0).state)).toEqual(sortEntries(storeA.saved(0).state));
  return a.outputs;
}

function sortEntries(state: Iterable<[unknown, unknown]>): [unknown, unknown][] {
  return [...state].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
}

describe('checkpoint delta + restore round trip', () => {
  it('mapWithState (updates, removals, timeouts, object states, initial state)', async () => {
    const outputs = await roundTrip((ssc, lines) => {
      const mapped = lines
        .map((w): [string, number] => [w, 1])
        .mapWithState(
          StateSpec.function((word: string, one: number | undefined, state: State<{ n: number; hist: number[] }>) => {
            if (state.isTimingOut()) return `${word} timed out at ${state.get().n}`;
            const s = state.getOption() ?? { n: 0, hist: [] };
            s.n += one!;
            s.hist.push(s.n);
            if (s.n >= 6) {
              state.remove();
              return `${word} removed`;
            }
            state.update(s);
            return `${word}=${s.n}`;
          })
            .timeout(3000)
            .initialState([['w0', { n: 2, hist: [] }], ['zz', { n: 1, hist: [] }]]),
        );
      const outputs = [collect(mapped as DStream<unknown>), collect(mapped.stateSnapshots() as DStream<unknown>)];
      return { outputs, stateful: mapped.internalStream };
    });
    // The batches after the restore point do exercise removals and timeouts.
    const later = outputs[0]!.slice(RESTORE_AT / 1000).flat() as string[];
    expect(later.some((m) => m.endsWith('removed'))).toBe(true);
    expect(later.some((m) => m.includes('timed out'))).toBe(true);
  });

  it('updateStateByKey (updates, removals, object states, initial state)', async () => {
    await roundTrip((ssc, lines) => {
      const state = lines
        .map((w): [string, number] => [w, 1])
        .updateStateByKey(
          (values: number[], s: { n: number; idle: number } | undefined) => {
            const next = s ?? { n: 0, idle: 0 };
            if (values.length === 0) next.idle++;
            else next.idle = 0;
            next.n += values.length;
            return next.idle >= 3 || next.n >= 7 ? undefined : next;
          },
          { initialRDD: [['w1', { n: 3, idle: 0 }]] },
        );
      return { outputs: [collect(state as DStream<unknown>)], stateful: state as unknown as StateDStream<string, number, unknown> };
    });
  });
});

describe('restoreCheckpoint', () => {
  it('restored state is the batch of the checkpoint; earlier batches no longer exist', async () => {
    const ctx = testContext({ checkpoint: false });
    const mapped = ctx.ssc
      .queueStream<[string, number]>([[['a', 1]]])
      .mapWithState(
        StateSpec.function((k: string, v: number | undefined, state: State<number>) => {
          state.update((state.getOption() ?? 0) + v!);
          return state.get();
        }).initialState([['ignored', 1]]), // a restored stream does not load its initial state
      );
    const snaps = mapped.stateSnapshots();
    const out = collect(mapped);
    const seen = collect(snaps);
    ctx.ssc.remember(3000); // the restored batch is read below, two batches later
    mapped.internalStream.restoreCheckpoint({ time: 5000, state: [['a', [4, 5000]], ['b', [1, 3000]]], slices: [], meta: undefined });
    // A recovered context keeps its original zero time and goes on after the checkpoint's batch.
    await manualDriver(ctx.ssc, 3000, undefined, 6000).run(2);
    expect(out.outputs).toEqual([[5], []]);
    expectBatchSets(seen.outputs, [[['a', 5], ['b', 1]], [['a', 5], ['b', 1]]]);
    expectBatchSets([snaps.getOrCompute(5000)!.collect()], [[['a', 4], ['b', 1]]]);
    expect(snaps.getOrCompute(4000)).toBeUndefined(); // before the checkpoint: gone
    expect(mapped.internalStream.getOrCompute(4000)).toBeUndefined();
    expect(() => mapped.internalStream.restoreCheckpoint({ time: 1, state: [['x', 3]], slices: [], meta: undefined })).toThrow(
      /malformed/,
    );
  });
});

describe('remembered versions', () => {
  it('a state stream remembers its versions one batch unless a reader asks for more, not two checkpoint intervals', async () => {
    const ctx = testContext();
    const counts = ctx.ssc
      .queueStream<[string, number]>([[['a', 1]], [['a', 1]], [['a', 1]], [['a', 1]]])
      .updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length);
    const out = collect(counts);
    await manualDriver(ctx.ssc).run(4);
    expect(out.outputs).toEqual([[['a', 1]], [['a', 2]], [['a', 3]], [['a', 4]]]);
    expect(counts.getOrCompute(4000)!.collect()).toEqual([['a', 4]]);
    // Spark keeps a checkpointed stream's RDDs two intervals for their lineage; a delta-logged state has none to keep.
    expect(counts.getOrCompute(3000)).toBeUndefined();
    expect(counts.slice(1000, 4000)).toHaveLength(1);
  });
});

describe('restoring mapWithState from a snapshot and its delta log', () => {
  it.each([
    ['without a timeout (values alone)', false],
    ['with a timeout ([state, time])', true],
  ])('builds from the unmerged log the same state as from the merged entries: removals, re-puts, keys put twice, structured keys (%s)', (_name, stamped) => {
    const ctx = testContext({ checkpoint: false });
    const make = () => {
      let spec = StateSpec.function((_k: unknown, _v: number | undefined, state: State<number>) => state.getOption());
      if (stamped) spec = spec.timeout(60_000);
      return ctx.ssc.queueStream<[unknown, number]>([]).mapWithState(spec).internalStream;
    };
    const value = (n: number, t: number): unknown => (stamped ? [n, t] : n);
    const base: unknown[][] = [[], []];
    for (let i = 0; i < 5000; i++) base[i % 2]!.push(i % 7 === 0 ? ['t', i] : `k${i}`, value(i, 1000));
    const deltas = [
      { flat: ['k1', value(-1, 2000), 'new1', value(1, 2000), ['t', 7], value(70, 2000)], deletes: ['k3', 'k5', ['t', 14]] },
      { flat: ['k3', value(33, 3000), 'k1', value(-11, 3000)], deletes: ['new1', 'never-there'] },
      { flat: [], deletes: ['k9'] },
    ];
    // The merged entries, as a store's readState gives them: each key once, its last change.
    const merged = new Map<string, [unknown, unknown]>();
    for (const flat of base) for (let i = 0; i < flat.length; i += 2) merged.set(JSON.stringify(flat[i]), [flat[i], flat[i + 1]]);
    for (const { flat, deletes } of deltas) {
      for (const k of deletes) merged.delete(JSON.stringify(k));
      for (let i = 0; i < flat.length; i += 2) merged.set(JSON.stringify(flat[i]), [flat[i], flat[i + 1]]);
    }
    const meta = { stamps: stamped };
    const fromLog = make();
    fromLog.restoreCheckpoint({ time: 3000, state: [], log: { base, deltas }, slices: [], meta });
    const fromState = make();
    fromState.restoreCheckpoint({ time: 3000, state: [...merged.values()] as [unknown, unknown][], slices: [], meta });
    // The whole state, as a full copy lists it.
    const entries = (s: typeof fromLog): string[] =>
      (s as unknown as Checkpointable).checkpointDelta(3000, true)!.state!.puts.map((e) => JSON.stringify(e)).sort();
    expect(fromLog.size).toBe(merged.size);
    expect(entries(fromLog)).toEqual(entries(fromState));
    expect(entries(fromLog)).toEqual([...merged.values()].map((e) => JSON.stringify(e)).sort());
    // A merge from memory reads the same entries in chunks (of 7 here): never more, none empty.
    const chunked: string[] = [];
    for (const { keys, values } of (fromLog as unknown as Checkpointable).stateSnapshot!(3000, 7)!) {
      expect(keys.length).toBe(values.length);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.length).toBeLessThanOrEqual(7);
      keys.forEach((k, i) => chunked.push(JSON.stringify([k, values[i]])));
    }
    expect(chunked.sort()).toEqual(entries(fromLog));
  });
});

describe('checkpointDelta', () => {
  it('mapWithState writes only the keys a batch changed: [state, time of last write]', async () => {
    const ctx = testContext({ checkpoint: false });
    try {
      const initial = Array.from({ length: 100 }, (_, i): [string, number] => [`k${i}`, i]);
      const mapped = ctx.ssc
        .queueStream<[string, number]>([[], [['k1', 5], ['k2', -1], ['new', 1]], []])
        .mapWithState(
          StateSpec.function((k: string, v: number | undefined, state: State<number>) => {
            if (v! < 0) state.remove();
            else state.update((state.getOption() ?? 0) + v!);
          }).initialState(initial),
        );
      mapped.foreachRDD(() => undefined);
      const deltas: unknown[] = [];
      await manualDriver(ctx.ssc, 0, (t) => void deltas.push(mapped.internalStream.checkpointDelta(t, false))).run(3);
      const first = deltas[0] as { state: { replace: boolean; puts: unknown[] } };
      expect(first.state.replace).toBe(true); // the initial state: a full copy
      expect(first.state.puts).toHaveLength(100);
      // Without a timeout a key's value is its state alone (meta says so: no write times).
      expect(first.state.puts).toContainEqual(['k7', 7]);
      // A batch's changes come flat (key, value, …): no pair per changed key.
      expect(deltas[1]).toEqual({
        state: { replace: false, puts: [], flat: expect.any(Array), deletes: ['k2'] },
        meta: { stamps: false },
      });
      expect(sortEntries(putsOf((deltas[1] as StreamCheckpoint).state!))).toEqual([
        ['k1', 6],
        ['new', 1],
      ]);
      expect(deltas[2]).toEqual({ state: { replace: false, puts: [], flat: [], deletes: [] }, meta: { stamps: false } });
      // A full copy on demand.
      const full = mapped.internalStream.checkpointDelta(3000, true)!;
      expect(full.state!.replace).toBe(true);
      expect(full.state!.puts).toHaveLength(100);
    } finally {
      await ctx.close();
    }
  });

  it('updateStateByKey writes only the keys whose state changed', async () => {
    const ctx = testContext({ checkpoint: false });
    try {
      const state = ctx.ssc
        .queueStream<[string, number]>([[['a', 1], ['b', 1], ['c', 1]], [['a', 1]], [['b', 1]]])
        .updateStateByKey((values: number[], s: number | undefined) =>
          s === 1 && values.length ? undefined : values.length + (s ?? 0),
        ) as unknown as StateDStream<string, number, number>;
      state.foreachRDD(() => undefined);
      const deltas: unknown[] = [];
      await manualDriver(ctx.ssc, 0, (t) => void deltas.push(state.checkpointDelta(t, false))).run(3);
      expect(deltas).toEqual([
        { state: { replace: false, puts: [], flat: expect.any(Array), deletes: [] } },
        { state: { replace: false, puts: [], flat: [], deletes: ['a'] } },
        { state: { replace: false, puts: [], flat: [], deletes: ['b'] } },
      ]);
      expect(sortEntries(putsOf((deltas[0] as StreamCheckpoint).state!))).toEqual([
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ]);
    } finally {
      await ctx.close();
    }
  });

  it('changes of several batches are merged when checkpoints are taken less often', async () => {
    const ctx = testContext({ checkpoint: false });
    try {
      const state = ctx.ssc
        .queueStream<[string, number]>([[['a', 1], ['b', 1]], [['a', 1]], [['a', 1], ['c', 1]]])
        .updateStateByKey((values: number[], s: number | undefined) =>
          values.length === 0 ? s : (s ?? 0) + values.length,
        ) as unknown as StateDStream<string, number, number>;
      state.foreachRDD(() => undefined);
      await manualDriver(ctx.ssc).run(3);
      const delta = state.checkpointDelta(3000, false)!;
      expect(delta.state!.replace).toBe(false);
      expect(sortEntries(putsOf(delta.state!))).toEqual([
        ['a', 3],
        ['b', 1],
        ['c', 1],
      ]);
      expect(state.checkpointDelta(3000, false)).toEqual({ state: { replace: false, puts: [], flat: [], deletes: [] } });
      expect(state.checkpointDelta(4000, false)).toBeUndefined(); // no such batch yet
    } finally {
      await ctx.close();
    }
  });
});

/** The keys a checkpoint's state change puts, as [key, value] pairs (from `puts` or `flat`). */
function putsOf(state: NonNullable<StreamCheckpoint['state']>): Array<[unknown, unknown]> {
  const out: Array<[unknown, unknown]> = [...state.puts];
  const flat = state.flat ?? [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

/** The changes a ChangeLog handed over, as [key, entry] pairs (a superseding log's: [key, stored value], its removals first). */
function pairs<K, E>(taken: Changes<K, E> | StoredChanges<K> | 'full'): Array<[K, unknown]> {
  if (taken === 'full') throw new Error('expected changes, got a full copy');
  if ('flat' in taken) {
    const out: Array<[K, unknown]> = taken.deletes.map((k) => [k, undefined]);
    for (let i = 0; i < taken.flat.length; i += 2) out.push([taken.flat[i] as K, taken.flat[i + 1]]);
    return out;
  }
  return taken.keys.map((k, i) => [k, taken.entries[i]]);
}

describe('ChangeLog', () => {
  it('merges batches, a later change of a key winning', () => {
    const log = new ChangeLog<string, number>();
    log.record(1000, ['a', 'b'], [1, 1], 2);
    log.record(2000, ['a', 'c'], [undefined, 5], 2);
    log.record(3000, ['d'], [9], 3);
    const m = log.take(2000);
    expect(m).not.toBe('full');
    expect(pairs(m)).toEqual([
      ['a', undefined],
      ['b', 1],
      ['c', 5],
    ]);
    expect(pairs(log.take(3000))).toEqual([['d', 9]]);
  });

  it('hands over one batch as it is when its keys are unique, and merges one whose keys may repeat', () => {
    const log = new ChangeLog<string, number>();
    const keys = ['a', 'b'];
    log.record(1000, keys, [1, 2], 2, true);
    const one = log.take(1000) as Changes<string, number>;
    expect(one.keys).toBe(keys); // no copy
    log.record(2000, ['a', 'a'], [3, undefined], 2, false);
    expect(pairs(log.take(2000))).toEqual([['a', undefined]]);
  });

  it('takes several held batches in one pass, skipping the entries a batch among them superseded (not those a later or failed batch did); removals apply before the puts, values as each batch left them', () => {
    type E = { v: number };
    const log = new ChangeLog<string, E>({ superseding: {} });
    const a1 = { v: 1 };
    const b1 = { v: 1 };
    const c1 = { v: 1 };
    log.record(1000, ['a', 'b', 'c'], [a1, b1, c1], 3, true, 1, [1, 1, 1]);
    expect(log.hold(1000, () => true)).toBe(3);
    expect(log.oldestEdit).toBe(1);
    // Batch 2 (edit 2) writes a (the same entry, in place: its value as batch 2 left it), removes b;
    // batch 3 (edit 3) puts b back.
    a1.v = 2;
    const marks1 = log.marksOf(1)!;
    marks1[0] = 2;
    marks1[1] = 2;
    log.record(2000, ['a', 'b'], [a1, undefined], 3, true, 2, [2, undefined]);
    expect(log.marksOf(1)).toBe(marks1);
    expect(log.marksOf(99)).toBeUndefined(); // not in the log
    expect(log.hold(2000, (_k, _e, value) => (value as number) < 10)).toBe(2);
    const b3 = { v: 7 };
    log.record(3000, ['b'], [b3], 3, true, 3, [7]);
    // Batch 4 (edit 4), after the take's batches, superseded c: c's entry still stands for them.
    marks1[2] = 4;
    log.record(4000, ['c'], [c1], 3, true, 4, [5]);
    // Batch 5 failed after marking batch 4's c: that mark is void.
    log.marksOf(4)![0] = 5;
    log.voidMarks(5);
    // As stored: b's removal (applied first), then c as batch 1 left it, a as batch 2 did, b put back.
    expect(pairs(log.take(3000))).toEqual([
      ['b', undefined],
      ['c', 1],
      ['a', 2],
      ['b', 7],
    ]);
    expect(log.oldestEdit).toBe(4);
    log.record(6000, ['d'], [{ v: 1 }], 3, true, 6, [1]);
    expect(pairs(log.take(6000))).toEqual([
      ['c', 5],
      ['d', 1],
    ]);
    expect(log.oldestEdit).toBe(Infinity);
  });

  it('a superseding log hands the key and value arrays of the batches it took over for reuse, a few at most', () => {
    const spare: unknown[][] = [];
    const log = new ChangeLog<string, number>({ superseding: { spare } });
    const keys = ['a', 'b'];
    const values = [1, 2];
    log.record(1000, keys, [1, 2], 2, true, 1, values);
    expect(spare).toEqual([]); // still in the log
    expect(pairs(log.take(1000))).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(spare.length).toBe(2);
    expect(spare[0]).toBe(keys);
    expect(spare[1]).toBe(values);
    for (let t = 2; t <= 5; t++) log.record(t * 1000, ['c'], [3], 2, true, t, [3]);
    log.take(5000);
    expect(spare.length).toBe(4);
    // An Appender fills a spare array in place of a new one, its old items overwritten or cut off.
    const reused = new Appender<string>(0, () => spare.pop());
    reused.add('x');
    const out = reused.done();
    expect(out).toEqual(['x']);
    expect(spare.length).toBe(3);
  });

  it('takes several held batches from `diff` when it is given, and merges them by key when the versions are gone', () => {
    let compared: { keys: string[]; entries: (number | undefined)[] } | undefined = { keys: ['a'], entries: [9] };
    const asked: number[] = [];
    const log = new ChangeLog<string, number>({ diff: (time) => (asked.push(time), compared) });
    log.record(1000, ['a', 'b'], [1, 1], 2, true);
    expect(log.hold(1000, () => true)).toBe(2);
    log.record(2000, ['a'], [9], 2, true);
    expect(log.hold(2000, () => true)).toBe(1);
    expect(log.take(2000)).toBe(compared);
    expect(log.take(2000)).toEqual({ keys: [], entries: [] });
    log.record(3000, ['b'], [1], 2, true);
    expect(pairs(log.take(3000))).toEqual([['b', 1]]); // one batch: its own changes, no diff
    expect(asked).toEqual([2000]);
    compared = undefined;
    log.record(4000, ['a', 'b'], [2, 2], 2, true);
    log.hold(4000, () => true);
    log.record(5000, ['a'], [undefined], 2, true);
    expect(pairs(log.take(5000))).toEqual([
      ['a', undefined],
      ['b', 2],
    ]);
  });

  it('holds nothing when a put is refused or a full copy is owed, and is never dropped while it holds', () => {
    const log = new ChangeLog<number, { v: number }>({ superseding: {} });
    const keys = Array.from({ length: 3000 }, (_, i) => i);
    const entries = keys.map(() => ({ v: 0 }));
    log.record(1000, keys, entries, 1000, true, 1, keys);
    expect(log.hold(1000, (k) => k !== 7)).toBeUndefined();
    expect(log.heldTime).toBeUndefined();
    expect(log.hold(1000, () => true)).toBe(3000);
    log.record(2000, keys, entries, 1000, true, 2, keys); // 6000 pending > max(4096, 2000): kept, being held
    expect(log.take(2000)).not.toBe('full');
    expect(log.heldTime).toBeUndefined();
    log.record(3000, keys, entries, 1000, true, 3, keys);
    log.record(4000, keys, entries, 1000, true, 4, keys); // not held: dropped
    expect(log.hold(4000, () => true)).toBeUndefined();
    expect(new ChangeLog<number, number>().hold(1000, () => true)).toBeUndefined(); // neither superseding nor diff: cannot take several batches in one pass
  });

  it('gives up for a full copy once it holds more changes than the state', () => {
    const log = new ChangeLog<number, number>();
    const keys = Array.from({ length: 3000 }, (_, i) => i);
    // limit: max(4096, 2 × 5000) = 10000 pending changes
    log.record(1000, keys, keys, 5000);
    log.record(2000, keys, keys, 5000);
    log.record(3000, keys, keys, 5000);
    expect(log.take(500)).not.toBe('full');
    log.record(4000, keys, keys, 5000); // 12000 pending: dropped, a full copy is owed
    log.record(5000, [1], [1], 5000);
    expect(log.take(3000)).toBe('full'); // changes up to 4000 are lost: still owed after this one
    expect(log.take(4000)).toBe('full');
    const after = log.take(5000);
    expect(after).not.toBe('full');
    expect(pairs(after)).toEqual([[1, 1]]);
  });
});
