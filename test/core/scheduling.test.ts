// Batch scheduling with ManualClock and SystemClock, remembering and forgetting RDDs, stopping.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock, RDD, StreamingContext, SystemClock, type DStream } from '../../src/index.js';
import { listenBelowEphemeral } from '../helpers/ports.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves when `resolve()` is called: lets a test hold a batch in progress. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

function manual(startMs = 0, batchDuration = 1000): { ssc: StreamingContext; clock: ManualClock } {
  const clock = new ManualClock(startMs);
  return { ssc: new StreamingContext({ batchDuration, clock }), clock };
}

/** The RDDs a stream still holds (a protected field, read for the memory checks). */
const generated = (s: DStream<unknown>): Map<number, RDD<unknown>> =>
  (s as unknown as { generatedRDDs: Map<number, RDD<unknown>> }).generatedRDDs;

describe('batch times with a ManualClock', () => {
  it('clock at 0, batch 1000: the first batch is at 1000 and advance(k*1000) runs exactly 1000…k·1000', async () => {
    const { ssc, clock } = manual();
    const times: number[] = [];
    ssc.queueStream<number>([]).foreachRDD((_, t) => void times.push(t));
    await ssc.start();
    expect(times).toEqual([]);
    await clock.advance(999);
    expect(times).toEqual([]);
    await clock.advance(1);
    expect(times).toEqual([1000]);
    await clock.advance(3000);
    expect(times).toEqual([1000, 2000, 3000, 4000]);
    await clock.advance(500);
    expect(times).toEqual([1000, 2000, 3000, 4000]);
    await ssc.stop();
  });

  it('advance(k*1000) from 0 runs exactly k batches', async () => {
    for (const k of [1, 2, 5]) {
      const { ssc, clock } = manual();
      const times: number[] = [];
      ssc.queueStream<number>([]).foreachRDD((_, t) => void times.push(t));
      await ssc.start();
      await clock.advance(k * 1000);
      expect(times).toEqual(Array.from({ length: k }, (_, i) => (i + 1) * 1000));
      await ssc.stop();
    }
  });

  it('a clock starting at 1500 makes the first batch 2000', async () => {
    const { ssc, clock } = manual(1500);
    const times: number[] = [];
    ssc.queueStream<number>([]).foreachRDD((_, t) => void times.push(t));
    await ssc.start();
    await clock.advance(499);
    expect(times).toEqual([]);
    await clock.advance(1);
    expect(times).toEqual([2000]);
    await clock.advance(1000);
    expect(times).toEqual([2000, 3000]);
    await ssc.stop();
  });

  it('a clock exactly on a batch boundary starts at the next one (strictly after)', async () => {
    const { ssc, clock } = manual(3000);
    const times: number[] = [];
    ssc.queueStream<number>([]).foreachRDD((_, t) => void times.push(t));
    await ssc.start();
    await clock.advance(1000);
    expect(times).toEqual([4000]);
    await ssc.stop();
  });

  it('setTime runs what is due like advance', async () => {
    const { ssc, clock } = manual();
    const times: number[] = [];
    ssc.queueStream<number>([]).foreachRDD((_, t) => void times.push(t));
    await ssc.start();
    await clock.setTime(2500);
    expect(times).toEqual([1000, 2000]);
    await ssc.stop();
  });

  it('batches run one at a time, in time order', async () => {
    const { ssc, clock } = manual();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    ssc.queueStream([[1], [2], [3], [4]]).foreachRDD(async (rdd, t) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${t}`);
      await sleep(5 * (5 - rdd.first())); // earlier batches take longer
      log.push(`end ${t}`);
      running--;
    });
    await ssc.start();
    await clock.advance(4000);
    await ssc.stop();
    expect(maxRunning).toBe(1);
    expect(log).toEqual([
      'start 1000',
      'end 1000',
      'start 2000',
      'end 2000',
      'start 3000',
      'end 3000',
      'start 4000',
      'end 4000',
    ]);
  });

  it('async foreachRDD functions are awaited in registration order before the batch completes', async () => {
    const { ssc, clock } = manual();
    const log: string[] = [];
    const s = ssc.queueStream([[1], [2]]);
    s.foreachRDD(async (_, t) => {
      log.push(`A start ${t}`);
      await sleep(20);
      log.push(`A end ${t}`);
    });
    s.foreachRDD((_, t) => void log.push(`B ${t}`));
    s.foreachRDD(async (_, t) => {
      await sleep(1);
      log.push(`C end ${t}`);
    });
    ssc.addStreamingListener({ onBatchCompleted: (info) => void log.push(`completed ${info.batchTime}`) });
    await ssc.start();
    await clock.advance(1000);
    expect(log).toEqual(['A start 1000', 'A end 1000', 'B 1000', 'C end 1000', 'completed 1000']);
    await clock.advance(1000);
    expect(log.slice(5)).toEqual(['A start 2000', 'A end 2000', 'B 2000', 'C end 2000', 'completed 2000']);
    await ssc.stop();
  });

  it('advance resolves only after the batch’s async output has finished', async () => {
    const { ssc, clock } = manual();
    let done = false;
    ssc.queueStream([[1]]).foreachRDD(async () => {
      await sleep(30);
      done = true;
    });
    await ssc.start();
    await clock.advance(1000);
    expect(done).toBe(true);
    await ssc.stop();
  });

  it('advance(0) and advance before start do not run batches; start uses the clock’s time then', async () => {
    const { ssc, clock } = manual();
    const times: number[] = [];
    ssc.queueStream<number>([]).foreachRDD((_, t) => void times.push(t));
    await clock.advance(2500);
    await ssc.start();
    await clock.advance(0);
    expect(times).toEqual([]);
    await clock.advance(500);
    expect(times).toEqual([3000]);
    await ssc.stop();
  });

  it('advance rejects a negative or non-finite amount', async () => {
    const clock = new ManualClock();
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
    await expect(clock.advance(Number.NaN)).rejects.toThrow(RangeError);
    expect(() => new ManualClock(Number.NaN)).toThrow(RangeError);
  });
});

describe('remembering RDDs', () => {
  it('remember() keeps RDDs for slice; without it only the latest batch is kept', async () => {
    const { ssc, clock } = manual();
    const a = ssc.queueStream([[1], [2], [3], [4], [5]]);
    a.foreachRDD(() => undefined);
    const b = manual();
    const plain = b.ssc.queueStream([[1], [2], [3], [4], [5]]);
    plain.foreachRDD(() => undefined);
    ssc.remember(3000);
    await ssc.start();
    await b.ssc.start();
    await clock.advance(5000);
    await b.clock.advance(5000);
    // Spark: after batch t, RDDs at times <= t - rememberDuration are dropped.
    expect(a.slice(0, 5000).map((r) => r.collect())).toEqual([[3], [4], [5]]);
    expect(plain.slice(0, 5000).map((r) => r.collect())).toEqual([[5]]);
    await ssc.stop();
    await b.ssc.stop();
  });

  it('remember also keeps the RDDs of derived streams that computed them', async () => {
    const { ssc, clock } = manual();
    const doubled = ssc.queueStream([[1], [2], [3]]).map((x) => x * 2);
    doubled.foreachRDD((rdd) => void rdd.collect());
    ssc.remember(10_000);
    await ssc.start();
    await clock.advance(3000);
    expect(doubled.slice(1000, 3000).map((r) => r.collect())).toEqual([[2], [4], [6]]);
    await ssc.stop();
  });

  it('RDDs older than the remember duration are forgotten: memory stays flat over 1,000 batches', async () => {
    const { ssc, clock } = manual();
    const queue: number[][] = [];
    const input = ssc.queueStream(queue);
    const mapped = input.map((x) => x + 1);
    const counted = mapped.count();
    let total = 0;
    counted.foreachRDD((rdd) => void (total += rdd.first()));
    ssc.remember(5000);
    await ssc.start();
    const sizes: number[] = [];
    for (let i = 0; i < 1000; i++) {
      queue.push([i, i]);
      await clock.advance(1000);
      if (i % 100 === 99) sizes.push(generated(input).size, generated(mapped).size, generated(counted).size);
    }
    expect(total).toBe(2000);
    for (const n of sizes) expect(n).toBeLessThanOrEqual(5);
    const graph = ssc.graph as unknown as { inputRecords: Map<number, unknown> };
    expect(graph.inputRecords.size).toBe(0);
    await ssc.stop();
  });

  it('a forgotten shuffle lets go of its table: read again, it combines again, to the same result', async () => {
    const { ssc, clock } = manual();
    let merges = 0;
    const kept: RDD<[string, number]>[] = [];
    ssc
      .queueStream([['a', 'b', 'a'], ['c'], ['d'], ['e']])
      .map((w): [string, number] => [w, 1])
      .reduceByKey((x, y) => (merges++, x + y))
      .foreachRDD((rdd) => {
        kept.push(rdd);
        rdd.count();
      });
    await ssc.start();
    await clock.advance(1000);
    expect(merges).toBe(1);
    expect(kept[0]!.collect()).toEqual([['a', 2], ['b', 1]]);
    expect(merges).toBe(1); // still remembered: its table is read, not made again
    await clock.advance(3000); // a catch-up: batches 2000-4000 are all made before the first runs
    expect(merges).toBe(1);
    expect(kept[0]!.collect()).toEqual([['a', 2], ['b', 1]]);
    expect(merges).toBe(2); // forgotten after batch 2000: the table was let go and is made again
    await ssc.stop();
  });
});

describe('stopping', () => {
  it('graceful stop finishes the batches already due', async () => {
    const { ssc, clock } = manual();
    const g = gate();
    const done: number[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD(async (_, t) => {
      await g.promise;
      done.push(t);
    });
    await ssc.start();
    const advanced = clock.advance(3000); // batches 1000, 2000, 3000 due; 1000 blocks
    await sleep(5);
    const stopped = ssc.stop({ graceful: true });
    g.open();
    await stopped;
    await advanced;
    expect(done).toEqual([1000, 2000, 3000]);
    await expect(ssc.awaitTermination()).resolves.toBeUndefined();
  });

  it('non-graceful stop lets the running batch finish and drops the queued ones', async () => {
    const { ssc, clock } = manual();
    const g = gate();
    const done: number[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD(async (_, t) => {
      await g.promise;
      done.push(t);
    });
    await ssc.start();
    const advanced = clock.advance(3000);
    await sleep(5);
    const stopped = ssc.stop();
    g.open();
    await stopped;
    await advanced;
    expect(done).toEqual([1000]);
  });

  it('graceful stop with a SystemClock runs a batch whose time has come', async () => {
    const ssc = new StreamingContext({ batchDuration: 50 });
    const times: number[] = [];
    ssc.queueStream<number>([]).foreachRDD((_, t) => void times.push(t));
    await ssc.start();
    await sleep(130);
    await ssc.stop({ graceful: true });
    const n = times.length;
    expect(n).toBeGreaterThanOrEqual(1);
    await sleep(120);
    expect(times.length).toBe(n); // nothing after stop
  });

  it('graceful stop runs the batches whose time has come even if the timer has not fired', async () => {
    // A clock that is not a ManualClock: the context uses real timers, but we set the time.
    for (const graceful of [true, false]) {
      let now = 0;
      const ssc = new StreamingContext({ batchDuration: 1000, clock: { getTimeMillis: () => now } });
      const times: number[] = [];
      ssc.queueStream([[1], [2], [3], [4]]).foreachRDD((_, t) => void times.push(t));
      await ssc.start(); // the first batch, 1000, is a real second away
      now = 3500;
      await ssc.stop({ graceful });
      expect(times).toEqual(graceful ? [1000, 2000, 3000] : []);
    }
  });

  /** A queue job on a real clock, started and past its first (empty) batch: what it sees. */
  async function runningQueueJob(): Promise<{ ssc: StreamingContext; queue: number[][]; seen: number[] }> {
    const ssc = new StreamingContext({ batchDuration: 100 });
    const queue: number[][] = [];
    const seen: number[] = [];
    let batches = 0;
    ssc.queueStream(queue).foreachRDD((rdd) => {
      batches++;
      seen.push(...rdd.collect());
    });
    await ssc.start();
    while (batches < 1) await sleep(10);
    return { ssc, queue, seen };
  }

  it('graceful stop on a real clock runs one more batch for every input: a queue element added just before the stop is processed (Spark)', async () => {
    const { ssc, queue, seen } = await runningQueueJob();
    queue.push([1, 2, 3]);
    await ssc.stop({ graceful: true });
    expect(seen).toEqual([1, 2, 3]);
  });

  it("stop takes PySpark's order too, stop(stopSparkContext, stopGraceFully), and refuses anything else", async () => {
    const { ssc, queue, seen } = await runningQueueJob();
    queue.push([7]);
    await ssc.stop(true, true);
    expect(seen).toEqual([7]);
    const other = new StreamingContext({ batchDuration: 100 });
    expect(() => other.stop('graceful' as unknown as boolean)).toThrow(/stop takes \{ graceful\?: boolean \}/);
  });

  it('a second start() while the first opens its checkpoint store warns and resolves when the first does', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dstreams-double-start-'));
    const { ssc } = manual();
    ssc.checkpoint(dir);
    ssc.queueStream<number>([]).foreachRDD(() => undefined);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const first = ssc.start();
      let firstDone = false;
      void first.then(() => (firstDone = true));
      await ssc.start();
      expect(firstDone).toBe(true); // it waited for the first start
      expect(ssc.state).toBe('active');
      expect(warn.mock.calls).toEqual([['[dstreams] StreamingContext has already been started']]);
    } finally {
      warn.mockRestore();
      await ssc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a second start() while the first fails fails with it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dstreams-double-start-'));
    const { ssc } = manual();
    ssc.checkpoint(dir);
    ssc.queueStream<number>([]).foreachRDD(() => undefined);
    const other = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    other.checkpoint(dir);
    other.queueStream<number>([]).foreachRDD(() => undefined);
    await other.start(); // holds the store: the next start cannot open it
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const first = ssc.start();
      first.catch(() => undefined);
      await expect(ssc.start()).rejects.toThrow(/already in use by another StreamingContext/);
      await expect(first).rejects.toThrow(/already in use by another StreamingContext/);
    } finally {
      warn.mockRestore();
      await other.stop();
      await ssc.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('await ssc.stop() inside foreachRDD does not wait for its own batch (no deadlock)', async () => {
    for (const graceful of [false, true]) {
      const { ssc, clock } = manual();
      const times: number[] = [];
      const completed: number[] = [];
      ssc.addStreamingListener({ onBatchCompleted: (i) => void completed.push(i.batchTime) });
      ssc.queueStream([[1], [2], [3], [4]]).foreachRDD(async (_, t) => {
        times.push(t);
        if (t === 2000) await ssc.stop({ graceful });
        times.push(-t);
      });
      await ssc.start();
      const outcome = await Promise.race([clock.advance(3000).then(() => 'done'), sleep(10_000).then(() => 'hung')]);
      expect(outcome).toBe('done');
      await ssc.awaitTermination();
      // Graceful: the batch already queued (3000) still runs; otherwise it is dropped.
      expect(times).toEqual(graceful ? [1000, -1000, 2000, -2000, 3000, -3000] : [1000, -1000, 2000, -2000]);
      expect(completed).toEqual(graceful ? [1000, 2000, 3000] : [1000, 2000]);
      expect(ssc.state).toBe('stopped');
    }
  });

  it('advancing after stop runs nothing', async () => {
    const { ssc, clock } = manual();
    const times: number[] = [];
    ssc.queueStream<number>([]).foreachRDD((_, t) => void times.push(t));
    await ssc.start();
    await clock.advance(1000);
    await ssc.stop();
    await clock.advance(5000);
    expect(times).toEqual([1000]);
    expect(ssc.state).toBe('stopped');
  });

  it('a stop() while start() is under way ends the start: no input starts and the context stays stopped', async () => {
    let connections = 0;
    const server = net.createServer((sock) => {
      connections++;
      sock.on('error', () => undefined);
    });
    const port = await listenBelowEphemeral(server);
    try {
      const ssc = new StreamingContext({ batchDuration: 50 });
      ssc.socketTextStream('127.0.0.1', port).foreachRDD(() => undefined);
      let started = 0;
      ssc.addStreamingListener({ onStreamingStarted: () => void started++ });
      const starting = ssc.start();
      await ssc.stop();
      await starting;
      await sleep(300);
      expect(connections).toBe(0);
      expect(started).toBe(0);
      expect(ssc.state).toBe('stopped');
      await expect(ssc.awaitTermination()).resolves.toBeUndefined();
    } finally {
      server.close();
    }
  });

  it('a stop() while start() opens the checkpoint store closes the store: the next context opens it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dstreams-stop-starting-'));
    try {
      const clock = new ManualClock(0);
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      ssc.checkpoint(dir);
      ssc.queueStream<number>([]).foreachRDD(() => undefined);
      const starting = ssc.start();
      await ssc.stop();
      await starting;
      expect(ssc.state).toBe('stopped');
      const nextClock = new ManualClock(0);
      const next = new StreamingContext({ batchDuration: 1000, clock: nextClock });
      next.checkpoint(dir);
      const times: number[] = [];
      next.queueStream<number>([]).foreachRDD((_, t) => void times.push(t));
      await next.start();
      await nextClock.advance(1000);
      await next.stop();
      expect(times).toEqual([1000]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stop() then start() throws', async () => {
    const { ssc } = manual();
    ssc.queueStream<number>([]).foreachRDD(() => undefined);
    await ssc.start();
    await ssc.stop();
    await expect(ssc.start()).rejects.toThrow(/stopped/);
  });

  it('stop() twice is fine and returns the same completion', async () => {
    const { ssc } = manual();
    ssc.queueStream<number>([]).foreachRDD(() => undefined);
    await ssc.start();
    await Promise.all([ssc.stop(), ssc.stop({ graceful: true })]);
    await ssc.stop();
    expect(ssc.state).toBe('stopped');
  });

  it('awaitTerminationOrTimeout returns false on timeout and true after stop', async () => {
    const { ssc } = manual();
    ssc.queueStream<number>([]).foreachRDD(() => undefined);
    await ssc.start();
    const t0 = Date.now();
    expect(await ssc.awaitTerminationOrTimeout(30)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    setTimeout(() => void ssc.stop(), 20);
    expect(await ssc.awaitTerminationOrTimeout(5000)).toBe(true);
    expect(await ssc.awaitTerminationOrTimeout(10)).toBe(true);
    await expect(ssc.awaitTermination()).resolves.toBeUndefined();
  });

  it('awaitTerminationOrTimeout(0) answers at once whether the context stopped; a negative timeout waits for the stop (Spark\'s ContextWaiter)', async () => {
    const { ssc } = manual();
    ssc.queueStream<number>([]).foreachRDD(() => undefined);
    await ssc.start();
    expect(await ssc.awaitTerminationOrTimeout(0)).toBe(false);
    const forever = ssc.awaitTerminationOrTimeout(-1);
    setTimeout(() => void ssc.stop(), 20);
    expect(await forever).toBe(true);
    expect(await ssc.awaitTerminationOrTimeout(0)).toBe(true);
  });

  it('awaitTermination resolves when the context is stopped', async () => {
    const { ssc } = manual();
    ssc.queueStream<number>([]).foreachRDD(() => undefined);
    await ssc.start();
    let ended = false;
    const waiting = ssc.awaitTermination().then(() => (ended = true));
    await sleep(10);
    expect(ended).toBe(false);
    await ssc.stop();
    await waiting;
    expect(ended).toBe(true);
  });
});

describe('SystemClock', () => {
  it('runs a few real batches of 100 ms at multiples of the batch duration', async () => {
    const ssc = new StreamingContext({ batchDuration: 100, clock: new SystemClock() });
    const queue: number[][] = [];
    const seen: { time: number; at: number; data: number[] }[] = [];
    ssc.queueStream(queue).foreachRDD((rdd, time) => void seen.push({ time, at: Date.now(), data: rdd.collect() }));
    const started = Date.now();
    // More than the batches the test waits for: a late timer makes the scheduler catch up.
    queue.push(...Array.from({ length: 500 }, (_, i) => [i + 1]));
    await ssc.start();
    // Wait for 4 batches (timers fire late on a busy machine), not a fixed time.
    const deadline = Date.now() + 30_000;
    while (seen.length < 4 && Date.now() < deadline) await sleep(20);
    await ssc.stop();
    const stopped = Date.now();
    expect(seen.length).toBeGreaterThanOrEqual(4);
    // One batch per multiple of 100 ms that passed between start and stop, never more.
    expect(seen.length).toBeLessThanOrEqual(Math.floor(stopped / 100) - Math.floor(started / 100));
    expect(seen[0]!.time).toBeGreaterThan(started);
    expect(seen[0]!.time).toBeLessThanOrEqual(Math.floor(started / 100) * 100 + 100);
    for (let i = 0; i < seen.length; i++) {
      expect(seen[i]!.time % 100).toBe(0);
      if (i > 0) expect(seen[i]!.time - seen[i - 1]!.time).toBe(100);
      expect(seen[i]!.at).toBeGreaterThanOrEqual(seen[i]!.time); // never before its time
      expect(seen[i]!.data).toEqual([i + 1]);
    }
  });

  it('is the default clock', () => {
    const ssc = new StreamingContext({ batchDuration: 100 });
    expect(ssc.clock).toBeInstanceOf(SystemClock);
    const before = Date.now();
    const now = ssc.clock.getTimeMillis();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
