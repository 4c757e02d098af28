// A shard listing taken mid-reshard may show a closed shard without its children (AWS lists
// eventually; the KCL guards against it: "Incomplete shard list: closed shard has no children").
// The direct stream lists again each batch until the children of every shard it finished cover
// its hash keys. Before, it listed once when the parent ended, and never read the children.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { InitialPositionInStream, KinesisUtils, ManualClock, StreamingContext } from '../../src/index.js';
import { freePort } from '../helpers/ports.js';
import { createKinesisStream, kinesisEndpoints, putLines, REGION, splitShard, uniqueName } from '../helpers/kinesis.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An HTTP proxy to `target` whose ListShards answers leave out child shards while `hide.on`. */
async function childHidingProxy(target: string): Promise<{ url: string; hide: { on: boolean } }> {
  const to = new URL(target);
  const hide = { on: false };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const listing = String(req.headers['x-amz-target'] ?? '').endsWith('.ListShards') && hide.on;
      const upstream = http.request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        if (!listing) {
          res.writeHead(up.statusCode ?? 500, up.headers);
          up.pipe(res);
          return;
        }
        const body: Buffer[] = [];
        up.on('data', (c: Buffer) => body.push(c));
        up.on('end', () => {
          const answer = JSON.parse(Buffer.concat(body).toString()) as { Shards?: Array<{ ParentShardId?: string }> };
          if (answer.Shards) answer.Shards = answer.Shards.filter((s) => !s.ParentShardId);
          const text = JSON.stringify(answer);
          const headers: http.OutgoingHttpHeaders = { ...up.headers, 'content-length': String(Buffer.byteLength(text)) };
          delete headers['x-amz-crc32'];
          res.writeHead(up.statusCode ?? 500, headers);
          res.end(text);
        });
      });
      upstream.on('error', () => res.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  const port = await freePort(); // below the ephemeral range
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.unref();
  return { url: `http://127.0.0.1:${port}`, hide };
}

describe('the direct Kinesis stream and an incomplete shard listing', () => {
  it('a parent read to its end while the listing lacks its children: the children are read once they are listed', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const proxy = await childHidingProxy(kinesisEndpoint);
    const stream = uniqueName('incomplete');
    await createKinesisStream(stream, 1);
    const lines = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `r${from + i}`);
    await putLines(stream, lines(0, 50));
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const seen: string[] = [];
    KinesisUtils.createDirectStream(ssc, stream, { endpointUrl: proxy.url, regionName: REGION, initialPosition: InitialPositionInStream.TRIM_HORIZON }).foreachRDD(
      (rdd) => void seen.push(...rdd.collect()),
    );
    await ssc.start();
    await clock.advance(1000);
    expect(seen).toHaveLength(50);

    proxy.hide.on = true;
    await splitShard(stream, 'shardId-000000000000');
    await clock.advance(1000); // reads the parent to its end; the listing then has no children
    proxy.hide.on = false;
    await putLines(stream, lines(50, 50)); // into the children
    for (let i = 0; i < 5 && seen.length < 100; i++) await clock.advance(1000);
    expect(new Set(seen).size).toBe(100);
    expect(seen).toHaveLength(100);
  });
});
