// A graceful stop stops the receivers first, then runs the batch that takes what they received
// (Spark's order): lines received after the last batch are still processed, not dropped.
import { createServer, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { StreamingContext, SystemClock, type Clock } from '../../src/index.js';
import type { ReceiverInputDStream } from '../../src/receivers/index.js';
import { freePort, waitFor } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Lines sent just after a batch, then a graceful stop: how many were sent and how many the batches counted. */
async function stopAfterLines(clock: Clock): Promise<{ sent: number; counted: number }> {
  const clients: Socket[] = [];
  const server = createServer((s) => void clients.push(s));
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  cleanups.push(() => clients.forEach((c) => c.destroy()));

  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  cleanups.push(() => ssc.stop());
  let counted = 0;
  let batches = 0;
  const stream = ssc.socketTextStream('127.0.0.1', port) as ReceiverInputDStream<string>;
  stream.foreachRDD((rdd) => {
    counted += rdd.count();
  });
  ssc.addStreamingListener({ onBatchCompleted: () => void batches++ });
  await ssc.start();
  await waitFor(() => clients.length === 1 && batches >= 1, 'the receiver to connect and a batch to complete');

  // Right after a batch: send lines, wait until the receiver has them, stop before the next batch
  // would take them. On a busy machine a batch may come first (they are 1 s apart): then that
  // round's lines are counted by it, and the next round starts right after it (a few rounds at most).
  let sent = 0;
  for (let round = 1; ; round++) {
    const after = batches;
    await waitFor(() => batches > after || round === 1, 'a batch to complete');
    clients[0]!.write(Array.from({ length: 100 }, (_, i) => `round ${round} line ${i}\n`).join(''));
    sent += 100;
    await waitFor(() => stream.stats.received === sent, `the receiver to get ${sent} lines`);
    if (counted === sent - 100) break; // no batch has taken this round's lines: stop now
    if (round === 10) throw new Error(`in 10 rounds a batch always took the lines before the stop (counted ${counted} of ${sent})`);
  }
  await ssc.stop({ graceful: true });
  return { sent, counted };
}

it('graceful stop processes the lines received since the last batch', async () => {
  const { sent, counted } = await stopAfterLines(new SystemClock());
  expect(counted).toBe(sent);
});

it('graceful stop processes them when its timer wakes before the clock reaches the next batch time (timers may fire a millisecond early)', async () => {
  // A clock 2 % slow: a timer set for what it says is left wakes before it reads that time.
  const start = Date.now();
  class Slow extends SystemClock {
    override getTimeMillis(): number {
      return start + Math.floor((Date.now() - start) * 0.98);
    }
  }
  const { sent, counted } = await stopAfterLines(new Slow());
  expect(counted).toBe(sent);
});
