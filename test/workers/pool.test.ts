// The worker pool: a job defined by its module runs its shuffles in worker threads with the same
// results as on one thread, partition by partition; errors of the job's functions in a thread
// fail the batch as they do on one thread; a job without a module runs as it always did.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext, type CompletedBatchInfo, type OutputOperationInfo, type StreamingContextOptions } from '../../src/index.js';
import { LinesRDD } from '../../src/rdd/LinesRDD.js';
import type { ReceiverInputDStream } from '../../src/receivers/index.js';
import type { WorkerPool } from '../../src/workers/WorkerPool.js';
import { generatedLines, tempDir, waitFor } from '../receivers/helpers.js';
import { describeFailure } from '../../src/util/usage.js';
import {
  dangling,
  failing,
  flaky,
  lineGroups,
  mainThreadMerges,
  means,
  ParseError,
  pointGroups,
  symbolTags,
  seen,
  state,
  stateOnly,
  throwing,
  throwsLater,
  twoShuffles,
  wordcount,
  window as windowed,
  type Params,
} from './jobs.js';

/**
 * A server on a free port below 32768 whose connections `onConnection` handles; `close` also
 * destroys the connections it kept open.
 */
async function listen(onConnection: (s: net.Socket, open: net.Socket[]) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const open: net.Socket[] = [];
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = net.createServer((s) => {
      s.on('error', () => undefined);
      onConnection(s, open);
    });
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!ok) continue;
    const close = (): Promise<void> => {
      for (const s of open) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    };
    return { port, close };
  }
}

/**
 * A server that sends `text` to each new run's first connection and closes it; a receiver's
 * reconnection after that gets nothing (the connection stays open). `next()` lets the next
 * connection have the text again.
 */
async function serve(text: string): Promise<{ port: number; close: () => Promise<void>; next: () => void }> {
  let served = false;
  const server = await listen((s, open) => {
    if (served) {
      open.push(s);
      return;
    }
    served = true;
    s.end(text);
  });
  return { ...server, next: () => void (served = false) };
}

/** A server that sends `text` to its one connection at once, and again at each `again()`, never closing it. */
async function feed(text: string): Promise<{ port: number; close: () => Promise<void>; again: () => void }> {
  let first: net.Socket | undefined;
  const server = await listen((s, open) => {
    open.push(s);
    first ??= s;
    s.write(text);
  });
  return { ...server, again: () => void first!.write(text) };
}

const lines = generatedLines(40_000);
const text = lines.join('\n') + '\n';
const words = lines.flatMap((l) => l.split(' ')).filter((w) => w.length > 0);
const expectedCounts = new Map<string, number>();
for (const w of words) expectedCounts.set(w.toLowerCase(), (expectedCounts.get(w.toLowerCase()) ?? 0) + 1);
const sortedPairs = (ps: [string, number][]): [string, number][] => [...ps].sort((a, b) => (a[0] < b[0] ? -1 : 1));

const contexts: StreamingContext[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const ssc of contexts.splice(0)) await ssc.stop();
  for (const c of cleanups.splice(0)) await c();
});

/** A running context's pool (internal), for tests of which threads serve it. */
type Pool = { threads: { worker: { threadId: number; terminate(): Promise<number> } }[] };
const poolOf = (ssc: StreamingContext): Pool => (ssc as unknown as { pool: Pool }).pool;
const threadIds = (ssc: StreamingContext): number[] => poolOf(ssc).threads.map((t) => t.worker.threadId);
/** How many tasks a running context's pool has been given (internal; a kept pool counts on across contexts). */
const tasksOf = (ssc: StreamingContext): number => (ssc as unknown as { pool?: { nextId: number } }).pool?.nextId ?? 0;

/** The lines a context's socket receiver has received so far (internal). */
const receivedLines = (ssc: StreamingContext): number =>
  ((ssc.graph.inputs[0] as ReceiverInputDStream<string>).receiver as unknown as { stats: { lines: number } }).stats.lines;

let runs = 0;
const runId = (): string => `run-${++runs}`;

/** A context of `job` on two threads reading `port`, started, and its first batch run once every line came in. */
async function firstBatch(
  job: { create(options: StreamingContextOptions, p: Params): StreamingContext },
  port: number,
): Promise<{ ssc: StreamingContext; clock: ManualClock; run: string }> {
  const run = runId();
  const clock = new ManualClock();
  const ssc = job.create({ batchDuration: 1000, clock, workers: 2 }, { port, run });
  contexts.push(ssc);
  await ssc.start();
  await waitFor(() => receivedLines(ssc) === lines.length, 'all lines received');
  await clock.advance(1000);
  return { ssc, clock, run };
}

describe('worker pool', () => {
  it('wordcount: one batch of the same lines gives the same partitions, in the same order, on 1 and 3 threads', async () => {
    const { port, close, next } = await serve(text);
    cleanups.push(close);
    const batches: Record<number, [string, number][][]> = {};
    for (const workers of [1, 3]) {
      const run = runId();
      next();
      const clock = new ManualClock();
      const ssc = wordcount.create({ batchDuration: 1000, clock, workers }, { port, run });
      contexts.push(ssc);
      await ssc.start();
      // Everything received before the one batch is cut: its RDD holds all the lines.
      await waitFor(() => receivedLines(ssc) === lines.length, 'all lines received');
      await clock.advance(1000);
      expect(seen.get(run)!.words).toBe(words.length);
      batches[workers] = seen.get(run)!.batches;
      await ssc.stop();
    }
    expect(batches[3]).toEqual(batches[1]);
    expect(sortedPairs(batches[3]!.flat())).toEqual(sortedPairs([...expectedCounts]));
  });

  it('the threads give each slice\'s buffer back, and the next batch copies its lines into it: counts stay exact', async () => {
    const { port, close, again } = await feed(text);
    cleanups.push(close);
    const run = runId();
    const clock = new ManualClock();
    const ssc = wordcount.create({ batchDuration: 1000, clock, workers: 2 }, { port, run });
    contexts.push(ssc);
    const kept = (): number => (ssc as unknown as { pool: { buffers: { keptBytes: number } } }).pool.buffers.keptBytes;
    await ssc.start();
    await waitFor(() => receivedLines(ssc) === lines.length, 'all lines received');
    await clock.advance(1000);
    expect(seen.get(run)!.words).toBe(words.length);
    const afterFirst = kept();
    expect(afterFirst).toBeGreaterThan(0); // both slices' buffers came back
    // The text again on the same connection: a second batch as large.
    again();
    await waitFor(() => receivedLines(ssc) === 2 * lines.length, 'the lines received again');
    await clock.advance(1000);
    expect(seen.get(run)!.words).toBe(2 * words.length);
    expect(sortedPairs(seen.get(run)!.batches[1]!)).toEqual(sortedPairs([...expectedCounts]));
    expect(kept()).toBe(afterFirst); // the same buffers, used again and given back: none made
  });

  it('state and window jobs: the same final state and window on 1 and 2 threads as the lines say', async () => {
    const { port, close, next } = await serve(text);
    cleanups.push(close);
    for (const job of [state, windowed]) {
      const results: [string, number][][] = [];
      for (const workers of [1, 2]) {
        const run = runId();
        next();
        const dir = tempDir('dstreams-pool-');
        cleanups.push(dir.remove);
        const ssc = job.create({ batchDuration: 100, checkpointDir: dir.dir, workers }, { port, run });
        contexts.push(ssc);
        await ssc.start();
        await waitFor(() => (seen.get(run)?.words ?? 0) >= words.length, `${job.name}: all words counted`);
        await ssc.stop();
        expect(seen.get(run)!.words).toBe(words.length);
        results.push(sortedPairs(seen.get(run)!.last));
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[0]).toEqual(sortedPairs([...expectedCounts]));
    }
  });

  it('a shuffle that only state and a window read runs in the pool: the same state and window as on one thread, its values merged once', async () => {
    const { port, close, next } = await serve(text);
    cleanups.push(close);
    const results: { state: [string, number][]; window: [string, number][]; tasks: number; merges: number }[] = [];
    for (const workers of [1, 2]) {
      const run = runId();
      next();
      const dir = tempDir('dstreams-pool-');
      cleanups.push(dir.remove);
      const clock = new ManualClock();
      const ssc = stateOnly.create({ batchDuration: 1000, clock, checkpointDir: dir.dir, workers }, { port, run });
      contexts.push(ssc);
      await ssc.start();
      const tasks = tasksOf(ssc);
      mainThreadMerges.counts = 0;
      await waitFor(() => receivedLines(ssc) === lines.length, 'all lines received');
      await clock.advance(1000);
      const r = seen.get(run)!;
      expect(r.words).toBe(words.length);
      expect(r.batches).toHaveLength(1);
      results.push({ state: r.last, window: r.batches[0]!, tasks: tasksOf(ssc) - tasks, merges: mainThreadMerges.counts });
      await ssc.stop();
    }
    const [one, pool] = results as [(typeof results)[0], (typeof results)[0]];
    expect(one.merges).toBeGreaterThan(0);
    expect(pool.tasks).toBe(2); // one slice a thread
    expect(pool.merges).toBe(0); // the pool's result, not a second combine on this thread
    expect(pool.state).toEqual(one.state);
    expect(pool.window).toEqual(one.window);
    expect(sortedPairs(pool.state)).toEqual(sortedPairs([...expectedCounts]));
    expect(sortedPairs(pool.window)).toEqual(sortedPairs([...expectedCounts]));
  });

  it('two shuffles of the same stream both run in the pool, and each reads its own result: as on one thread', async () => {
    const { port, close, next } = await serve(text);
    cleanups.push(close);
    const results: { batches: [string, number][][]; tasks: number; merges: number }[] = [];
    for (const workers of [1, 2]) {
      const run = runId();
      next();
      const clock = new ManualClock();
      const ssc = twoShuffles.create({ batchDuration: 1000, clock, workers }, { port, run });
      contexts.push(ssc);
      await ssc.start();
      const tasks = tasksOf(ssc);
      mainThreadMerges.counts = mainThreadMerges.groups = 0;
      await waitFor(() => receivedLines(ssc) === lines.length, 'all lines received');
      await clock.advance(1000);
      results.push({ batches: seen.get(run)!.batches, tasks: tasksOf(ssc) - tasks, merges: mainThreadMerges.counts + mainThreadMerges.groups });
      await ssc.stop();
    }
    const [one, pool] = results as [(typeof results)[0], (typeof results)[0]];
    expect(one.merges).toBeGreaterThan(0);
    expect(pool.tasks).toBe(4); // two shuffles, one slice a thread each
    expect(pool.merges).toBe(0);
    expect(pool.batches).toEqual(one.batches);
    expect(pool.batches).toHaveLength(2);
    for (const batch of pool.batches) expect(sortedPairs(batch)).toEqual(sortedPairs([...expectedCounts]));
  });

  it('errors a structured clone would mangle reach the main thread as one thread has them: name, message, cause, stack', async () => {
    const { port, close, next } = await serve('a b c\nd boom e\nf\n');
    cleanups.push(close);
    const failure = async (how: Params['how'], workers: number): Promise<{ error: unknown; reason: string | undefined }> => {
      next();
      const ssc = throwing.create({ batchDuration: 100, workers }, { port, run: runId(), poison: 'boom', how });
      contexts.push(ssc);
      let reason: string | undefined;
      ssc.addStreamingListener({ onBatchCompleted: (b) => void (reason ??= b.failureReason) });
      await ssc.start();
      const error = await ssc.awaitTermination().then(
        () => undefined,
        (e: unknown) => e,
      );
      return { error, reason };
    };
    const same = (one: { error: unknown; reason: string | undefined }, pool: { error: unknown; reason: string | undefined }): Error => {
      const [a, b] = [one.error as Error, pool.error as Error];
      expect(b).toBeInstanceOf(Error);
      expect(b.name).toBe(a.name);
      expect(b.message).toBe(a.message);
      expect(String(b)).toBe(String(a));
      expect(describeFailure(b)).toBe(describeFailure(a));
      // The batch's failureReason is the stack: the thread's, with the same first line.
      expect(pool.reason?.split('\n')[0]).toBe(one.reason?.split('\n')[0]);
      expect(b.stack?.split('\n')[0]).toBe(a.stack?.split('\n')[0]);
      return b;
    };

    // atob's DOMException: a clone makes `{}` of it.
    const dom = same(await failure('dom', 1), await failure('dom', 2));
    expect(dom.name).toBe('InvalidCharacterError');
    expect(dom.message).not.toBe('');

    // A cause a clone cannot carry: its text, the message as it was (no "Error: " in front).
    const causeFn = same(await failure('causeFn', 1), await failure('causeFn', 2));
    expect(causeFn.message).toBe('outer failure');
    expect(causeFn.cause).toBe('[object Object]');

    // A class of the job's own: its base class, with its name, its cause and its code.
    const one = await failure('named', 1);
    expect(one.error).toBeInstanceOf(ParseError);
    const named = same(one, await failure('named', 2));
    expect(named.name).toBe('ParseError');
    expect((named as Error & { code?: string }).code).toBe('E_PARSE');
    expect(named.cause).toBeInstanceOf(RangeError);
    expect((named.cause as Error).message).toBe('offset 7 out of range');

    // A symbol key (one thread keeps it): the pool's answer cannot carry it, and says so, naming it.
    const symbol = (await failure('symbol', 2)).error as Error;
    expect(symbol).toBeInstanceOf(TypeError);
    expect(symbol.message).toMatch(/a key is a symbol \(Symbol\(boom\)\).*workers: 1/);
  }, 30_000);

  it('a job whose module does not export its definition cannot start a pool, and says so; on one thread it runs', async () => {
    const { createHidden } = await import('./mismatch.job.js');
    const pooled = createHidden(2);
    contexts.push(pooled);
    await expect(pooled.start()).rejects.toThrow(/exports no job definition named "hidden" \(found: job\)/);
    const single = createHidden(1);
    contexts.push(single);
    await single.start();
    expect(single.state).toBe('active');
  });

  it('a user function that throws in a worker thread fails the batch as on one thread: listeners and awaitTermination see it', async () => {
    const { port, close, next } = await serve('a b c\nd boom e\nf\n');
    cleanups.push(close);
    const outcomes: { error: unknown; batch: CompletedBatchInfo | undefined; op: OutputOperationInfo | undefined }[] = [];
    for (const workers of [1, 2]) {
      next();
      const ssc = failing.create({ batchDuration: 100, workers }, { port, run: runId(), poison: 'boom' });
      contexts.push(ssc);
      let batch: CompletedBatchInfo | undefined;
      let op: OutputOperationInfo | undefined;
      ssc.addStreamingListener({
        onBatchCompleted: (b) => void (b.failureReason && (batch ??= b)),
        onOutputOperationCompleted: (o) => void (o.failureReason && (op ??= o)),
      });
      await ssc.start();
      const error = await ssc.awaitTermination().then(
        () => undefined,
        (e: unknown) => e,
      );
      outcomes.push({ error, batch, op });
    }
    for (const { error, batch, op } of outcomes) {
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toBe('poisoned word: boom');
      expect(batch?.failureReason).toContain('poisoned word: boom');
      expect(op?.failureReason).toContain('poisoned word: boom');
      expect(op?.batchTime).toBe(batch?.batchTime);
    }
  });

  it('combined values of a class of the job\'s own fail the batch on a pool, naming the class; one thread keeps them', async () => {
    const { port, close, next } = await serve(text);
    cleanups.push(close);
    const errors: unknown[] = [];
    const counted: number[] = [];
    for (const workers of [1, 2]) {
      next();
      const run = runId();
      const clock = new ManualClock();
      const ssc = means.create({ batchDuration: 1000, clock, workers }, { port, run });
      contexts.push(ssc);
      await ssc.start();
      await waitFor(() => receivedLines(ssc) === lines.length, 'all lines received');
      await clock.advance(1000).catch(() => undefined);
      counted.push(seen.get(run)?.words ?? 0);
      await ssc.stop();
      errors.push(await ssc.awaitTermination().then(() => undefined, (e: unknown) => e));
    }
    expect(counted).toEqual([words.length, 0]);
    expect(errors[0]).toBeUndefined();
    expect(errors[1]).toBeInstanceOf(Error);
    expect((errors[1] as Error).message).toMatch(/combined value is an instance of Mean.*workers: 1/);
  });

  it('a job without a module runs on this thread whatever workers says', async () => {
    const { port, close } = await serve(text);
    cleanups.push(close);
    const ssc = new StreamingContext({ batchDuration: 100, workers: 4 });
    contexts.push(ssc);
    const totals = new Map<string, number>();
    let n = 0;
    let bytes = false;
    const stream = ssc.socketTextStream('127.0.0.1', port);
    stream.foreachRDD((rdd) => void (bytes ||= rdd instanceof LinesRDD));
    stream
      .flatMap((l) => l.split(' '))
      .filter((w) => w.length > 0)
      .map((w): [string, number] => [w.toLowerCase(), 1])
      .reduceByKey((a, b) => a + b)
      .foreachRDD((rdd) => {
        for (const [w, c] of rdd.collect()) {
          totals.set(w, (totals.get(w) ?? 0) + c);
          n += c;
        }
      });
    await ssc.start();
    await waitFor(() => n >= words.length, 'all words counted');
    expect(bytes).toBe(false);
    expect(sortedPairs([...totals])).toEqual(sortedPairs([...expectedCounts]));
  });

  it('a stopped context\'s pool serves the next context of the same job and size: the same threads build the graph from the new parameters, counts stay exact', async () => {
    const { port, close, next } = await serve(text);
    cleanups.push(close);
    // Another server: the second context's parameters differ (its port), so its graph is built again.
    const other = await serve(text);
    cleanups.push(other.close);
    const ids: number[][] = [];
    for (const [workers, at] of [[2, port], [2, other.port], [3, port]] as const) {
      const run = runId();
      next();
      const clock = new ManualClock();
      const ssc = wordcount.create({ batchDuration: 1000, clock, workers }, { port: at, run });
      contexts.push(ssc);
      await ssc.start();
      ids.push(threadIds(ssc));
      await waitFor(() => receivedLines(ssc) === lines.length, 'all lines received');
      await clock.advance(1000);
      expect(seen.get(run)!.words).toBe(words.length);
      expect(sortedPairs(seen.get(run)!.batches[0]!)).toEqual(sortedPairs([...expectedCounts]));
      await ssc.stop();
    }
    expect(ids[1]).toEqual(ids[0]); // the same threads, for the new parameters
    expect(ids[2]!.some((id) => ids[0]!.includes(id))).toBe(false); // another size: new threads
  });

  it('a thread whose build makes a different graph stops the start, naming the difference', async () => {
    const mismatch = await import('./mismatch.job.js');
    const ssc = mismatch.job.create({ batchDuration: 100, workers: 2 }, undefined);
    contexts.push(ssc);
    await expect(ssc.start()).rejects.toThrow(/built a different graph in a worker thread: stream 1 is FilteredDStream there but FlatMappedDStream in the main thread/);
  });

  it('a thread whose build wires the same kinds of stream differently stops the start, naming the stream and what it reads', async () => {
    const rewired = await import('./rewired.job.js');
    const ssc = rewired.job.create({ batchDuration: 100, workers: 2 }, undefined);
    contexts.push(ssc);
    await expect(ssc.start()).rejects.toThrow(
      /built a different graph in a worker thread: stream 3 \(MappedDStream\) reads stream 2 there but stream 1 in the main thread/,
    );
  });

  it('a released pool whose threads build a different graph for the new parameters stops the start, naming the difference; the next start gets new threads', async () => {
    const { byParams } = await import('./params.job.js');
    const first = byParams.create({ batchDuration: 100, workers: 2 }, { differ: false });
    await first.start();
    await first.stop();
    const differs = byParams.create({ batchDuration: 100, workers: 2 }, { differ: true });
    contexts.push(differs);
    await expect(differs.start()).rejects.toThrow(/built a different graph in a worker thread: stream 1 is FilteredDStream there but FlatMappedDStream in the main thread/);
    const again = byParams.create({ batchDuration: 100, workers: 2 }, { differ: false });
    contexts.push(again);
    await again.start();
    expect(again.state).toBe('active');
  });

  it('a kept pool whose thread died while idle is not used: the next start gets new threads and counts exactly', async () => {
    const { port, close, next } = await serve(text);
    cleanups.push(close);
    const first = wordcount.create({ batchDuration: 1000, workers: 2 }, { port, run: runId() });
    await first.start();
    const kept = poolOf(first);
    const before = threadIds(first);
    await first.stop();
    await kept.threads[0]!.worker.terminate();
    next();
    const run = runId();
    const clock = new ManualClock();
    const ssc = wordcount.create({ batchDuration: 1000, clock, workers: 2 }, { port, run });
    contexts.push(ssc);
    await ssc.start();
    const after = threadIds(ssc);
    expect(after.some((id) => before.includes(id))).toBe(false);
    await waitFor(() => receivedLines(ssc) === lines.length, 'all lines received');
    await clock.advance(1000);
    expect(seen.get(run)!.words).toBe(words.length);
  });

  it('a shuffle that no output reads is left alone: the batch runs on the pool and counts exactly', async () => {
    const { port, close } = await serve(text);
    cleanups.push(close);
    const { ssc, run } = await firstBatch(dangling, port);
    expect(seen.get(run)!.words).toBe(words.length);
    expect(poolOf(ssc).threads.length).toBe(2);
  });

  it('a pool whose threads died and whose new threads cannot build the graph fails the next batch instead of waiting for a thread', async () => {
    const { port, close, again } = await feed(text);
    cleanups.push(close);
    const { ssc, clock, run } = await firstBatch(flaky, port);
    expect(seen.get(run)!.words).toBe(words.length);
    process.env.DSTREAMS_TEST_FAIL_BUILD = '1';
    try {
      for (const t of poolOf(ssc).threads.slice()) await t.worker.terminate();
      await waitFor(() => poolOf(ssc).threads.length === 0, 'the new threads failed their builds');
    } finally {
      delete process.env.DSTREAMS_TEST_FAIL_BUILD;
    }
    again();
    await waitFor(() => receivedLines(ssc) === 2 * lines.length, 'the lines received again');
    await clock.advance(1000).catch(() => undefined);
    const error = await ssc.awaitTermination().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/no thread left/);
    expect(seen.get(run)!.words).toBe(words.length);
  });

  it('closing a pool fails the tasks its threads are running and the ones queued: none is left unsettled', async () => {
    const { port, close } = await serve(text);
    cleanups.push(close);
    const ssc = wordcount.create({ batchDuration: 1000, clock: new ManualClock(), workers: 2 }, { port, run: runId() });
    contexts.push(ssc);
    await ssc.start();
    const pool = (ssc as unknown as { pool: WorkerPool }).pool;
    const shuffle = ssc.graph.streams.find((s) => s.kind === 'ShuffledDStream')!.id;
    const bytes = (): Uint8Array => {
      const b = pool.buffer(text.length);
      b.set(Buffer.from(text));
      return b;
    };
    // Two running (one a thread) and one queued when the pool closes.
    const tasks = [0, 1, 2].map(() => pool.run({ shuffle, bytes: bytes() }).then(() => 'done', (e: Error) => e.message));
    await pool.close();
    expect(await Promise.all(tasks)).toEqual(Array(3).fill('the worker pool has been closed'));
  });

  it('groupByKey: a key with more values than a call takes arguments, and lines that start with a byte-order mark, group as on one thread', async () => {
    const text = 'k\n'.repeat(1_000_000) + '\uFEFFx\n'.repeat(50_000);
    const { port, close, next } = await serve(text);
    cleanups.push(close);
    const results: unknown[] = [];
    for (const workers of [1, 2]) {
      next();
      const run = runId();
      const clock = new ManualClock();
      const ssc = lineGroups.create({ batchDuration: 1000, clock, workers }, { port, run });
      contexts.push(ssc);
      await ssc.start();
      await waitFor(() => receivedLines(ssc) === 1_050_000, 'all lines received');
      await clock.advance(1000);
      await ssc.stop(); // before next(): its receiver would take the text again
      results.push(seen.get(run)?.batches.flat().sort());
    }
    expect(results[0]).toEqual([['k', 1_000_000], ['\uFEFFx', 50_000]]);
    expect(results[1]).toEqual(results[0]);
  });

  /** `job` over `text` on one thread, then on a pool of 2: how each run ended, and the words its output saw. */
  async function oneThreadThenPool(job: typeof pointGroups, text: string, lines: number): Promise<{ errors: unknown[]; words: (number | undefined)[] }> {
    const { port, close, next } = await serve(text);
    cleanups.push(close);
    const errors: unknown[] = [];
    const words: (number | undefined)[] = [];
    for (const workers of [1, 2]) {
      next();
      const run = runId();
      const clock = new ManualClock();
      const ssc = job.create({ batchDuration: 1000, clock, workers }, { port, run });
      contexts.push(ssc);
      await ssc.start();
      await waitFor(() => receivedLines(ssc) === lines, 'all lines received');
      await clock.advance(1000).catch(() => undefined);
      await ssc.stop();
      errors.push(await ssc.awaitTermination().then(() => undefined, (e: unknown) => e));
      words.push(seen.get(run)?.words);
    }
    return { errors, words };
  }

  it('a group of class instances fails the batch on a pool, naming the class and where it is; one thread keeps them', async () => {
    const { errors } = await oneThreadThenPool(pointGroups, 'a -2 b\na 3\n', 2);
    expect(errors[0]).toBeUndefined();
    expect((errors[1] as Error).message).toMatch(/combined value holds an instance of Point \(at \[\d\]\).*workers: 1/);
  });

  it('a symbol in a combined value fails the batch on a pool, naming it; one thread keeps it', async () => {
    const { errors, words } = await oneThreadThenPool(symbolTags, 'a b\na\n', 2);
    expect([errors[0], words[0]]).toEqual([undefined, 2]);
    expect((errors[1] as Error).message).toMatch(/combined value is a symbol \(Symbol\(tag\)\).*workers: 1/);
  });

  it('params that a structured clone would change (a class instance) stop a pool start, naming them', async () => {
    class Settings {
      constructor(readonly port: number, readonly run: string) {}
    }
    const ssc = wordcount.create({ batchDuration: 1000, clock: new ManualClock(), workers: 2 }, new Settings(1, runId()));
    contexts.push(ssc);
    await expect(ssc.start()).rejects.toThrow(/params is an instance of Settings.*plain data/);
  });

  it('a job module that starts a context when a pool thread imports it stops the start, saying why', async () => {
    const { selfStarting } = await import('./selfstart.job.js');
    const ssc = selfStarting.create({ batchDuration: 1000, clock: new ManualClock(), workers: 2 }, { port: 1 });
    contexts.push(ssc);
    await expect(ssc.start()).rejects.toThrow(/worker pool thread imported it/);
  });

  it('an error the job\'s code throws in a thread after its task answered fails the context, as on one thread', async () => {
    const { port, close } = await feed('a b\nboom c\n');
    cleanups.push(close);
    const ssc = throwsLater.create({ batchDuration: 100, workers: 2 }, { port, run: runId(), poison: 'boom' });
    contexts.push(ssc);
    await ssc.start();
    const error = await ssc.awaitTermination().then(() => undefined, (e: unknown) => e);
    expect((error as Error).message).toBe('thrown later for: boom');
  });

  it('workers must be a positive integer', () => {
    expect(() => wordcount.create({ batchDuration: 100, workers: 0 }, { port: 1, run: 'x' })).toThrow(/workers must be a positive integer/);
    expect(() => new StreamingContext({ batchDuration: 100, workers: 1.5 })).toThrow(/workers must be a positive integer/);
  });
});
