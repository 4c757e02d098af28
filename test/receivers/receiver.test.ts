// The receiver framework with custom receivers: store, blocks → partitions, each record in
// exactly one batch and in order, restart with back-off, errors to listeners, stop, maxRate.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext, type StreamingEvent } from '../../src/index.js';
import { Receiver } from '../../src/receivers/index.js';
import { recordReceiverEvents, sleep, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Stores 0, 1, 2, … in arrays of varying size on a timer while running. */
class CountingReceiver extends Receiver<number> {
  next = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly limit: number) {
    super();
  }
  onStart(): void {
    const tick = (): void => {
      if (this.isStopped()) return;
      const n = Math.min(1 + (this.next % 37), this.limit - this.next);
      if (n > 0) {
        const items = Array.from({ length: n }, (_, i) => this.next + i);
        this.next += n;
        void this.store(n === 1 ? items[0]! : items);
      }
      if (this.next < this.limit) this.timer = setTimeout(tick, 1);
    };
    this.timer = setTimeout(tick, 1);
  }
  onStop(): void {
    clearTimeout(this.timer);
  }
}

/** A receiver whose start and stop the test scripts. */
class ScriptedReceiver extends Receiver<string> {
  starts = 0;
  stops = 0;
  constructor(private readonly onStartScript: (r: ScriptedReceiver, n: number) => void | Promise<void> = () => undefined) {
    super();
  }
  async onStart(): Promise<void> {
    this.starts++;
    await this.onStartScript(this, this.starts);
  }
  onStop(): void {
    this.stops++;
  }
  // Expose the protected helpers to the tests.
  doStore(x: string | string[]): Promise<void> {
    return this.store(x);
  }
}

describe('receiverStream', () => {
  it('gives every stored record to exactly one batch, in order, while batches run in real time', async () => {
    const total = 20_000;
    const ssc = new StreamingContext({ batchDuration: 100, blockInterval: 20 });
    cleanups.push(() => ssc.stop());
    const receiver = new CountingReceiver(total);
    const seen: number[] = [];
    const partitionsPerBatch: number[] = [];
    const stream = ssc.receiverStream(receiver);
    stream.foreachRDD((rdd) => {
      seen.push(...rdd.collect());
      partitionsPerBatch.push(rdd.getNumPartitions());
    });
    await ssc.start();
    await waitFor(() => seen.length >= total, 'every record', 30_000);
    await sleep(250);
    await ssc.stop();
    expect(seen.length).toBe(total);
    for (let i = 0; i < total; i++) if (seen[i] !== i) throw new Error(`record ${i} is ${seen[i]}`);
    // Blocks are cut every 20 ms: a 100 ms batch holds several, each one a partition.
    expect(Math.max(...partitionsPerBatch)).toBeGreaterThan(1);
    expect(stream.stats.stored).toBe(total);
  });

  it('cuts the records stored before a batch into that batch (ManualClock), none lost or repeated', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock, blockInterval: 10 });
    cleanups.push(() => ssc.stop());
    const r = new ScriptedReceiver();
    const batches: string[][][] = [];
    const numRecords: number[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (i) => void numRecords.push(i.numRecords) });
    ssc.receiverStream(r).glom().foreachRDD((rdd) => void batches.push(rdd.collect()));
    await ssc.start();
    await r.doStore(['a', 'b']);
    await sleep(40); // a block is cut
    await r.doStore('c');
    await clock.advance(1000);
    await clock.advance(1000); // nothing stored: an empty batch
    await r.doStore(['d']);
    await clock.advance(1000);
    await ssc.stop();
    expect(batches).toEqual([[['a', 'b'], ['c']], [], [['d']]]);
    expect(numRecords).toEqual([3, 0, 1]);
  });

  it('restarts a receiver that asks to, with back-off, and tells listeners (error, then started again)', async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), receiverRestartDelay: 400 });
    cleanups.push(() => ssc.stop());
    const events = recordReceiverEvents(ssc);
    const times: number[] = [];
    const r = new ScriptedReceiver((self, n) => {
      times.push(performance.now());
      if (n <= 3) setTimeout(() => self.restart(`flaky start #${n}`, new Error(`boom ${n}`)), 5);
    });
    ssc.receiverStream(r, { name: 'flaky' }).foreachRDD(() => undefined);
    await ssc.start();
    await waitFor(() => r.starts === 4, 'the fourth start');
    await waitFor(() => events.started.length === 4, 'four started events');
    expect(events.errors.map((e) => e.lastErrorMessage)).toEqual(['flaky start #1', 'flaky start #2', 'flaky start #3']);
    expect((events.errors[2]!.lastError as Error).message).toBe('boom 3');
    expect(events.errors.every((e) => e.name === 'flaky' && !e.active)).toBe(true);
    expect(r.stops).toBe(3);
    // 100 ms, then 200 ms, then 400 ms (the cap).
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(95);
    expect(gaps[1]).toBeGreaterThanOrEqual(195);
    expect(gaps[2]).toBeGreaterThanOrEqual(395);
    expect(r.isStarted()).toBe(true);
    await ssc.stop();
    expect(r.stops).toBe(4);
    expect(events.stopped).toHaveLength(1);
  });

  it('a stop() while a restart runs onStop does not wait out the back-off', async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), receiverRestartDelay: 800 });
    cleanups.push(() => ssc.stop());
    let slowStop = false;
    class SlowStop extends ScriptedReceiver {
      override async onStart(): Promise<void> {
        await super.onStart();
        // Three quick restarts (100, 200, 400 ms of back-off); the fourth would wait 800 ms.
        if (this.starts <= 4) setTimeout(() => this.restart(`restart #${this.starts}`), 5);
        if (this.starts === 4) slowStop = true;
      }
      override async onStop(): Promise<void> {
        super.onStop();
        if (slowStop) await sleep(300);
      }
    }
    const r = new SlowStop();
    ssc.receiverStream(r).foreachRDD(() => undefined);
    await ssc.start();
    await waitFor(() => r.stops === 4, 'the fourth restart');
    const began = performance.now();
    await ssc.stop();
    // onStop's 300 ms, not 300 + 800.
    expect(performance.now() - began).toBeLessThan(700);
    expect(r.starts).toBe(4);
  });


  it('a stop() during an async onStart waits for it, so onStop closes what onStart opened', async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), receiverRestartDelay: 10 });
    cleanups.push(() => ssc.stop());
    const events: string[] = [];
    class SlowConnect extends Receiver<string> {
      starts = 0;
      connection: NodeJS.Timeout | undefined;
      async onStart(): Promise<void> {
        const n = ++this.starts;
        await sleep(150);
        this.connection = setInterval(() => undefined, 50);
        events.push(`connected #${n}`);
        if (n === 1) setTimeout(() => this.restart('connection dropped'), 5);
      }
      onStop(): void {
        events.push(this.connection ? 'closed' : 'nothing open to close');
        clearInterval(this.connection);
        this.connection = undefined;
      }
    }
    const r = new SlowConnect();
    ssc.receiverStream(r).foreachRDD(() => undefined);
    await ssc.start();
    await waitFor(() => r.starts === 2, 'the restarted onStart');
    // Inside the second onStart's 150 ms.
    await ssc.stop();
    expect(events).toEqual(['connected #1', 'closed', 'connected #2', 'closed']);
    expect(r.connection).toBeUndefined();
  });

  it('a restart() during an async onStart waits for it too: onStop closes what it opened, and a stop() during the next onStart still waits', async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), receiverRestartDelay: 10 });
    cleanups.push(() => ssc.stop());
    let open = 0;
    class SlowConnect extends Receiver<string> {
      starts = 0;
      async onStart(): Promise<void> {
        const n = ++this.starts;
        if (n === 1) setTimeout(() => this.restart('dropped while connecting'), 20);
        await sleep(150);
        open++;
      }
      onStop(): void {
        if (open > 0) open--;
      }
    }
    const r = new SlowConnect();
    ssc.receiverStream(r).foreachRDD(() => undefined);
    await ssc.start();
    await waitFor(() => r.starts === 2, 'the restarted onStart');
    expect(open).toBe(0); // the first start's connection was closed by the restart's onStop
    await ssc.stop(); // inside the second onStart
    expect(open).toBe(0);
  });
  it('restarts a receiver whose onStart throws, and reports reportError() without restarting', async () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), receiverRestartDelay: 100 });
    cleanups.push(() => ssc.stop());
    const all: StreamingEvent[] = [];
    ssc.events$.subscribe((e) => void all.push(e));
    const r = new ScriptedReceiver((self, n) => {
      if (n === 1) throw new Error('cannot start yet');
      self.reportError('something odd', new Error('odd'));
    });
    ssc.receiverStream(r).foreachRDD(() => undefined);
    await ssc.start();
    await waitFor(() => all.filter((e) => e.type === 'receiverError').length === 2, 'two receiver errors');
    await waitFor(() => all.some((e) => e.type === 'receiverStarted'), 'started');
    const types = all.filter((e) => e.type.startsWith('receiver')).map((e) => e.type);
    expect(types).toEqual(['receiverError', 'receiverError', 'receiverStarted']);
    const [first, second] = all.filter((e) => e.type === 'receiverError').map((e) => e.info as { lastErrorMessage: string; active: boolean });
    expect(first!.lastErrorMessage).toContain('Error starting receiver');
    expect(first!.active).toBe(false);
    expect(second!.lastErrorMessage).toBe('something odd');
    expect(second!.active).toBe(true);
    expect(r.starts).toBe(2);
  });

  it('stops a receiver that calls stop(); store() then rejects and the stream yields empty batches', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const events = recordReceiverEvents(ssc);
    const r = new ScriptedReceiver();
    const counts: number[] = [];
    ssc.receiverStream(r).count().foreachRDD((rdd) => void counts.push(rdd.collect()[0]!));
    await ssc.start();
    await r.doStore(['x', 'y']);
    r.stop('done here');
    await waitFor(() => events.stopped.length === 1, 'the stopped event');
    expect(r.isStopped()).toBe(true);
    await expect(r.doStore('late')).rejects.toThrow(/not running/);
    await clock.advance(2000);
    expect(counts).toEqual([2, 0]);
  });

  it('throttles store() to maxRate: the promise resolves only as the rate allows, and batches stay under it', async () => {
    const ssc = new StreamingContext({ batchDuration: 200, receiverMaxRate: 5000, blockInterval: 20 });
    cleanups.push(() => ssc.stop());
    const r = new ScriptedReceiver();
    const perBatch: number[] = [];
    // When each batch was cut (its submission time is read as it is generated, just before it
    // takes its blocks): what a batch may hold depends on the time since the previous one.
    const cutAt = new Map<number, number>();
    ssc.addStreamingListener({ onBatchSubmitted: (i) => void cutAt.set(i.batchTime, i.submissionTime) });
    const counts: Array<[number, number]> = [];
    const stream = ssc.receiverStream(r);
    stream.count().foreachRDD((rdd, time) => {
      perBatch.push(rdd.collect()[0]!);
      counts.push([time, rdd.collect()[0]!]);
    });
    await ssc.start();
    expect(stream.rateLimit).toBe(5000);
    const storing = Date.now();
    const t0 = performance.now();
    await r.doStore(Array.from({ length: 5000 }, (_, i) => String(i)));
    const took = performance.now() - t0;
    // 5000 records at 5000/s: a second, minus the burst allowance (0.2 s worth) taken at once.
    expect(took).toBeGreaterThan(700);
    // Wait for the batches to take every record (timers run late on a busy machine), not a fixed time.
    const deadline = Date.now() + 30_000;
    while (perBatch.reduce((a, b) => a + b, 0) < 5000 && Date.now() < deadline) await sleep(20);
    await ssc.stop();
    expect(perBatch.reduce((a, b) => a + b, 0)).toBe(5000);
    // Spread over the batches: none got more than the burst (0.2 s worth) plus the rate times the
    // time since the previous batch was cut (+2 ms: whole-ms clocks) — 2000 for batches on time.
    let previous = storing;
    for (const [time, n] of counts) {
      const at = cutAt.get(time)!;
      const allowed = 1000 + (5000 * (Math.max(0, at - previous) + 2)) / 1000;
      expect(n, `batch ${time}: ${n} records, cut ${at - previous} ms after the previous one`).toBeLessThanOrEqual(allowed);
      previous = Math.max(previous, at);
    }
    expect(Math.max(...perBatch)).toBeLessThan(5000);
  });

  it('refuses options that make no sense, and a receiver used twice', () => {
    expect(() => new StreamingContext({ batchDuration: 1000, blockInterval: 0 })).toThrow(/blockInterval/);
    expect(() => new StreamingContext({ batchDuration: 1000, receiverMaxRate: -1 })).toThrow(/receiverMaxRate/);
    const ssc = new StreamingContext({ batchDuration: 1000 });
    const r = new ScriptedReceiver();
    ssc.receiverStream(r);
    expect(() => ssc.receiverStream(r)).toThrow(/only one input stream/);
    expect(() => ssc.socketTextStream('localhost', 70000)).toThrow(/port/);
  });
});
