// Group commit with deferred deltas: a lingering group waits for company (CommitOptions.linger),
// the late parts of its commits are encoded when its write starts (CommitOptions.late), and
// mapWithState leaves a batch's changes to the last commit of its group (deferDelta): one delta
// per group, each key once, from which a restore resumes exactly.
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { MIN_MERGE_CHANGES, SnapshotMerges } from '../../src/checkpoint/SnapshotMerges.js';
import { mergeStateLog } from '../../src/checkpoint/stateRead.js';
import {
  Checkpointer,
  CheckpointStore,
  GROUP_LINGER_MS,
  MAX_UNWRITTEN_BATCHES,
  MAX_UNWRITTEN_FAST_BATCHES,
  type CheckpointCommit,
} from '../../src/checkpoint/index.js';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';
import { cleanupTempDirs, holdWrites, snapshotTimes, tempDir, watchWrites } from './helpers.js';

afterEach(cleanupTempDirs);

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a lingering group (CommitOptions.linger, late)', () => {
  it('waits for company up to its size, then writes once; only the last late part is told it is last', async () => {
    const store = await CheckpointStore.open(tempDir());
    const seen = watchWrites(store);
    const told: Array<[number, boolean]> = [];
    const commit = (time: number): Promise<void> =>
      store.enqueue(
        { deltas: { s1: { time, puts: [[`eager${time}`, time]] } } },
        {
          coalesce: true,
          linger: { ms: 60_000, max: 3 },
          late: (last): CheckpointCommit | undefined => {
            told.push([time, last]);
            return last ? { meta: { last: time }, deltas: { s1: { time: time + 1, puts: [[`late${time}`, time]] } } } : undefined;
          },
        },
      );
    const written = [commit(1000), commit(2000)];
    await tick(20);
    expect(seen.writes).toBe(0); // lingering: no company yet is worth a write
    written.push(commit(3000)); // the third: the group is full
    await Promise.all(written);
    expect(seen.writes).toBe(1);
    expect(told).toEqual([
      [1000, false],
      [2000, false],
      [3000, true],
    ]);
    expect(await store.readMeta()).toEqual({ last: 3000 });
    expect(new Map(await store.loadState('s1'))).toEqual(
      new Map([
        ['eager1000', 1000],
        ['eager2000', 2000],
        ['eager3000', 3000],
        ['late3000', 3000],
      ]),
    );
    await store.close();
  });

  it('is written at once when released, when a commit without linger joins it, or when its time is up', async () => {
    const store = await CheckpointStore.open(tempDir());
    const seen = watchWrites(store);
    const linger = (ms: number) => ({ coalesce: true, linger: { ms, max: 3 } }) as const;
    const a = store.enqueue({ meta: { a: 1 } }, linger(60_000));
    store.release();
    await a;
    expect(seen.writes).toBe(1);
    const b = store.enqueue({ meta: { b: 1 } }, linger(60_000));
    const c = store.enqueue({ meta: { c: 1 } }, { coalesce: true }); // awaited at once: no waiting for company
    await Promise.all([b, c]);
    expect(seen.writes).toBe(2);
    const t0 = performance.now();
    await store.enqueue({ meta: { d: 1 } }, linger(30));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    expect(seen.writes).toBe(3);
    expect(await store.readMeta()).toEqual({ d: 1 });
    await store.close();
  });

  it('a late part that throws fails the write of its group, and nothing of the group is written', async () => {
    const store = await CheckpointStore.open(tempDir());
    await store.commit({ meta: { before: true } });
    const bad = store.enqueue(
      { deltas: { s1: { time: 1000, puts: [['a', 1]] } } },
      { coalesce: true, linger: { ms: 5, max: 3 }, late: () => ({ deltas: { s1: { time: 1000, puts: [['f', () => 1]] } } }) },
    );
    await expect(bad).rejects.toMatchObject({ code: 'UNSERIALIZABLE' });
    expect(await store.readMeta()).toEqual({ before: true });
    expect(await store.loadState('s1')).toEqual([]);
    await store.close();
  });
});

type Op = 'mapWithState' | 'updateStateByKey';

/**
 * Counts per key over a generated input where keys are added, updated and removed (every 4th
 * count), by mapWithState or by updateStateByKey; the outputs of each batch, sorted.
 */
function countsJob(dir: string, op: Op = 'mapWithState'): { ssc: StreamingContext; clock: ManualClock; outputs: Map<number, string[]> } {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  const outputs = new Map<number, string[]>();
  const input = ssc.rateStream<[string, number]>({ rowsPerBatch: 6, generate: (t, i) => [`k${(t / 1000 + i * i) % 7}`, 1 + (i % 2)] });
  const counts =
    op === 'mapWithState'
      ? input.mapWithState(
          StateSpec.function((k: string, v: number | undefined, st: State<number>) => {
            const n = (st.getOption() ?? 0) + (v ?? 0);
            if (n % 4 === 0) {
              st.remove();
              return `${k} removed`;
            }
            st.update(n);
            return `${k}=${n}`;
          }).name('counts'),
        )
      : input
          .updateStateByKey<number>(
            (values, s) => {
              const n = values.reduce((a, b) => a + b, s ?? 0);
              return n % 4 === 0 ? undefined : n;
            },
            { name: 'counts' },
          )
          .map(([k, n]) => `${k}=${n}`);
  counts.foreachRDD((rdd, t) => void outputs.set(t, rdd.collect().map(String).sort()));
  return { ssc, clock, outputs };
}

describe('mapWithState and updateStateByKey with group commit (deferDelta)', () => {
  const checkpointerOf = (ssc: StreamingContext): Checkpointer => (ssc as unknown as { checkpointer: Checkpointer }).checkpointer;

  it.each(['mapWithState', 'updateStateByKey'] as const)('%s writes one delta per group, each key once, and a restore from them resumes exactly', async (op) => {
    const whole = countsJob(tempDir(), op);
    await whole.ssc.start();
    await whole.clock.advance(14_000);
    await whole.ssc.stop();

    const dir = tempDir();
    const first = countsJob(dir, op);
    await first.ssc.start();
    await first.clock.advance(10_000); // batch after batch: their commits group
    await first.ssc.stop();
    const store = await CheckpointStore.open(dir);
    const log = await store.loadStateLog('n:counts');
    // The first commit is a full copy (the snapshot); the nine batches after it, in groups (of
    // MAX_GROUP_BATCHES or more: commits join a full group until the write before it ends).
    expect(log.deltas.length).toBeGreaterThanOrEqual(1);
    expect(log.deltas.length).toBeLessThan(9);
    for (const d of log.deltas) {
      const keys = d.flat.filter((_, i) => i % 2 === 0);
      expect(new Set(keys).size).toBe(keys.length); // each key put once
    }
    expect((await store.readMeta()) as object).toMatchObject({ lastCompletedTime: 10_000 });
    await store.close();

    let next: ReturnType<typeof countsJob> | undefined;
    const resumed = await StreamingContext.getOrCreate(dir, () => (next = countsJob(dir, op)).ssc);
    await resumed.start();
    expect(resumed.recoveredFrom).toBe(10_000);
    await next!.clock.advance(14_000);
    await resumed.stop();
    expect([...next!.outputs.keys()]).toEqual([11_000, 12_000, 13_000, 14_000]);
    for (const t of next!.outputs.keys()) expect(next!.outputs.get(t)).toEqual(whole.outputs.get(t));
  });

  it('updateStateByKey: keys removed and added again within a group, structured keys too, are stored as the state ends', async () => {
    const a = ['a', 1];
    const batches: [unknown, number][][] = [
      [[a, 1], ['b', 1], [['a', 1], 1]], // a 2, b 1
      [[['a', 1], 2], ['c', 5]], // a 4: removed; c 5
      [[['a', 1], 1], ['b', 3]], // a added again: 1; b 4: removed
      [['b', 2], ['c', 1]], // b added again: 2; c 6
      [['d', 1]],
    ];
    const n = batches.length; // queueStream takes them from the array
    const dir = tempDir();
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock, checkpointDir: dir });
    let last: [unknown, number][] = [];
    ssc
      .queueStream(batches)
      .updateStateByKey<number>((vs, s) => {
        const n = vs.reduce((x, y) => x + y, s ?? 0);
        return n % 4 === 0 ? undefined : n;
      }, { name: 'counts' })
      .foreachRDD((rdd) => void (last = rdd.collect()));
    await ssc.start();
    await clock.advance(n * 1000); // back to back: the batches after the first share deltas
    await ssc.stop();
    const sorted = (pairs: unknown[][]): string[] => pairs.map((p) => JSON.stringify(p)).sort();
    expect(sorted(last)).toEqual(sorted([[['a', 1], 1], ['b', 2], ['c', 6], ['d', 1]]));
    const store = await CheckpointStore.open(dir);
    const log = await store.loadStateLog('n:counts');
    // The first commit is the full copy; the batches after it group when they come faster than
    // the writes (not always on a loaded machine: a held write makes the removals wait, so the
    // grouping cannot be forced here), and the stored state must be the final one either way.
    expect(log.deltas.length).toBeLessThanOrEqual(n - 1);
    const stored: unknown[][] = [];
    for (const flat of mergeStateLog(log)) for (let i = 0; i < flat.length; i += 2) stored.push([flat[i], flat[i + 1]]);
    expect(sorted(stored)).toEqual(sorted(last));
    await store.close();
  });

  it('updateStateByKey keeps the versions of the batches its next delta compares, no more', async () => {
    const job = countsJob(tempDir(), 'updateStateByKey');
    await job.ssc.start();
    const stream = job.ssc.graph.streams.find((s) => s.kind === 'StateDStream') as unknown as { versions: Map<number, unknown> };
    let most = 0;
    job.ssc.addStreamingListener({ onBatchCompleted: () => void (most = Math.max(most, stream.versions.size)) });
    for (let t = 0; t < 40; t++) await job.clock.advance(1000);
    await checkpointerOf(job.ssc).flush();
    expect(most).toBeGreaterThan(1); // a group's versions were kept
    expect(most).toBeLessThanOrEqual(MAX_UNWRITTEN_FAST_BATCHES + 2);
    await job.clock.advance(1000);
    expect(stream.versions.size).toBeLessThanOrEqual(2);
    await job.ssc.stop();
  });

  it.each(['mapWithState', 'updateStateByKey'] as const)('%s: a state the store cannot take as JSON is not deferred: its batch fails at once, as before', async (op) => {
    const dir = tempDir();
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock, checkpointDir: dir });
    const input = ssc.queueStream<[string, number]>([[['a', 1]], [['a', 1]], [['a', 2]], [['a', 1]]]);
    const state = (v: number | undefined): unknown => ((v ?? 0) > 1 ? () => 'no' : v);
    if (op === 'mapWithState') {
      input.mapWithState(StateSpec.function((_k: string, v: number | undefined, st: State<unknown>) => st.update(state(v)))).foreachRDD(() => {});
    } else {
      input.updateStateByKey<unknown>((vs) => state(vs[0])).foreachRDD(() => {});
    }
    await ssc.start();
    const err = await clock.advance(4000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe('UNSERIALIZABLE');
    await ssc.stop().catch(() => {});
    const store = await CheckpointStore.open(dir);
    expect(await store.readMeta()).toMatchObject({ lastCompletedTime: 2000 });
    await store.close();
  });

  it.each([
    { how: 'back to back (deferred)', gapMs: 0, bound: MAX_UNWRITTEN_FAST_BATCHES },
    { how: `${GROUP_LINGER_MS + 15} ms apart`, gapMs: GROUP_LINGER_MS + 15, bound: MAX_UNWRITTEN_BATCHES },
  ])('while the disk stalls, batches $how complete until $bound commits are unwritten, then wait', async ({ gapMs, bound }) => {
    const job = countsJob(tempDir());
    await job.ssc.start();
    const disk = holdWrites(checkpointerOf(job.ssc).store);
    let most = 0;
    job.ssc.addStreamingListener({ onBatchCompleted: () => void (most = Math.max(most, checkpointerOf(job.ssc).unwrittenCommits)) });
    let blocked: Promise<void> | undefined;
    for (let i = 0; i < MAX_UNWRITTEN_FAST_BATCHES + 4 && blocked === undefined; i++) {
      if (gapMs > 0) await tick(gapMs);
      const batch = job.clock.advance(1000);
      if ((await Promise.race([batch.then(() => 'done'), tick(1000).then(() => 'waiting')])) === 'waiting') blocked = batch;
    }
    expect(blocked, 'a batch waits for the stalled disk').toBeDefined();
    expect(most).toBe(bound);
    disk.release();
    await blocked;
    await job.ssc.stop();
  });

  it("mapWithState: while the disk stalls, each group's delta stores its keys as its last batch left them, not as the batches after it wrote them in place", async () => {
    // The state after each batch, computed as countsJob's function does, record by record.
    const states: Array<[number, Map<string, string>]> = [];
    const acc = new Map<string, number>();
    for (let t = 1000; t <= 20_000; t += 1000) {
      for (let i = 0; i < 6; i++) {
        const k = `k${(t / 1000 + i * i) % 7}`;
        const n = (acc.get(k) ?? 0) + 1 + (i % 2);
        if (n % 4 === 0) acc.delete(k);
        else acc.set(k, n);
      }
      states.push([t, new Map([...acc].map(([k, n]) => [k, String(n)]))]);
    }

    const dir = tempDir();
    const job = countsJob(dir);
    await job.ssc.start();
    await job.clock.advance(1000); // its commit is the full copy
    await checkpointerOf(job.ssc).flush();
    const disk = holdWrites(checkpointerOf(job.ssc).store);
    // Back to back while nothing is written: the later batches write the keys of the groups
    // queued before them (in place: nothing else reads them) before those groups are encoded.
    let blocked: Promise<void> | undefined;
    for (let i = 0; i < MAX_UNWRITTEN_FAST_BATCHES + 4 && blocked === undefined; i++) {
      const batch = job.clock.advance(1000);
      if ((await Promise.race([batch.then(() => 'done'), tick(300).then(() => 'waiting')])) === 'waiting') blocked = batch;
    }
    expect(blocked, 'a batch waits for the stalled disk').toBeDefined();
    disk.release();
    await blocked;
    await job.clock.advance(2000);
    await job.ssc.stop();

    const store = await CheckpointStore.open(dir);
    const log = await store.loadStateLog('n:counts');
    await store.close();
    expect(log.deltas.length).toBeGreaterThan(1);
    // Applied one after another, the deltas pass through the states of batches, in order.
    const stored = new Map<string, string>();
    const touched = new Set<string>();
    let from = 0;
    for (const d of log.deltas) {
      for (const k of d.deletes) {
        stored.delete(String(k));
        touched.add(String(k));
      }
      for (let i = 0; i < d.flat.length; i += 2) {
        stored.set(String(d.flat[i]), String(d.flat[i + 1]));
        touched.add(String(d.flat[i]));
      }
      const at = states.findIndex(([, st], i) => i >= from && [...touched].every((k) => st.get(k) === stored.get(k)));
      expect(at, `a delta's keys as of no batch: ${JSON.stringify([...stored])}`).toBeGreaterThanOrEqual(0);
      from = at;
    }
  });

  it('mapWithState with a timeout: a key put and timed out within one group is stored removed, and a restore resumes exactly', async () => {
    // Each batch a key of its own (seen once: it times out two batches later) and a steady key.
    const timeoutJob = (dir: string): { ssc: StreamingContext; clock: ManualClock; outputs: Map<number, string[]> } => {
      const clock = new ManualClock(0);
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      ssc.checkpoint(dir);
      const outputs = new Map<number, string[]>();
      const input = ssc.rateStream<[string, number]>({ rowsPerBatch: 2, generate: (t, i) => [i === 0 ? `once${t / 1000}` : 'steady', 1] });
      const spec = StateSpec.function((k: string, v: number | undefined, st: State<number>) => {
        if (st.isTimingOut()) return `${k} timed out`;
        const n = (st.getOption() ?? 0) + (v ?? 0);
        st.update(n);
        return `${k}=${n}`;
      });
      input.mapWithState(spec.timeout(1000).name('counts')).foreachRDD((rdd, t) => void outputs.set(t, rdd.collect().map(String).sort()));
      return { ssc, clock, outputs };
    };
    const whole = timeoutJob(tempDir());
    await whole.ssc.start();
    await whole.clock.advance(14_000);
    await whole.ssc.stop();

    const dir = tempDir();
    const first = timeoutJob(dir);
    await first.ssc.start();
    await first.clock.advance(10_000); // batch after batch: their commits group
    await first.ssc.stop();
    const store = await CheckpointStore.open(dir);
    const log = await store.loadStateLog('n:counts');
    expect(log.deltas.length).toBeLessThan(7); // groups of several batches, each holding keys put and timed out
    const stored: string[] = [];
    for (const flat of mergeStateLog(log)) for (let i = 0; i < flat.length; i += 2) stored.push(String(flat[i]));
    // At 10 s: once8 timed out (its last write before 10 s - 1 s), once9 and once10 not yet.
    expect(stored.sort()).toEqual(['once10', 'once9', 'steady']);
    await store.close();

    let next: ReturnType<typeof timeoutJob> | undefined;
    const resumed = await StreamingContext.getOrCreate(dir, () => (next = timeoutJob(dir)).ssc);
    await resumed.start();
    await next!.clock.advance(14_000);
    await resumed.stop();
    expect([...next!.outputs.keys()]).toEqual([11_000, 12_000, 13_000, 14_000]);
    for (const t of next!.outputs.keys()) expect(next!.outputs.get(t)).toEqual(whole.outputs.get(t));
  });

  it("a group's delta counts each key once toward the next merge", async () => {
    // 7 keys, ~5 changed a batch: 9 batches' own changes are ~45, a group's delta at most 7 puts
    // and a few removals. Back to back, the first interval's log holds 2 groups: below 30.
    SnapshotMerges.minMergeChanges = 30;
    onTestFinished(() => void (SnapshotMerges.minMergeChanges = MIN_MERGE_CHANGES));
    for (const gapMs of [0, GROUP_LINGER_MS + 15]) {
      const dir = tempDir();
      const job = countsJob(dir);
      await job.ssc.start();
      for (let t = 1; t <= 12; t++) {
        if (gapMs > 0) await tick(gapMs);
        await job.clock.advance(1000);
      }
      await job.ssc.stop(); // waits for a merge in progress
      // Deferred: the first commit's full copy only; batch by batch, a merge at 10 s.
      expect(await snapshotTimes(dir), `batches ${gapMs} ms apart`).toEqual(gapMs === 0 ? [1000] : [10_000]);
    }
  });
});

describe('held streams (Checkpointer)', () => {
  it('a stream that deferred batches into two groups stays held until the second is written: no batch record goes without its changes', async () => {
    // Two fake streams: A defers every batch's change (one key a<t>), B's every commit is a full
    // copy (as when its change log overflowed), so each batch's commit is a group of its own.
    const a = {
      id: 1, kind: 'A', slideDuration: 1000, dependencies: [], stateName: undefined,
      log: [] as Array<[string, number]>,
      deferDelta: () => 1,
      checkpointDelta(t: number) {
        const taken = this.log.filter(([, v]) => v <= t);
        this.log = this.log.filter(([, v]) => v > t);
        return { state: { replace: false, puts: [], deletes: [], flat: taken.flat() } };
      },
      restoreCheckpoint: () => undefined,
    };
    const b = {
      id: 2, kind: 'B', slideDuration: 1000, dependencies: [], stateName: undefined,
      checkpointDelta: (t: number) => ({ state: { replace: true, puts: [['b', t]], deletes: [] } }),
      restoreCheckpoint: () => undefined,
    };
    const graph = { streams: [a, b], inputs: [], zeroTime: 0, batchDuration: 1000 } as unknown as Parameters<typeof Checkpointer.open>[0];
    const cp = await Checkpointer.open(graph, tempDir(), 'held');
    const store = (cp as unknown as { store: CheckpointStore }).store;
    // Each LevelDB write: its batch record's time and A's delta entries.
    const writes: Array<{ last: number | undefined; a: string[] }> = [];
    const db = (store as unknown as { db: { batch(): { put(k: string, v: string): unknown; write(o?: object): Promise<void> } } }).db;
    const batchOf = db.batch.bind(db);
    db.batch = () => {
      const w = { last: undefined as number | undefined, a: [] as string[] };
      const bt = batchOf();
      const put = bt.put.bind(bt);
      bt.put = (k: string, v: string) => {
        if (k === 'meta/batch') w.last = (JSON.parse(v) as { lastCompletedTime: number }).lastCompletedTime;
        else if (k.startsWith('delta/s1/')) w.a.push(...[...v.matchAll(/"(a\d+)"/g)].map((m) => m[1]!));
        return put(k, v);
      };
      const write = bt.write.bind(bt);
      bt.write = (o?: object) => {
        writes.push(w);
        return write(o);
      };
      return bt;
    };
    /** A write in progress that ends when the function returned is called (a slow fsync). */
    const stall = (): (() => void) => {
      let end!: () => void;
      const ended = new Promise<void>((r) => (end = r));
      void (store as unknown as { chain(run: () => Promise<void>): Promise<void> }).chain(() => ended);
      return end;
    };
    const batch = async (t: number): Promise<void> => {
      a.log.push([`a${t}`, t]);
      await cp.commitBatch(t, []);
    };
    await batch(1000);
    await cp.flush();
    const first = stall();
    await batch(2000); // A defers; B's copy makes a group of its own
    const second = stall();
    await batch(3000); // A defers again, into the next group
    first(); // batch 2000's group is written: A's batch 3000 still waits in its own
    await tick(GROUP_LINGER_MS + 10);
    await batch(4000); // later than the linger: deferred only because A is still held
    second();
    await cp.close();
    const records = writes.filter((w) => w.last !== undefined).map((w) => [w.last, w.a]);
    expect(records).toEqual([
      [1000, ['a1000']],
      [2000, ['a2000']],
      [3000, ['a3000']],
      [4000, ['a4000']],
    ]);
  });
});
