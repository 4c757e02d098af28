// StreamingListener callbacks and the same events through ssc.events$.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { filter, map } from 'rxjs';
import {
  ManualClock,
  StreamingContext,
  type BatchInfo,
  type CompletedBatchInfo,
  type OutputOperationInfo,
  type StreamingEvent,
  type StreamingListener,
} from '../../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A listener that logs every callback as `type batchTime`, and keeps the infos. */
function recorder(): {
  listener: StreamingListener;
  log: string[];
  completed: CompletedBatchInfo[];
  submitted: BatchInfo[];
  outputs: OutputOperationInfo[];
} {
  const log: string[] = [];
  const completed: CompletedBatchInfo[] = [];
  const submitted: BatchInfo[] = [];
  const outputs: OutputOperationInfo[] = [];
  const listener: StreamingListener = {
    onStreamingStarted: () => void log.push('streamingStarted'),
    onBatchSubmitted: (i) => void (log.push(`batchSubmitted ${i.batchTime}`), submitted.push(i)),
    onBatchStarted: (i) => void log.push(`batchStarted ${i.batchTime}`),
    onOutputOperationStarted: (i) => void log.push(`outputOperationStarted ${i.batchTime} #${i.id}`),
    onOutputOperationCompleted: (i) =>
      void (log.push(`outputOperationCompleted ${i.batchTime} #${i.id}`), outputs.push(i)),
    onBatchCompleted: (i) => void (log.push(`batchCompleted ${i.batchTime}`), completed.push(i)),
  };
  return { listener, log, completed, submitted, outputs };
}

describe('StreamingListener', () => {
  it('one onBatchCompleted per batch with numRecords and non-negative delays', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const r = recorder();
    ssc.addStreamingListener(r.listener);
    ssc.queueStream([[1, 2, 3], [], [4, 5, 6, 7, 8]]).foreachRDD(async () => {
      await sleep(15);
    });
    await ssc.start();
    await clock.advance(1000);
    await clock.advance(2000);
    await ssc.stop();
    expect(r.completed.map((i) => i.batchTime)).toEqual([1000, 2000, 3000]);
    expect(r.completed.map((i) => i.numRecords)).toEqual([3, 0, 5]);
    for (const i of r.completed) {
      expect(i.schedulingDelay).toBeGreaterThanOrEqual(0);
      expect(i.processingDelay).toBeGreaterThanOrEqual(0);
      expect(i.totalDelay).toBe(i.schedulingDelay + i.processingDelay);
      expect(i.failureReason).toBeUndefined();
      expect(i.submissionTime).toBeGreaterThanOrEqual(i.batchTime);
    }
    // The output sleeps 15 ms: processing takes at least about that long.
    for (const i of r.completed) expect(i.processingDelay).toBeGreaterThanOrEqual(10);
    expect(r.submitted.map((i) => i.numRecords)).toEqual([3, 0, 5]);
  });

  it('numRecords sums every input stream', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const r = recorder();
    ssc.addStreamingListener(r.listener);
    const a = ssc.queueStream([[1, 2], [3]]);
    const b = ssc.queueStream([[10], [20, 30, 40]]);
    a.union(b).foreachRDD(() => undefined);
    await ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    expect(r.completed.map((i) => i.numRecords)).toEqual([3, 4]);
  });

  it('events come in order: submitted, started, each output started and completed, batch completed', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const r = recorder();
    ssc.addStreamingListener(r.listener);
    const s = ssc.queueStream([[1], [2]]);
    s.foreachRDD(() => undefined);
    s.map((x) => x + 1).foreachRDD(async () => sleep(2));
    await ssc.start();
    await clock.advance(1000);
    await clock.advance(1000);
    await ssc.stop();
    const ids = r.outputs.slice(0, 2).map((o) => o.id);
    expect(ids[0]).toBeLessThan(ids[1]!);
    const batch = (t: number): string[] => [
      `batchSubmitted ${t}`,
      `batchStarted ${t}`,
      `outputOperationStarted ${t} #${ids[0]}`,
      `outputOperationCompleted ${t} #${ids[0]}`,
      `outputOperationStarted ${t} #${ids[1]}`,
      `outputOperationCompleted ${t} #${ids[1]}`,
      `batchCompleted ${t}`,
    ];
    expect(r.log).toEqual(['streamingStarted', ...batch(1000), ...batch(2000)]);
    for (const o of r.outputs) {
      expect(o.name).toBe('foreachRDD');
      expect(o.duration).toBeGreaterThanOrEqual(0);
      expect(o.failureReason).toBeUndefined();
    }
  });

  it('an output operation’s id is its index in its batch (Spark’s outputOpId); its description names its stream', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const r = recorder();
    ssc.addStreamingListener(r.listener);
    const s = ssc.queueStream([[1], [2], [3], [4]]).map((x) => x + 1);
    s.foreachRDD(() => undefined);
    s.window(2000, 2000).foreachRDD(() => undefined); // every other batch only
    s.map(String).pprint();
    const streams = ssc.graph.outputs.map((o) => o.id);
    const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await ssc.start();
      await clock.advance(4000);
      await ssc.stop();
    } finally {
      quiet.mockRestore();
    }
    const ops = (t: number): [number, string][] => r.outputs.filter((o) => o.batchTime === t).map((o) => [o.id, o.description]);
    const [a, w, p] = streams as [number, number, number];
    // As Spark's JobSet numbers its jobs: 0..n-1 among the operations that run in the batch.
    expect(ops(1000)).toEqual([[0, `foreachRDD (stream ${a})`], [1, `pprint (stream ${p})`]]);
    expect(ops(2000)).toEqual([[0, `foreachRDD (stream ${a})`], [1, `foreachRDD (stream ${w})`], [2, `pprint (stream ${p})`]]);
    expect(ops(3000).map((o) => o[0])).toEqual([0, 1]);
  });

  it('batches generated by one advance are all submitted first, then run in time order', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const r = recorder();
    ssc.addStreamingListener(r.listener);
    ssc.queueStream([[1], [2], [3]]).foreachRDD(() => undefined);
    await ssc.start();
    await clock.advance(3000);
    await ssc.stop();
    const started = r.log.filter((l) => l.startsWith('batchStarted'));
    const completed = r.log.filter((l) => l.startsWith('batchCompleted'));
    expect(started).toEqual(['batchStarted 1000', 'batchStarted 2000', 'batchStarted 3000']);
    expect(completed).toEqual(['batchCompleted 1000', 'batchCompleted 2000', 'batchCompleted 3000']);
    for (const t of [1000, 2000, 3000]) {
      const sub = r.log.indexOf(`batchSubmitted ${t}`);
      const start = r.log.indexOf(`batchStarted ${t}`);
      const done = r.log.indexOf(`batchCompleted ${t}`);
      expect(sub).toBeGreaterThanOrEqual(0);
      expect(sub).toBeLessThan(start);
      expect(start).toBeLessThan(done);
      if (t > 1000) expect(r.log.indexOf(`batchCompleted ${t - 1000}`)).toBeLessThan(start);
    }
  });

  it('pprint and saveAsTextFiles name their output operations', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const r = recorder();
    ssc.addStreamingListener(r.listener);
    const log = console.log;
    console.log = () => undefined;
    try {
      ssc.queueStream([[1]]).pprint();
      await ssc.start();
      await clock.advance(1000);
      await ssc.stop();
    } finally {
      console.log = log;
    }
    expect(r.outputs.map((o) => o.name)).toEqual(['pprint']);
  });

  it('listeners without some methods, and several listeners, all work', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const a: number[] = [];
    const b: number[] = [];
    ssc.addStreamingListener({});
    ssc.addStreamingListener({ onBatchCompleted: (i) => void a.push(i.batchTime) });
    ssc.addStreamingListener({ onBatchCompleted: (i) => void b.push(i.batchTime) });
    ssc.queueStream([[1]]).foreachRDD(() => undefined);
    await ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    expect(a).toEqual([1000, 2000]);
    expect(b).toEqual([1000, 2000]);
  });

  it('batches a restart catches up on are delayed from the restart, not from their time (Spark counts down-time batches from their resubmission)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dstreams-catchup-'));
    try {
      // A real clock, moved ahead 4 s for the second run: the restart finds 4 batches missed.
      let offset = 0;
      const clock = { getTimeMillis: () => Date.now() + offset };
      const build = () => {
        const ssc = new StreamingContext({ batchDuration: 1000, clock });
        ssc.checkpoint(dir);
        ssc.queueStream<number>([], false, undefined).foreachRDD(() => undefined);
        return ssc;
      };
      const first = await StreamingContext.getOrCreate(dir, build);
      const done = new Promise<void>((resolve) => first.addStreamingListener({ onBatchCompleted: () => resolve() }));
      await first.start();
      await done;
      await first.stop();
      offset = 4000;
      const second = await StreamingContext.getOrCreate(dir, build);
      const delays: number[] = [];
      second.addStreamingListener({ onBatchCompleted: (i) => void delays.push(i.schedulingDelay) });
      await second.start();
      while (delays.length < 4) await sleep(50);
      await second.stop();
      expect(Math.max(...delays)).toBeLessThan(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a listener that is not an object', () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    expect(() => ssc.addStreamingListener(null as unknown as StreamingListener)).toThrow(TypeError);
  });
});

describe('ssc.events$', () => {
  it('emits the same events as the listener, in the same order, and completes on stop', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const r = recorder();
    ssc.addStreamingListener(r.listener);
    const events: StreamingEvent[] = [];
    let completed = false;
    const sub = ssc.events$.subscribe({
      next: (e) => void events.push(e),
      complete: () => void (completed = true),
    });
    ssc.queueStream([[1, 2], [3]]).foreachRDD(() => undefined);
    await ssc.start();
    await clock.advance(2000);
    expect(completed).toBe(false);
    await ssc.stop();
    expect(completed).toBe(true);
    sub.unsubscribe();

    const asLog = events.map((e) => {
      const info = e.info as { batchTime?: number; id?: number };
      if (e.type === 'streamingStarted') return e.type;
      if (e.type.startsWith('outputOperation')) return `${e.type} ${info.batchTime} #${info.id}`;
      return `${e.type} ${info.batchTime}`;
    });
    expect(asLog).toEqual(r.log);
    const batchCompleted = events.filter((e) => e.type === 'batchCompleted').map((e) => e.info as CompletedBatchInfo);
    expect(batchCompleted.map((i) => [i.batchTime, i.numRecords])).toEqual([
      [1000, 2],
      [2000, 1],
    ]);
    for (const i of batchCompleted) expect(i.totalDelay).toBe(i.schedulingDelay + i.processingDelay);
  });

  it('completes when the context stops because a batch failed', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const types: string[] = [];
    let completed = false;
    ssc.events$.subscribe({ next: (e) => void types.push(e.type), complete: () => void (completed = true) });
    ssc.queueStream([[1]]).foreachRDD(() => {
      throw new Error('boom');
    });
    await ssc.start();
    await expect(clock.advance(1000)).rejects.toThrow('boom');
    await expect(ssc.awaitTermination()).rejects.toThrow('boom');
    expect(completed).toBe(true);
    expect(types).toContain('batchCompleted');
  });

  it('a subscriber that throws fails the context like a listener: awaitTermination rejects with its error', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const seen: number[] = [];
    ssc.queueStream([[1], [2], [3]]).foreachRDD((rdd) => void seen.push(...rdd.collect()));
    const others: string[] = [];
    ssc.events$.subscribe((e) => {
      if (e.type === 'batchCompleted') throw new Error('subscriber boom');
    });
    ssc.events$.subscribe((e) => void others.push(e.type));
    await ssc.start();
    await clock.advance(1000).catch(() => undefined);
    await expect(ssc.awaitTermination()).rejects.toThrow('subscriber boom');
    expect(seen).toEqual([1]);
    // Delivery to the other subscriber went on: it saw the event the first one threw on.
    expect(others).toContain('batchCompleted');
  });

  it('an operator that throws in events$.pipe(...) fails the context unless the subscriber handles errors', async () => {
    const run = async (withErrorHandler: boolean): Promise<{ ssc: StreamingContext; handled: unknown[] }> => {
      const clock = new ManualClock();
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      ssc.queueStream([[1]]).foreachRDD(() => undefined);
      const handled: unknown[] = [];
      const piped = ssc.events$.pipe(
        filter((e) => e.type === 'batchStarted'),
        map(() => {
          throw new Error('operator boom');
        }),
      );
      if (withErrorHandler) piped.subscribe({ error: (e) => void handled.push(e) });
      else piped.subscribe(() => undefined);
      await ssc.start();
      await clock.advance(1000).catch(() => undefined);
      return { ssc, handled };
    };
    const unhandled = await run(false);
    await expect(unhandled.ssc.awaitTermination()).rejects.toThrow('operator boom');

    const handled = await run(true);
    expect(String(handled.handled[0])).toContain('operator boom');
    expect(handled.ssc.state).toBe('active');
    await handled.ssc.stop();
    await expect(handled.ssc.awaitTermination()).resolves.toBeUndefined();
  });
});
