// Kinesis's read limits: a shard serves 5 GetRecords calls a second, and answers
// ProvisionedThroughputExceededException beyond. kinesalite enforces neither, so a proxy in front
// of it records every GetRecords call and refuses some with that exception, as Kinesis does.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { InitialPositionInStream, KinesisUtils, ManualClock, StreamingContext } from '../../src/index.js';
import { createKinesisStream, kinesisEndpoints, putLines, REGION, uniqueName } from '../helpers/kinesis.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface ThrottlingProxy {
  endpoint: string;
  /** Times of the GetRecords calls that reached the proxy, and whether each was refused. */
  calls: Array<{ at: number; refused: boolean }>;
}

/** Forwards to kinesalite; refuses GetRecords calls number `refuse` (1-based) with ProvisionedThroughputExceededException. */
async function throttlingProxy(target: string, refuse: Set<number>): Promise<ThrottlingProxy> {
  const calls: ThrottlingProxy['calls'] = [];
  const to = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (String(req.headers['x-amz-target'] ?? '').endsWith('.GetRecords')) {
        const n = calls.length + 1;
        calls.push({ at: Date.now(), refused: refuse.has(n) });
        if (refuse.has(n)) {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ProvisionedThroughputExceededException' });
          res.end(JSON.stringify({ __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for shard in stream under account.' }));
          return;
        }
      }
      const fwd = http.request(
        { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 500, up.headers);
          up.pipe(res);
        },
      );
      fwd.on('error', () => res.destroy());
      fwd.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`, calls };
}

describe('read limits', () => {
  it('GetRecords calls on a shard are at least 200 ms apart (5 a second); refused calls back off (200 ms, doubling) and nothing is lost', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const stream = uniqueName('throttled');
    await createKinesisStream(stream, 1);
    const lines = Array.from({ length: 3000 }, (_, i) => `r-${i}`);
    await putLines(stream, lines);
    // Calls 2, 3 and 4 refused: three retries in a row, 200, 400 and 800 ms apart.
    const proxy = await throttlingProxy(kinesisEndpoint, new Set([2, 3, 4]));
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const seen: string[] = [];
    KinesisUtils.createDirectStream(ssc, stream, {
      endpointUrl: proxy.endpoint,
      regionName: REGION,
      initialPosition: InitialPositionInStream.TRIM_HORIZON,
      maxRecordsPerBatch: 500,
    }).foreachRDD((rdd) => void seen.push(...rdd.collect()));
    await ssc.start();
    for (let i = 0; i < 20 && seen.length < lines.length; i++) await clock.advance(1000);
    expect(seen).toEqual(lines);
    // Calls are sent 200 ms apart; they reach the proxy with some jitter on a loaded machine.
    const at = proxy.calls.map((c) => c.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(150);
    for (let i = 0; i + 5 < at.length; i++) expect(at[i + 5]! - at[i]!).toBeGreaterThanOrEqual(950); // at most 5 a second
    // After each refused call the wait grows: 200 → 400 → 800 ms.
    expect(gaps[2]!).toBeGreaterThanOrEqual(350);
    expect(gaps[3]!).toBeGreaterThanOrEqual(750);
    expect(proxy.calls.filter((c) => c.refused)).toHaveLength(3);
  });

  it('a shard that stays over its limit fails the batch after the retry timeout, naming stream and endpoint', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const stream = uniqueName('throttled-always');
    await createKinesisStream(stream, 1);
    await putLines(stream, ['a', 'b']);
    const proxy = await throttlingProxy(kinesisEndpoint, new Set(Array.from({ length: 1000 }, (_, i) => i + 1)));
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    KinesisUtils.createDirectStream(ssc, stream, {
      endpointUrl: proxy.endpoint,
      regionName: REGION,
      initialPosition: InitialPositionInStream.TRIM_HORIZON,
      retryTimeout: 1500,
    }).foreachRDD(() => undefined);
    await ssc.start();
    const failed = ssc.awaitTermination().then(() => undefined, (e: unknown) => e as Error);
    await clock.advance(1000).catch(() => undefined);
    const err = await failed;
    expect(err?.message).toContain(`Kinesis stream "${stream}" at ${proxy.endpoint}`);
    expect(err?.message).toMatch(/ProvisionedThroughputExceededException/);
  });

  it('maxRatePerShard caps what a batch takes from each shard (rate × batch seconds, the shared direct-stream rate controller)', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const stream = uniqueName('rate-per-shard');
    await createKinesisStream(stream, 2);
    await putLines(stream, Array.from({ length: 800 }, (_, i) => `m-${i}`));
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 2000, clock });
    cleanups.push(() => ssc.stop());
    const perBatch: number[][] = [];
    KinesisUtils.createDirectStream(ssc, stream, {
      endpointUrl: kinesisEndpoint,
      regionName: REGION,
      initialPosition: InitialPositionInStream.TRIM_HORIZON,
      maxRatePerShard: 30,
    }).foreachRDD((rdd) => void perBatch.push(rdd.sequenceNumberRanges().map((r) => r.recordCount)));
    await ssc.start();
    await clock.advance(6000);
    // 30 records/s × 2 s = 60 a shard a batch.
    expect(perBatch).toEqual([
      [60, 60],
      [60, 60],
      [60, 60],
    ]);
  });
});
