// Checkpoint directories that cannot be resumed, and misuse, at start() and getOrCreate: each is a
// clear error, never a silent fresh start over the checkpoint. And what recovery does with the
// batches between the checkpoint and now: pending batches run again, missed batches run (Spark)
// unless skipMissedBatches.
import { readdirSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointError, CheckpointStore, CLOSE_MARKER_FILE } from '../../src/checkpoint/index.js';
import { ManualClock, Seconds, StreamingContext, SystemClock, type Clock, type RDD } from '../../src/index.js';
import { CheckpointError as PublicCheckpointError } from '../../src/index.js';
import { canonicalBatch, defineJob, expectedTotals } from '../fixtures/recovery-words.js';
import { cleanupTempDirs, sleep, startJob, tempDir } from './helpers.js';

afterEach(cleanupTempDirs);

type Outputs = Map<string, string[]>;

interface Made {
  ssc: StreamingContext;
  clock: ManualClock;
  outputs: Outputs;
  /** Batch times the first output operation ran, in order. */
  times: number[];
}

interface JobOptions {
  /** Where the ManualClock starts (default 0). */
  clockAt?: number;
  /** Makes batch `time`'s first output operation throw. */
  fail?: (time: number) => boolean;
  /** Another clock than the ManualClock (`made.clock` is then unused). */
  clock?: Clock;
  batchDuration?: number;
  skipMissedBatches?: boolean;
  overlapCheckpointWrites?: boolean;
}

/** The recovery-words job on a new context. */
function makeJob(options: JobOptions = {}): Made {
  const { clockAt = 0, fail, clock, batchDuration = 1000, overlapCheckpointWrites } = options;
  const manual = new ManualClock(clockAt);
  const ssc = new StreamingContext({ batchDuration, clock: clock ?? manual, appName: 'recovery-errors', overlapCheckpointWrites });
  const made: Made = { ssc, clock: manual, outputs: new Map(), times: [] };
  defineJob(ssc, (name, rdd: RDD<unknown>, time) => {
    if (name === 'totals') {
      made.times.push(time);
      if (fail?.(time)) throw new Error(`output of batch ${time} failed`);
    }
    made.outputs.set(`${time}-${name}`, canonicalBatch(rdd));
  });
  return made;
}

/** getOrCreate with the job; returns the context it gave and what the create function made. */
async function getOrCreateJob(dir: string, options: JobOptions = {}): Promise<Made> {
  let made: Made | undefined;
  const ssc = await StreamingContext.getOrCreate(dir, () => (made = makeJob(options)).ssc, {
    skipMissedBatches: options.skipMissedBatches,
  });
  expect(ssc).toBe(made!.ssc);
  return made!;
}

/** A fresh run of `batches` batches into `dir` (which must hold no checkpoint), stopped. */
async function runFresh(dir: string, batches: number): Promise<Made> {
  const made = makeJob();
  made.ssc.checkpoint(dir);
  await made.ssc.start();
  await made.clock.advance(batches * 1000);
  await made.ssc.stop();
  return made;
}

/** Runs getOrCreate + start + `batches` batches + stop; returns the job. */
async function resume(dir: string, batches: number, options: JobOptions = {}): Promise<Made> {
  const made = await getOrCreateJob(dir, options);
  await made.ssc.start();
  try {
    await made.clock.advance(batches * 1000);
  } finally {
    await made.ssc.stop();
  }
  return made;
}

/** Expects `p` to reject with a CheckpointError of `code` whose message names `dir` and holds `fragments`. */
async function expectCheckpointError(p: Promise<unknown>, code: string, dir: string, ...fragments: Array<string | RegExp>): Promise<CheckpointError> {
  const err = await p.then(
    () => {
      throw new Error(`expected a CheckpointError ${code}, but it resolved`);
    },
    (e: unknown) => e,
  );
  if (!(err instanceof CheckpointError)) throw new Error(`expected a CheckpointError ${code}, got ${String(err)}`, { cause: err });
  expect(err.code, err.message).toBe(code);
  expect(err.message).toContain(dir);
  for (const f of fragments) {
    if (typeof f === 'string') expect(err.message).toContain(f);
    else expect(err.message).toMatch(f);
  }
  return err;
}

/** getOrCreate then start, as a program does. */
async function getOrCreateAndStart(dir: string, options: JobOptions = {}): Promise<Made> {
  const made = await getOrCreateJob(dir, options);
  await made.ssc.start();
  return made;
}

/** Expects both ways in (getOrCreate + start, and a new context with checkpoint(dir) + start) to fail with `code`; no batch ran. */
async function expectBothFail(dir: string, code: string, ...fragments: Array<string | RegExp>): Promise<void> {
  let made: Made | undefined;
  const viaGetOrCreate = (async () => {
    made = await getOrCreateJob(dir);
    await made.ssc.start();
  })();
  await expectCheckpointError(viaGetOrCreate, code, dir, ...fragments);
  if (made) {
    expect(made.ssc.state).not.toBe('active');
    await made.ssc.stop();
  }
  const fresh = makeJob();
  fresh.ssc.checkpoint(dir);
  await expectCheckpointError(fresh.ssc.start(), code, dir, ...fragments);
  expect(fresh.ssc.state).not.toBe('active');
  await fresh.clock.advance(3000);
  expect(fresh.times).toEqual([]);
  expect(made?.times ?? []).toEqual([]);
}

const fileIn = (dir: string, re: RegExp): string => {
  const name = readdirSync(dir).find((f) => re.test(f));
  if (!name) throw new Error(`no file matching ${re} in ${dir}: ${readdirSync(dir).join(' ')}`);
  return path.join(dir, name);
};

async function patchRaw(dir: string, key: string, f: (value: string) => string): Promise<void> {
  const db = new Level<string, string>(dir);
  await db.open();
  try {
    await db.put(key, f((await db.get(key))!));
  } finally {
    await db.close();
  }
}

describe('start() on a directory that holds a checkpoint', () => {
  it('fails telling to use getOrCreate, leaves the checkpoint as it was and closes the store', async () => {
    const dir = tempDir();
    await runFresh(dir, 3);
    const again = makeJob();
    again.ssc.checkpoint(dir);
    const err = await again.ssc.start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain(dir);
    expect(err?.message).toContain('holds a checkpoint (last completed batch 3000)');
    expect(err?.message).toContain('StreamingContext.getOrCreate');
    expect(again.times).toEqual([]);
    // The store is closed (getOrCreate can open it) and still holds batch 3000.
    const resumed = await getOrCreateJob(dir);
    expect(resumed.ssc.recoveredFrom).toBe(3000);
    await resumed.ssc.stop();
  });

  it('a directory whose store was created but never completed a batch is started fresh', async () => {
    const dir = tempDir();
    const store = await CheckpointStore.open(dir);
    await store.close();
    const made = makeJob();
    made.ssc.checkpoint(dir);
    await made.ssc.start();
    await made.clock.advance(2000);
    await made.ssc.stop();
    expect(made.times).toEqual([1000, 2000]);
  });
});

describe('getOrCreate', () => {
  it('on a missing or empty directory creates the context and starts fresh', async () => {
    const base = tempDir();
    for (const dir of [path.join(base, 'missing', 'deeper'), tempDir()]) {
      const made = await resume(dir, 2);
      expect(made.ssc.recoveredFrom).toBeUndefined();
      expect(made.times).toEqual([1000, 2000]);
    }
  });

  it('calls the create function once, resumes after the last completed batch, and refuses a started context', async () => {
    const dir = tempDir();
    await runFresh(dir, 4);
    let calls = 0;
    const ssc = await StreamingContext.getOrCreate(dir, () => {
      calls++;
      return makeJob().ssc;
    });
    expect(calls).toBe(1);
    expect(ssc.recoveredFrom).toBe(4000);
    expect(ssc.checkpointDir).toBe(dir);
    await ssc.stop();

    const started = makeJob();
    started.ssc.checkpoint(tempDir());
    await started.ssc.start();
    await expect(StreamingContext.getOrCreate(dir, () => started.ssc)).rejects.toThrow(/must not start the context/);
    await started.ssc.stop();
    await expect(StreamingContext.getOrCreate(dir, () => ({}) as StreamingContext)).rejects.toThrow(/must return a StreamingContext/);
    // None of these left the store open.
    expect((await resume(dir, 0)).ssc.recoveredFrom).toBe(4000);
  });

  it('the store is closed on stop: a new getOrCreate in the same process works, again and again', async () => {
    const dir = tempDir();
    const reference = makeJob();
    reference.ssc.checkpoint(tempDir());
    await reference.ssc.start();
    await reference.clock.advance(12_000);
    await reference.ssc.stop();

    const outputs: Outputs = new Map();
    let at = 0;
    for (const until of [2, 3, 7, 12]) {
      const made = await getOrCreateJob(dir, { clockAt: at * 1000 });
      expect(made.ssc.recoveredFrom).toBe(at === 0 ? undefined : at * 1000);
      await made.ssc.start();
      await made.clock.advance((until - at) * 1000);
      await made.ssc.stop();
      for (const [k, v] of made.outputs) outputs.set(k, v);
      at = until;
    }
    expect(outputs).toEqual(reference.outputs);
  });

  it('a context that failed closes its store too: getOrCreate resumes after its last completed batch', async () => {
    const dir = tempDir();
    const made = await getOrCreateJob(dir, { fail: (t) => t === 4000 });
    await made.ssc.start();
    await expect(made.clock.advance(6000)).rejects.toThrow('output of batch 4000 failed');
    await expect(made.ssc.awaitTermination()).rejects.toThrow('output of batch 4000 failed');
    const resumed = await resume(dir, 6);
    expect(resumed.ssc.recoveredFrom).toBe(3000);
    expect(resumed.times).toEqual([4000, 5000, 6000]);
  });
});

describe('a checkpoint this version cannot read', () => {
  it('written by an incompatible format version: INCOMPATIBLE_VERSION naming both versions, store untouched', async () => {
    const dir = tempDir();
    await runFresh(dir, 3);
    await patchRaw(dir, 'meta/format', () => JSON.stringify({ format: 'dstreams-checkpoint', version: 99 }));
    await expectBothFail(dir, 'INCOMPATIBLE_VERSION', 'found version 99', 'expected version 3');
    const db = new Level<string, string>(dir);
    await db.open();
    expect(JSON.parse((await db.get('meta/format'))!).version).toBe(99);
    await db.close();
  });

  it('whose batch record is of another format: INCOMPATIBLE_VERSION', async () => {
    const dir = tempDir();
    await runFresh(dir, 3);
    await patchRaw(dir, 'meta/batch', (v) => JSON.stringify({ ...JSON.parse(v), format: 'dstreams-batch-meta-v2' }));
    let made: Made | undefined;
    await expectCheckpointError(
      (async () => {
        made = await getOrCreateJob(dir);
      })(),
      'INCOMPATIBLE_VERSION',
      dir,
      'no dstreams batch record this version understands',
    );
    expect(made).toBeUndefined();
  });
});

describe('damaged checkpoints are reported, never started over', () => {
  it('a truncated write-ahead log (.log)', async () => {
    const dir = tempDir();
    await runFresh(dir, 6);
    const log = fileIn(dir, /^\d+\.log$/);
    truncateSync(log, Math.floor(statSync(log).size / 2));
    await expectBothFail(dir, 'CORRUPT', 'damaged', 'last opened or closed');
  });

  it('every LevelDB file deleted (only the close marker left)', async () => {
    const dir = tempDir();
    await runFresh(dir, 3);
    for (const f of readdirSync(dir)) if (f !== CLOSE_MARKER_FILE) unlinkSync(path.join(dir, f));
    await expectBothFail(dir, 'CORRUPT', 'LevelDB files are missing');
  });

  it('a CURRENT file overwritten', async () => {
    const dir = tempDir();
    await runFresh(dir, 3);
    writeFileSync(path.join(dir, 'CURRENT'), 'garbage');
    await expectBothFail(dir, 'CORRUPT', 'damaged');
  });

  it.each(['snap', 'delta'])('a state record (%s/) that cannot be decoded: start() fails while restoring and closes the store', async (ns) => {
    const dir = tempDir();
    await runFresh(dir, 3);
    const db = new Level<string, string>(dir);
    await db.open();
    const key = (await db.keys({ gte: `${ns}/`, lt: `${ns}0`, limit: 1 }).all())[0]!;
    await db.put(key, '{not json');
    await db.close();
    const made = await getOrCreateJob(dir);
    await expectCheckpointError(made.ssc.start(), 'CORRUPT', dir, 'cannot be decoded');
    expect(made.ssc.state).toBe('stopped');
    expect(made.times).toEqual([]);
    // closed: it can be opened again (and is still damaged)
    await expectCheckpointError(getOrCreateAndStart(dir), 'CORRUPT', dir);
  });
});

describe('directories that cannot hold a checkpoint', () => {
  it('a path under a regular file (unwritable, even for root): DIR_UNWRITABLE', async () => {
    const file = path.join(tempDir(), 'a-file');
    writeFileSync(file, 'not a directory');
    const dir = path.join(file, 'checkpoints');
    await expectBothFail(dir, 'DIR_UNWRITABLE', 'not writable', 'not a directory');
  });

  it('a regular file: NOT_A_DIRECTORY', async () => {
    const file = path.join(tempDir(), 'a-file');
    writeFileSync(file, 'not a directory');
    await expectBothFail(file, 'NOT_A_DIRECTORY', 'not a directory');
  });

  it('a directory of other files: NOT_A_STORE', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    await expectBothFail(dir, 'NOT_A_STORE', 'notes.txt');
  });
});

describe('two contexts on one checkpoint directory', () => {
  it('in one process: the second getOrCreate or start() fails with LOCKED; after the first stops it works', async () => {
    const dir = tempDir();
    // A fresh directory is held from start() on.
    const fresh = await getOrCreateJob(dir);
    await fresh.ssc.start();
    await fresh.clock.advance(2000);
    await expectBothFail(dir, 'LOCKED', 'already in use by another StreamingContext');
    await fresh.ssc.stop();

    // A directory holding a checkpoint is held from getOrCreate on, started or not.
    const first = await getOrCreateJob(dir, { clockAt: 2000 });
    expect(first.ssc.recoveredFrom).toBe(2000);
    await expectBothFail(dir, 'LOCKED', 'already in use by another StreamingContext');
    await first.ssc.start();
    await first.clock.advance(3000);
    await expectBothFail(dir, 'LOCKED', 'already in use by another StreamingContext');
    await first.clock.advance(1000);
    expect(first.times).toEqual([3000, 4000, 5000, 6000]);
    await first.ssc.stop();
    const second = await resume(dir, 2, { clockAt: 6000 });
    expect(second.ssc.recoveredFrom).toBe(6000);
    expect(second.times).toEqual([7000, 8000]);
  });

  it('across processes: a child holding the directory locks the parent out, and the other way round', async () => {
    const dir = tempDir();
    const holder = startJob(['hold', dir]);
    try {
      await holder.line((l) => l.holding === true);
      await expectBothFail(dir, 'LOCKED', 'already in use');
    } finally {
      holder.proc.stdin!.end();
    }
    await holder.line((l) => l.stopped === true);
    expect((await holder.exited).code).toBe(0);

    // The parent resumes the child's checkpoint and holds the directory; a child cannot take it.
    const made = await getOrCreateJob(dir);
    expect(made.ssc.recoveredFrom).toBe(2000);
    await made.ssc.start();
    try {
      const child = startJob(['try', dir]);
      const result = await child.line((l) => 'ok' in l || 'error' in l);
      expect(result.code, JSON.stringify(result)).toBe('LOCKED');
      expect(result.error).toContain(dir);
      expect(result.error).toContain('already in use');
      await child.exited;
    } finally {
      await made.ssc.stop();
    }
    const child = startJob(['try', dir]);
    expect(await child.line((l) => 'ok' in l || 'error' in l)).toEqual({ ok: true });
    await child.exited;
  });
});

describe('a graph that does not match the checkpoint', () => {
  async function mismatch(dir: string, build: (ssc: StreamingContext) => void, batchDuration = 1000): Promise<Error> {
    const err = await StreamingContext.getOrCreate(dir, () => {
      const ssc = new StreamingContext({ batchDuration, clock: new ManualClock(0) });
      build(ssc);
      return ssc;
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).code).toBe('GRAPH_MISMATCH');
    // The package's own export: a user can tell a changed job from a damaged store.
    expect(err).toBeInstanceOf(PublicCheckpointError);
    expect(err!.message).toContain(dir);
    expect(err!.message).toContain('does not match the checkpoint');
    return err!;
  }

  it('fails naming the first difference, and leaves the store closed and intact', async () => {
    const dir = tempDir();
    await runFresh(dir, 4);
    // Another window length: the reduceByKeyAndWindow stream is the first to differ.
    const window = await mismatch(dir, (ssc) => {
      const words = ssc.rateStream<string>({ rowsPerBatch: 3 });
      const pairs = words.map((w): [string, number] => [w, 1]);
      pairs.updateStateByKey<number>((v, s) => (s ?? 0) + v.length).foreachRDD(() => {});
      pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, Seconds(8), Seconds(2)).foreachRDD(() => {});
    });
    expect(window.message).toMatch(/stream \d+ is "#\d+ \w+ slide=\d+/);
    // The batch duration is compared first.
    const batch = await mismatch(dir, (ssc) => ssc.rateStream().foreachRDD(() => {}), 2000);
    expect(batch.message).toContain('batchDuration is 2000 ms, the checkpoint has 1000 ms');
    // A stream missing at the end.
    const fewer = await mismatch(dir, (ssc) => ssc.rateStream().foreachRDD(() => {}));
    expect(fewer.message).toMatch(/stream 1 is "#1 \w+/);
    // The right graph still resumes: nothing was changed or left open.
    const resumed = await resume(dir, 6);
    expect(resumed.ssc.recoveredFrom).toBe(4000);
    expect(resumed.times).toEqual([5000, 6000]);
  });

  it('names a window duration that changed', async () => {
    const dir = tempDir();
    const first = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0), checkpointDir: dir });
    first.rateStream().map((x): [number, number] => [x % 3, 1]).reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, Seconds(4), Seconds(2)).foreachRDD(() => {});
    await first.start();
    await (first.clock as ManualClock).advance(2000);
    await first.stop();
    const err = await mismatch(dir, (ssc) =>
      ssc.rateStream().map((x): [number, number] => [x % 3, 1]).reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, Seconds(6), Seconds(2)).foreachRDD(() => {}),
    );
    expect(err.message).toMatch(/stream 2 is "#2 ReducedWindowedDStream slide=2000 window=6000 deps=\[1\]", the checkpoint has "#2 ReducedWindowedDStream slide=2000 window=4000 deps=\[1\]"/);
  });
});

describe('the batches between the checkpoint and now', () => {
  /** The uninterrupted run of batches 1 … n. */
  async function reference(n: number): Promise<Made> {
    const made = makeJob();
    made.ssc.checkpoint(tempDir());
    await made.ssc.start();
    await made.clock.advance(n * 1000);
    await made.ssc.stop();
    return made;
  }

  it('batches missed while the job was down are run by default (Spark): outputs as if it never stopped', async () => {
    const dir = tempDir();
    const before = await runFresh(dir, 5);
    // Restarted at 20 s: batches 6 … 20 are due at once, then 21, 22.
    const after = await getOrCreateJob(dir, { clockAt: 20_000 });
    expect(after.ssc.recoveredFrom).toBe(5000);
    await after.ssc.start();
    await after.clock.advance(2000);
    await after.ssc.stop();
    expect(after.times).toEqual(Array.from({ length: 17 }, (_, i) => (i + 6) * 1000));
    const all = new Map([...before.outputs, ...after.outputs]);
    expect(all).toEqual((await reference(22)).outputs);
  });

  it('skipMissedBatches: the run goes on from now, with the state of the checkpoint', async () => {
    const dir = tempDir();
    await runFresh(dir, 5);
    const after = await getOrCreateJob(dir, { clockAt: 20_500, skipMissedBatches: true });
    expect(after.ssc.recoveredFrom).toBe(5000);
    await after.ssc.start();
    await after.clock.advance(2500);
    await after.ssc.stop();
    expect(after.times).toEqual([21_000, 22_000, 23_000]);
    // The totals are those of batches 1 … 5, then 21 … 23: nothing of the skipped batches.
    const times = [1, 2, 3, 4, 5, 21, 22, 23].map((s) => s * 1000);
    expect(after.outputs.get('23000-totals')).toEqual([...expectedTotals(times)].map((e) => JSON.stringify(e)).sort());
  });

  it('pending batches (generated, not completed when the job died) run again, with or without skipMissedBatches', async () => {
    for (const skipMissedBatches of [false, true]) {
      const dir = tempDir();
      // Five batches generated at once; the output of batch 3 s fails: 1 s and 2 s completed.
      const crashed = await getOrCreateJob(dir, { fail: (t) => t === 3000 });
      await crashed.ssc.start();
      await expect(crashed.clock.advance(5000)).rejects.toThrow('output of batch 3000 failed');
      await crashed.ssc.stop().catch(() => {});
      const store = await CheckpointStore.open(dir);
      expect(await store.readMeta()).toMatchObject({ lastCompletedTime: 2000, pendingTimes: [3000, 4000, 5000] });
      await store.close();

      const after = await getOrCreateJob(dir, { clockAt: 10_000, skipMissedBatches });
      await after.ssc.start();
      await after.clock.advance(1000);
      await after.ssc.stop();
      const expectedTimes = skipMissedBatches ? [3000, 4000, 5000, 11_000] : Array.from({ length: 9 }, (_, i) => (i + 3) * 1000);
      expect(after.times, `skipMissedBatches ${skipMissedBatches}`).toEqual(expectedTimes);
      const ref = await reference(5);
      for (const t of [3000, 4000, 5000]) {
        for (const name of ['totals', 'mapped', 'snapshots']) {
          expect(after.outputs.get(`${t}-${name}`), `${t}-${name}`).toEqual(ref.outputs.get(`${t}-${name}`));
        }
      }
    }
  });

  it('with a SystemClock: the batches missed while down run at once, on the checkpoint grid; or are skipped', async () => {
    const batchDuration = 100;
    const runUntil = async (made: Made, batches: number): Promise<void> => {
      await made.ssc.start();
      const deadline = Date.now() + 20_000;
      while (made.times.length < batches && Date.now() < deadline) await sleep(20);
      await made.ssc.stop();
    };
    for (const skipMissedBatches of [false, true]) {
      const dir = tempDir();
      const first = await getOrCreateJob(dir, { clock: new SystemClock(), batchDuration });
      await runUntil(first, 3);
      const last = first.times.at(-1)!;
      await sleep(8 * batchDuration);
      const restartedAt = Date.now();
      const after = await getOrCreateJob(dir, { clock: new SystemClock(), batchDuration, skipMissedBatches });
      expect(after.ssc.recoveredFrom).toBe(last);
      await runUntil(after, skipMissedBatches ? 3 : 10);
      const times = after.times;
      // On the checkpoint's grid, contiguous from where they start.
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(batchDuration);
      if (skipMissedBatches) expect(times[0]!).toBeGreaterThan(restartedAt);
      else expect(times[0]).toBe(last + batchDuration);
      // Each batch counted once: the totals after the last batch are those of exactly the batches that ran.
      const ran = [...first.times, ...times];
      expect(new Set(ran).size).toBe(ran.length);
      expect(after.outputs.get(`${times.at(-1)}-totals`)).toEqual([...expectedTotals(ran)].map((e) => JSON.stringify(e)).sort());
    }
  });
});

describe('checkpoint writes', () => {
  it('a state the store cannot encode fails its batch at once (UNSERIALIZABLE), in both write modes; the checkpoint stays at the batch before', async () => {
    for (const overlapCheckpointWrites of [false, true]) {
      const dir = tempDir();
      const clock = new ManualClock(0);
      const ssc = new StreamingContext({ batchDuration: 1000, clock, checkpointDir: dir, overlapCheckpointWrites });
      const done: number[] = [];
      ssc
        .queueStream<[string, number]>([[['a', 1]], [['a', 1]], [['b', 1]], [['a', 1]]])
        .updateStateByKey<unknown>((v, s) => (v.length > 0 && s !== undefined && (s as number) >= 2 ? () => 'no' : ((s as number) ?? 0) + v.length))
        .foreachRDD((_rdd, t) => void done.push(t));
      await ssc.start();
      const err = await clock.advance(4000).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `overlap ${overlapCheckpointWrites}`).toBeInstanceOf(CheckpointError);
      expect((err as CheckpointError).code).toBe('UNSERIALIZABLE');
      expect(done).toEqual([1000, 2000, 3000, 4000]); // its outputs ran: the checkpoint is what failed
      await ssc.stop().catch(() => {});
      const store = await CheckpointStore.open(dir);
      expect(await store.readMeta()).toMatchObject({ lastCompletedTime: 3000 });
      await store.close();
    }
  });

  it('group commit (overlapCheckpointWrites, the default) and strict: the same outputs and checkpoint; a failed write stops the context with its error at once, and recovery re-runs its batch', async () => {
    const plain = tempDir();
    const overlapped = tempDir();
    const a = await resume(plain, 8, { overlapCheckpointWrites: false });
    const b = await resume(overlapped, 8, { overlapCheckpointWrites: true });
    expect(b.outputs).toEqual(a.outputs);
    const metaOf = async (dir: string): Promise<unknown> => {
      const store = await CheckpointStore.open(dir);
      try {
        const meta = (await store.readMeta()) as Record<string, unknown>;
        const streams: Record<string, unknown> = {};
        for (const id of await store.streamIds()) {
          streams[id] = {
            state: (await store.loadState(id)).map((e) => JSON.stringify(e)).sort(),
            slices: (await store.readSlices(id)).map(([t]) => t),
          };
        }
        return { ...meta, writtenAt: 0, stored: streams };
      } finally {
        await store.close();
      }
    };
    expect(await metaOf(overlapped)).toEqual(await metaOf(plain));

    // A write that fails (the disk, say): the context stops with its error as soon as the write
    // reports it (or the next batch does, whichever comes first); nothing after the failed commit
    // is written, and recovery runs its batch again.
    const dir = tempDir();
    const enqueue = CheckpointStore.prototype.enqueue;
    let n = 0;
    CheckpointStore.prototype.enqueue = function (this: CheckpointStore, c, o) {
      return ++n === 2 ? Promise.reject(new Error('disk on fire')) : enqueue.call(this, c, o);
    };
    let failed: Made;
    try {
      failed = await getOrCreateJob(dir, { overlapCheckpointWrites: true });
      await failed.ssc.start();
      await failed.clock.advance(4000).catch((e: unknown) => expect(String(e)).toContain('disk on fire'));
      await expect(failed.ssc.awaitTermination()).rejects.toThrow('disk on fire');
    } finally {
      CheckpointStore.prototype.enqueue = enqueue;
    }
    // Batch 2 s was reported done before its write failed; batch 3 s may have run meanwhile, no later one.
    expect(failed.times.slice(0, 2)).toEqual([1000, 2000]);
    expect(failed.times.length).toBeLessThanOrEqual(3);
    const again = await resume(dir, 4);
    expect(again.ssc.recoveredFrom).toBe(1000);
    expect(again.times).toEqual([2000, 3000, 4000]);
    const ref = await resume(tempDir(), 4);
    for (const t of [2000, 3000, 4000]) expect(again.outputs.get(`${t}-totals`)).toEqual(ref.outputs.get(`${t}-totals`));
  });
});
