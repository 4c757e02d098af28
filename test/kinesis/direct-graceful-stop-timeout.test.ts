// A graceful stop is bounded by gracefulStopTimeout (Spark's spark.streaming.gracefulStopTimeout,
// default 10 × the batch interval): with Kinesis unreachable, the direct stream's pending batches
// would each retry for the retry timeout (2 min); once the bound has passed the context stops
// anyway, with a warning, the reads cut short. Nothing is lost: a restart from the checkpoint
// goes on from the last completed batch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InitialPositionInStream, KinesisUtils, StreamingContext } from '../../src/index.js';
import { createKinesisStream, kinesisEndpoints, putLines, REGION, uniqueName } from '../helpers/kinesis.js';
import { cutProxy } from './cutProxy.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.restoreAllMocks();
});

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('graceful stop with a direct Kinesis stream and Kinesis unreachable', () => {
  it.each(['refuse', 'blackhole'] as const)('Kinesis unreachable (%s): stops after gracefulStopTimeout (default 10 × batch interval) with a warning; a restart from the checkpoint loses nothing', { timeout: 60_000 }, async (cut) => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const proxy = await cutProxy(kinesisEndpoint);
    cleanups.push(() => proxy.close());
    const stream = uniqueName('graceful-bound');
    await createKinesisStream(stream, 1);
    const dir = mkdtempSync(path.join(tmpdir(), 'kinesis-graceful-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const run = (seen: string[]): Promise<StreamingContext> =>
      StreamingContext.getOrCreate(dir, () => {
        const c = new StreamingContext({ batchDuration: 200 });
        KinesisUtils.createDirectStream(c, stream, { endpointUrl: proxy.url, regionName: REGION, initialPosition: InitialPositionInStream.TRIM_HORIZON })
          .foreachRDD((rdd) => void seen.push(...rdd.collect()));
        return c;
      });

    const seen1: string[] = [];
    const ssc1 = await run(seen1);
    cleanups.push(() => ssc1.stop());
    await ssc1.start();
    await putLines(stream, ['a', 'b', 'c']);
    await until(() => seen1.length === 3, 'the first records');
    // Refused: each read retries for the retry timeout (2 min); black-holed: each attempt also waits its 30 s request timeout.
    proxy[cut]();
    await sleep(600);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const t0 = Date.now();
    await ssc1.stop({ graceful: true });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(6000);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/graceful stop timed out after 2000 ms \(gracefulStopTimeout\)/)]);
    await expect(ssc1.awaitTermination()).resolves.toBeUndefined();

    // Kinesis back: the restart reads what came since, and nothing of the batches completed before.
    proxy.heal();
    await putLines(stream, ['d', 'e']);
    const seen2: string[] = [];
    const ssc2 = await run(seen2);
    cleanups.push(() => ssc2.stop());
    await ssc2.start();
    await until(() => seen2.length >= 2, 'the records put after the stop');
    await sleep(500);
    expect(seen2).toEqual(['d', 'e']);
  });

  it('gracefulStopTimeout must be a positive whole number of ms', () => {
    expect(() => new StreamingContext({ batchDuration: 200, gracefulStopTimeout: 0 })).toThrow(/gracefulStopTimeout must be a positive whole number/);
    expect(() => new StreamingContext({ batchDuration: 200, gracefulStopTimeout: 1500 })).not.toThrow();
  });
});
