// A graceful stop stops the receivers first, then runs the batch that takes what they received
// (Spark's order): lines received after the last batch are still processed, not dropped.
import { createServer, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { StreamingContext } from '../../src/index.js';
import { freePort, sleep, waitFor } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

it('graceful stop processes the lines received since the last batch', async () => {
  const clients: Socket[] = [];
  const server = createServer((s) => void clients.push(s));
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  cleanups.push(() => clients.forEach((c) => c.destroy()));

  const ssc = new StreamingContext({ batchDuration: 1000 });
  cleanups.push(() => ssc.stop());
  let counted = 0;
  let batches = 0;
  ssc.socketTextStream('127.0.0.1', port).foreachRDD((rdd) => {
    counted += rdd.count();
  });
  ssc.addStreamingListener({ onBatchCompleted: () => void batches++ });
  await ssc.start();
  await waitFor(() => clients.length === 1 && batches >= 1, 'the receiver to connect and a batch to complete');

  // Right after a batch: send lines, let them arrive, stop before the next batch would take them.
  const before = batches;
  clients[0]!.write(Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
  await sleep(150);
  expect(batches).toBe(before);
  await ssc.stop({ graceful: true });
  expect(counted).toBe(100);
});
