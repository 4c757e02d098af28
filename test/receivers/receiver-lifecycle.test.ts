// A receiver's onStart and onStop as its supervisor calls them: a restart() or stop() called
// inside onStart (even before its first await) waits for onStart to return; a stop waits a bounded
// time for an onStart or onStop that does not return; an onStart that does not return quickly
// gets one warning.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { Receiver, resolveReceiverOptions } from '../../src/receivers/index.js';
import { ReceiverSupervisor, type ReceiverEnvironment, type ReceiverEvent } from '../../src/receivers/ReceiverSupervisor.js';
import { sleep, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A supervisor of its own, with short waits (the real ones are RECEIVER_WAITS: 10 s and 2 s). */
function supervise<T>(receiver: Receiver<T>, waits = { stopWait: 150, slowStartWarning: 100 }): { sup: ReceiverSupervisor<T>; events: ReceiverEvent[] } {
  const events: ReceiverEvent[] = [];
  const env: ReceiverEnvironment = { options: {}, checkpointDir: () => undefined, now: () => Date.now(), post: (e) => void events.push(e) };
  const sup = new ReceiverSupervisor<T>(receiver, 0, 'Test-0', resolveReceiverOptions({}, { restartDelay: 10 }), env, () => undefined, waits);
  cleanups.push(() => sup.stop());
  return { sup, events };
}

describe('receiver lifecycle', () => {
  it('a restart() called synchronously in an async onStart waits for it: onStop closes what it opened, one generation stores', async () => {
    const log: string[] = [];
    const stored = new Map<number, number>();
    class RestartsAtOnce extends Receiver<number> {
      starts = 0;
      readonly timers = new Set<NodeJS.Timeout>();
      async onStart(): Promise<void> {
        const n = ++this.starts;
        log.push(`start #${n}`);
        if (n === 1) this.restart('precheck failed'); // before the first await
        await sleep(30);
        this.timers.add(setInterval(() => void this.store(n).catch(() => undefined), 5));
        log.push(`started #${n}`);
      }
      onStop(): void {
        log.push(`stop (${this.timers.size} open)`);
        for (const t of this.timers) clearInterval(t);
        this.timers.clear();
      }
    }
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), blockInterval: 10 });
    cleanups.push(() => ssc.stop());
    const r = new RestartsAtOnce();
    ssc.receiverStream(r).foreachRDD((rdd) => {
      for (const x of rdd.collect()) stored.set(x, (stored.get(x) ?? 0) + 1);
    });
    await ssc.start();
    await waitFor(() => log.includes('started #2'), 'the restarted onStart');
    await sleep(50);
    await ssc.stop();
    expect(log).toEqual(['start #1', 'started #1', 'stop (1 open)', 'start #2', 'started #2', 'stop (1 open)']);
    expect(r.timers.size).toBe(0);
  });

  it('a stop() called synchronously in onStart runs onStop only once onStart has returned', async () => {
    const log: string[] = [];
    class StopsAtOnce extends Receiver<string> {
      async onStart(): Promise<void> {
        log.push('start');
        this.stop('nothing to read');
        await sleep(30);
        log.push('started');
      }
      onStop(): void {
        log.push('stop');
      }
    }
    const { sup, events } = supervise(new StopsAtOnce());
    await sup.start(0);
    await sup.stop();
    expect(log).toEqual(['start', 'started', 'stop']);
    expect(events.map((e) => e.type)).toEqual(['receiverStopped']);
  });

  it('a stop goes on without an onStop that never returns, after the bound, with a warning naming the receiver', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    class HangingStop extends Receiver<string> {
      onStart(): void {}
      onStop(): Promise<void> {
        return new Promise(() => undefined);
      }
    }
    const { sup, events } = supervise(new HangingStop());
    await sup.start(0);
    const began = performance.now();
    await sup.stop();
    expect(performance.now() - began).toBeLessThan(1000);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/receiver Test-0 \(stream 0\): its onStop has not returned 150 ms after the stop began/)]);
    expect(events.map((e) => e.type)).toEqual(['receiverStarted', 'receiverStopped']);
  });

  it('a stop goes on without an onStart that has not returned, and onStop runs once it does', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    let connected!: () => void;
    const log: string[] = [];
    class HangingStart extends Receiver<string> {
      async onStart(): Promise<void> {
        await new Promise<void>((resolve) => (connected = resolve));
        log.push('started');
      }
      onStop(): void {
        log.push('stop');
      }
    }
    const { sup } = supervise(new HangingStart(), { stopWait: 150, slowStartWarning: 60_000 });
    const starting = sup.start(0);
    await sleep(10);
    const began = performance.now();
    await sup.stop();
    expect(performance.now() - began).toBeLessThan(1000);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/receiver Test-0 \(stream 0\): its onStart has not returned 150 ms after .*onStop runs once it returns/)]);
    expect(log).toEqual([]);
    connected();
    await starting;
    await waitFor(() => log.length === 2, 'the late onStop');
    expect(log).toEqual(['started', 'stop']);
  });

  it('warns once that onStart must return quickly when it has not returned after the bound', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    class SlowStart extends Receiver<string> {
      starts = 0;
      async onStart(): Promise<void> {
        this.starts++;
        await sleep(250);
        if (this.starts === 1) this.restart('once more');
      }
      onStop(): void {}
    }
    const r = new SlowStart();
    const { sup } = supervise(r);
    await sup.start(0);
    await waitFor(() => r.starts === 2, 'the second onStart');
    await sleep(300);
    const warnings = warn.mock.calls.map((c) => String(c[0]));
    expect(warnings).toEqual([expect.stringMatching(/receiver Test-0 \(stream 0\): onStart has not returned after 100 ms\. onStart must return quickly/)]);
  });
});
