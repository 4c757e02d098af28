// What a scaled-out copy does to a state between batches, pinned without Kafka: editState (a
// partition lost or gained) and checkpointExtra (the changelog positions) go through checkpoint
// format 2 — an edit makes the next commit a full copy, the extra value is restored with the
// state from the delta log and snapshots — and a changelog written from onStateChanges (values
// through storedChange) puts a mapWithState with a timeout back exactly as it was.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { MIN_MERGE_CHANGES, SnapshotMerges } from '../../src/checkpoint/SnapshotMerges.js';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';
import type { StatefulDStream } from '../../src/state/StatefulDStream.js';
import { snapshotTimes } from '../checkpoint/helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'dstreams-state-edits-'));
  dirs.push(d);
  return d;
};

/** Record `i` of batch `t`: keys k0…k5, a different mix every batch. */
const recordAt = (t: number, i: number): [string, number] => [`k${(t / 1000 + i * i) % 6}`, 1];

interface Run {
  ssc: StreamingContext;
  clock: ManualClock;
  state: StatefulDStream<unknown, unknown>;
  outputs: Map<number, string[]>;
}

/** updateStateByKey over 4 records a batch, checkpoint interval `interval` (when snapshots may merge); extra = the last batch output. */
function totalsJob(dir: string, interval: number): Run {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  const outputs = new Map<number, string[]>();
  const totals = ssc
    .rateStream<[string, number]>({ rowsPerBatch: 4, generate: recordAt })
    .updateStateByKey<number>((ones, n) => (n ?? 0) + ones.length, { name: 'totals' });
  totals.checkpoint(interval);
  let upTo = 0;
  totals.foreachRDD((rdd, t) => {
    outputs.set(t, rdd.collect().map((x) => JSON.stringify(x)).sort());
    upTo = t;
  });
  const state = totals as unknown as StatefulDStream<unknown, unknown>;
  state.checkpointExtra = () => ({ upTo });
  return { ssc, clock, state, outputs };
}

describe('when a state is merged into a snapshot', () => {
  it('not at every checkpoint interval while its log holds fewer than MIN_MERGE_CHANGES changes; then at the next interval', async () => {
    SnapshotMerges.minMergeChanges = 30; // keys k0…k5, up to 4 changes a batch: not due by 8000
    onTestFinished(() => void (SnapshotMerges.minMergeChanges = MIN_MERGE_CHANGES));
    const dir = tempDir();
    const run = totalsJob(dir, 2000);
    await run.ssc.start();
    await run.clock.advance(8000);
    await run.ssc.stop(); // waits for a merge in progress
    expect(await snapshotTimes(dir)).toEqual([1000]); // the first commit's full copy only
    const again = totalsJob(dir, 2000);
    const resumed = await StreamingContext.getOrCreate(dir, () => again.ssc);
    await resumed.start();
    // The log read back at the restart counts: due by 10000, the next interval.
    await again.clock.advance(8000 + 2000);
    await resumed.stop();
    expect(await snapshotTimes(dir)).toEqual([10000]);
  });
});

describe('state edits and checkpoint extra with the delta log and snapshots', () => {
  it.each([
    ['snapshots merged every 2 batches', 2000],
    ['the delta log alone (no snapshot before the restart)', 100_000],
  ])('an edit between batches reaches the checkpoint (full copy), the extra value is restored with the state: %s', async (_what, interval) => {
    // A state this small merges only after MIN_MERGE_CHANGES changes: as soon as due here.
    SnapshotMerges.minMergeChanges = 0;
    onTestFinished(() => void (SnapshotMerges.minMergeChanges = MIN_MERGE_CHANGES));
    const drop = (k: unknown): boolean => k === 'k0' || k === 'k3';
    const puts: Array<[string, number]> = [['moved', 100]];

    // Uninterrupted: 4 batches, the edit, 6 more.
    const whole = totalsJob(tempDir(), interval);
    await whole.ssc.start();
    await whole.clock.advance(4000);
    whole.state.editState(drop, puts);
    await whole.clock.advance(6000);
    await whole.ssc.stop();
    expect(whole.outputs.get(5000)).toContain('["moved",100]');
    expect(whole.outputs.get(4000)!.some((x) => x.startsWith('["k0"'))).toBe(true);

    // The same, stopped after batch 7 and resumed from the checkpoint.
    const dir = tempDir();
    const first = totalsJob(dir, interval);
    expect(first.state.restoredExtra).toBeUndefined();
    await first.ssc.start();
    await first.clock.advance(4000);
    first.state.editState(drop, puts);
    await first.clock.advance(3000);
    await first.ssc.stop();
    let next: Run | undefined;
    const resumed = await StreamingContext.getOrCreate(dir, () => (next = totalsJob(dir, interval)).ssc);
    await resumed.start();
    expect(resumed.recoveredFrom).toBe(7000);
    expect(next!.state.restoredExtra).toEqual({ upTo: 7000 });
    await next!.clock.advance(7000 + 3000);
    await resumed.stop();
    expect([...next!.outputs.keys()]).toEqual([8000, 9000, 10000]);
    for (const t of [8000, 9000, 10000]) expect(next!.outputs.get(t)).toEqual(whole.outputs.get(t));
  });

  it('mapWithState with a timeout: a changelog of onStateChanges values (storedChange) puts the state back, timeouts included', async () => {
    const run = async (rebuildAt: number | undefined): Promise<Map<number, string[]>> => {
      const clock = new ManualClock(0);
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      ssc.checkpoint(tempDir());
      // Keys go idle: key k gets records only in batches where (t/1000) % (k+2) === 0, so some time out (3 s).
      const spec = StateSpec.function((k: string, v: number | undefined, st: State<number>) => {
        if (st.isTimingOut()) return `${k} timed out at ${st.get()}`;
        st.update((st.getOption() ?? 0) + (v ?? 0));
        return `${k}=${st.get()}`;
      }).timeout(3000);
      const mapped = ssc
        .rateStream<[string, number]>({
          rowsPerBatch: 5,
          generate: (t, i) => [`k${i}`, (t / 1000) % (i + 2) === 0 ? 1 : 0],
        })
        .filter(([, v]) => v > 0)
        .mapWithState(spec);
      const outputs = new Map<number, string[]>();
      mapped.foreachRDD((rdd, t) => void outputs.set(t, rdd.collect().map(String).sort()));
      // The changelog: each key's latest stored value, as scaleout/changelog.ts writes it.
      const state = mapped.internalStream;
      const changelog = new Map<unknown, unknown>();
      state.onStateChanges((time, keys, values) => {
        keys.forEach((k, i) => (values[i] === undefined ? changelog.delete(k) : changelog.set(k, state.storedChange(time, values[i]))));
      });
      await ssc.start();
      if (rebuildAt !== undefined) {
        await clock.advance(rebuildAt);
        // Everything dropped, everything put back from the changelog: as a copy that gained every task.
        state.editState(() => true, [...changelog]);
      }
      await clock.advance(12_000 - (rebuildAt ?? 0));
      await ssc.stop();
      return outputs;
    };
    const plain = await run(undefined);
    expect([...plain.values()].flat().some((x) => x.includes('timed out'))).toBe(true);
    const rebuilt = await run(5000);
    expect([...rebuilt]).toEqual([...plain]);
  });

  it('the initial state taken over by a changelog: seeded per task between batches, published as the first changes of the batch that applies it', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc.checkpoint(tempDir());
    const spec = StateSpec.function((k: string, v: number | undefined, st: State<number>) => {
      st.update((st.getOption() ?? 0) + (v ?? 0));
      return `${k}=${st.get()}`;
    }).initialState([
      ['a', 100],
      ['b', 200],
    ]);
    const mapped = ssc.rateStream<[string, number]>({ rowsPerBatch: 1, generate: () => ['a', 1] }).mapWithState(spec);
    const outputs = new Map<number, string[]>();
    mapped.foreachRDD((rdd, t) => void outputs.set(t, rdd.collect().map(String)));
    const state = mapped.internalStream;
    const changes: Array<[number, unknown[], unknown[]]> = [];
    state.onStateChanges((time, keys, values) => void changes.push([time, [...keys], [...values]]));
    // Taken over (as scaleout/changelog.ts does): the first batch starts empty.
    expect(state.takeInitialState()).toEqual([
      ['a', 100],
      ['b', 200],
    ]);
    // Seeded before the first batch (a mapWithState without timeout stores bare values: no malformed entry).
    state.seedState([['b', 200]]);
    await ssc.start();
    await clock.advance(1000);
    expect(outputs.get(1000)).toEqual(['a=1']);
    expect(changes.at(-1)).toEqual([1000, ['b', 'a'], [200, 1]]);
    state.seedState([['a', 100]]);
    await clock.advance(1000);
    // Seeded over what the state had: the seed is the key's state when the batch starts.
    expect(outputs.get(2000)).toEqual(['a=101']);
    expect(changes.at(-1)).toEqual([2000, ['a', 'a'], [100, 101]]);
    await clock.advance(1000);
    expect(changes.at(-1)).toEqual([3000, ['a'], [102]]);
    await ssc.stop();
  });
});

describe('an edit before the batch it rebuilt completed', () => {
  it('mapWithState: the next batch computed early (an action in a transform) leaves the edited version for that batch\'s checkpoint', async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0), defaultParallelism: 1 });
    const fn = (_k: string, v: number | undefined, st: State<number>): number => {
      st.update((st.getOption() ?? 0) + (v ?? 0));
      return st.get();
    };
    const mapped = ssc
      .queueStream<[string, number]>([[['a', 1], ['b', 1]], [['a', 1]], [['a', 1]]])
      .mapWithState(StateSpec.function(fn));
    mapped.foreachRDD((rdd) => void rdd.collect());
    const stream = mapped.internalStream as unknown as StatefulDStream<unknown, unknown>;
    type Graph = { start(t: number): void; computeInputs(t: number): void; generateJobs(t: number): { run(): Promise<void> }[]; materializeState(t: number): void; clearMetadata(t: number): void };
    const graph = (ssc as unknown as { graph: Graph }).graph;
    graph.start(0);
    const run = async (t: number): Promise<void> => {
      graph.computeInputs(t);
      const jobs = graph.generateJobs(t);
      graph.materializeState(t);
      for (const j of jobs) await j.run();
    };
    await run(1000);
    stream.checkpointDelta(1000, true);
    graph.clearMetadata(1000);
    await run(2000);
    stream.editState((k) => k === 'b', []); // a partition of the scaled-out job lost: key b goes
    graph.computeInputs(3000);
    graph.generateJobs(3000);
    graph.materializeState(3000); // batch 3000's state, before batch 2000's checkpoint
    const copy = stream.checkpointDelta(2000, false); // the edit owes a full copy
    expect(copy?.state?.replace).toBe(true);
    expect(copy?.state?.puts).toEqual([['a', 2]]);
  });
});
