// Named state survives code changes (issue 16): a job's code changes three ways — a filter before
// the state, one more output, a second state — and getOrCreate restores every named state whose
// shape still fits, starts new ones empty and drops removed ones, each with a log line. Unnamed
// state keeps the strict rule. And a checkpoint written by format 1 resumes under format 2.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT_VERSION, CheckpointStore } from '../../src/checkpoint/index.js';
import { ManualClock, StateSpec, StreamingContext, type State } from '../../src/index.js';
import { makeUpgradeJob } from '../fixtures/upgrade-job.js';
import { projectRoot } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'dstreams-named-'));
  dirs.push(d);
  return d;
};

const WORDS = ['to', 'be', 'or', 'not', 'that', 'is', 'the', 'question'];
const wordAt = (t: number, i: number): string => WORDS[(t / 1000 * 5 + i * 3) % WORDS.length]!;

type Version = 'v1' | 'filter' | 'output' | 'second' | 'removed' | 'unnamed' | 'reshaped';

interface Job {
  ssc: StreamingContext;
  clock: ManualClock;
  totals: Map<number, Record<string, number>>;
  latest: Map<number, Record<string, number>>;
  window: Map<number, Record<string, number>>;
  extra: Map<number, Record<string, number>>;
  seen: number[];
}

/** The job, as its code is at `version` (each version adds to the one before, as upgrades do). */
function job(dir: string, version: Version): Job {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  const j: Job = { ssc, clock, totals: new Map(), latest: new Map(), window: new Map(), extra: new Map(), seen: [] };
  let words = ssc.rateStream<string>({ rowsPerBatch: 9, generate: wordAt });
  const v = ['v1', 'filter', 'output', 'second', 'removed', 'unnamed', 'reshaped'].indexOf(version);
  // 1. a filter before the state (it keeps every word, so totals go on exactly)
  if (v >= 1) words = words.filter((w) => w.length > 0);
  const pairs = words.map((w): [string, number] => [w, 1]);
  const name = (n: string): string | undefined => (version === 'unnamed' ? undefined : n);
  if (version === 'reshaped') {
    pairs.mapWithState(StateSpec.function((_k: string, v2: number | undefined, st: State<number>) => st.update(v2 ?? 0)).name('totals')).foreachRDD(() => {});
  } else {
    pairs
      .updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length, { name: name('totals') })
      .foreachRDD((rdd, t) => void j.totals.set(t, Object.fromEntries(rdd.collect())));
  }
  if (version !== 'removed') {
    const spec = StateSpec.function((k: string, one: number | undefined, st: State<number>): [string, number] => {
      const n = (st.getOption() ?? 0) + (one ?? 0);
      st.update(n);
      return [k, n];
    });
    const named = name('latest');
    pairs
      .mapWithState(named === undefined ? spec : spec.name(named))
      .foreachRDD((rdd, t) => void j.latest.set(t, Object.fromEntries(rdd.collect())));
  }
  pairs
    .reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 3000, 1000, { name: name('window') })
    .foreachRDD((rdd, t) => void j.window.set(t, Object.fromEntries(rdd.collect())));
  // 2. one more output
  if (v >= 2) words.count().foreachRDD((_rdd, t) => void j.seen.push(t));
  // 3. a second state
  if (v >= 3) {
    pairs
      .updateStateByKey<number>((vs, s) => (s ?? 0) + 10 * vs.length, { name: name('extra') })
      .foreachRDD((rdd, t) => void j.extra.set(t, Object.fromEntries(rdd.collect())));
  }
  return j;
}

async function resume(dir: string, version: Version, log: string[]): Promise<Job> {
  let made: Job | undefined;
  await StreamingContext.getOrCreate(
    dir,
    () => {
      made = job(dir, version);
      return made.ssc;
    },
    { log: (line) => void log.push(line) },
  );
  return made!;
}

async function runTo(j: Job, until: number): Promise<void> {
  await j.ssc.start();
  await j.clock.advance(until);
  await j.ssc.stop();
}

/** The uninterrupted v1 job's outputs up to `until`. */
async function reference(until: number): Promise<Job> {
  const j = job(tempDir(), 'v1');
  await runTo(j, until);
  return j;
}

describe('named state across code changes', () => {
  it('a filter before the state, one more output, a second state: every named state goes on, the new one starts empty', async () => {
    const ref = await reference(12_000);
    const dir = tempDir();
    await runTo(job(dir, 'v1'), 3000);
    for (const [version, from, to] of [['filter', 3000, 6000], ['output', 6000, 9000], ['second', 9000, 12_000]] as const) {
      const log: string[] = [];
      const j = await resume(dir, version, log);
      expect(j.ssc.recoveredFrom).toBe(from);
      await runTo(j, to);
      for (let t = from + 1000; t <= to; t += 1000) {
        expect(j.totals.get(t), `totals at ${t} (${version})`).toEqual(ref.totals.get(t));
        expect(j.latest.get(t), `latest at ${t} (${version})`).toEqual(ref.latest.get(t));
        expect(j.window.get(t), `window at ${t} (${version})`).toEqual(ref.window.get(t));
      }
      if (version === 'output') expect(j.seen).toEqual([7000, 8000, 9000]);
      if (version === 'second') {
        expect(log).toEqual(['named state "extra" (updateStateByKey) is new: it starts empty']);
        // it counted only the batches since it was added
        const since: Record<string, number> = {};
        for (let t = 10_000; t <= 12_000; t += 1000) for (let i = 0; i < 9; i++) since[wordAt(t, i)] = (since[wordAt(t, i)] ?? 0) + 10;
        expect(j.extra.get(12_000)).toEqual(since);
      } else {
        expect(log).toEqual([]);
      }
    }
  });

  it('a named state new at a restart starts at the restart: its function does not run for the batches before it, its initial state is stamped then', async () => {
    const dir = tempDir();
    const seen: string[] = [];
    const build = (withNew: boolean) => () => {
      const clock = new ManualClock(0);
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      ssc.checkpoint(dir);
      const pairs = ssc.rateStream<string>({ rowsPerBatch: 1, generate: (t) => `w${t / 1000}` }).map((w): [string, number] => [w, 1]);
      pairs.updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length, { name: 'totals' }).foreachRDD(() => {});
      if (withNew) {
        // Counts the batches each key has been in the state.
        pairs
          .updateStateByKey<number>((_vs, s) => (s ?? 0) + 1, { name: 'ages', initialRDD: [['x', 0]] })
          .foreachRDD((r, t) => void seen.push(`${t} ages ${JSON.stringify(r.collect().sort())}`));
        const spec = StateSpec.function((k: string, _v: number | undefined, s: State<number>) => {
          if (!s.isTimingOut()) s.update(1);
          return `${k}${s.isTimingOut() ? ' timed out' : ''}`;
        });
        pairs.mapWithState(spec.name('fresh').initialState([['init', 5]]).timeout(2000)).foreachRDD((r, t) => void seen.push(`${t} mapped ${JSON.stringify(r.collect())}`));
      }
      return { ssc, clock };
    };
    const first = build(false)();
    await first.ssc.start();
    await first.clock.advance(3000);
    await first.ssc.stop();
    let second!: { ssc: StreamingContext; clock: ManualClock };
    await StreamingContext.getOrCreate(dir, () => (second = build(true)()).ssc, { log: () => undefined });
    await second.ssc.start();
    await second.clock.advance(5000);
    await second.ssc.stop();
    expect(seen).toEqual([
      '4000 ages [["w4",1],["x",1]]',
      '4000 mapped ["w4"]',
      '5000 ages [["w4",2],["w5",1],["x",2]]',
      '5000 mapped ["w5"]',
    ]);
  });

  it('a named state no longer in the graph is dropped from the checkpoint, with a log line', async () => {
    const ref = await reference(6000);
    const dir = tempDir();
    await runTo(job(dir, 'v1'), 3000);
    const log: string[] = [];
    const j = await resume(dir, 'removed', log);
    await runTo(j, 6000);
    expect(log).toEqual([
      'named state "extra" (updateStateByKey) is new: it starts empty',
      'named state "latest" (mapWithState) is no longer in the graph: dropped',
    ]);
    expect(j.totals.get(6000)).toEqual(ref.totals.get(6000));
    const store = await CheckpointStore.open(dir);
    expect(await store.streamIds()).not.toContain('n:latest');
    expect(await store.loadState('n:latest')).toEqual([]);
    await store.close();
  });

  it('unnamed state keeps the strict rule: a changed graph is refused, naming the first difference and the way out', async () => {
    const dir = tempDir();
    await runTo(job(dir, 'unnamed'), 3000);
    await expect(resume(dir, 'unnamed', [])).resolves.toBeDefined(); // the same graph resumes
    const strict = tempDir();
    const first = job(strict, 'unnamed');
    await runTo(first, 2000);
    const changed = (): StreamingContext => {
      const j = job(strict, 'unnamed');
      j.ssc.queueStream<number>([]).foreachRDD(() => {}); // one more stream: the graph changed
      return j.ssc;
    };
    await expect(StreamingContext.getOrCreate(strict, changed)).rejects.toThrow(
      /the graph does not match the checkpoint in .*stream \d+ is .*a changed graph resumes only when all its state is named/,
    );
  });

  it('a named state whose shape changed is refused, naming it and both shapes', async () => {
    const dir = tempDir();
    await runTo(job(dir, 'v1'), 2000);
    await expect(resume(dir, 'reshaped', [])).rejects.toThrow(
      /named state "totals" in the checkpoint in .* was updateStateByKey, this graph has mapWithState/,
    );
  });

  it('two states with one name are refused', async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0) });
    ssc.checkpoint(tempDir());
    const pairs = ssc.queueStream<[string, number]>([]);
    pairs.updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length, { name: 'a' }).foreachRDD(() => {});
    pairs.updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length, { name: 'a' }).foreachRDD(() => {});
    await expect(ssc.start()).rejects.toThrow('two stateful operations are named "a"');
    expect(() => pairs.updateStateByKey((vs: number[]) => vs.length, { name: 'a/b' })).toThrow('name must be a non-empty string without "/"');
  });
});

describe('a checkpoint written by format 1', () => {
  it('resumes under the current format (the store is upgraded in place) and its totals go on exactly', async () => {
    const fresh = makeUpgradeJob(tempDir());
    await fresh.ssc.start();
    await fresh.clock.advance(6000);
    await fresh.ssc.stop();

    const dir = path.join(tempDir(), 'v1-store');
    cpSync(path.join(projectRoot, 'test/checkpoint/fixtures/v1-store'), dir, { recursive: true });
    let made: ReturnType<typeof makeUpgradeJob> | undefined;
    const ssc = await StreamingContext.getOrCreate(dir, () => (made = makeUpgradeJob(dir)).ssc);
    expect(ssc.recoveredFrom).toBe(3000);
    await ssc.start();
    await made!.clock.advance(6000);
    await ssc.stop();
    expect([...made!.out.keys()]).toEqual([4000, 5000, 6000]);
    for (const t of [4000, 5000, 6000]) expect(made!.out.get(t)).toEqual(fresh.out.get(t));

    const { Level } = await import('level');
    const db = new Level<string, string>(dir);
    await db.open();
    expect(JSON.parse((await db.get('meta/format'))!)).toEqual({ format: 'dstreams-checkpoint', version: CHECKPOINT_FORMAT_VERSION });
    await db.close();
  });
});
