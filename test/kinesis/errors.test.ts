// A Kinesis input pointed at a stream that does not exist, or at an endpoint nobody answers on,
// fails with an error that names the stream and the endpoint; bad arguments fail at once.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InitialPositionInStream,
  KinesisConfigError,
  KinesisUtils,
  StorageLevel,
  StreamingContext,
  type ReceiverInfo,
} from '../../src/index.js';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { createKinesisStream, kinesis, kinesisEndpoints, putLines, REGION, uniqueName } from '../helpers/kinesis.js';
import { freePort } from '../helpers/ports.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A port nothing listens on (below 32768). */
async function closedPort(): Promise<number> {
  for (;;) {
    const p = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return p;
  }
}

function context(): StreamingContext {
  const ssc = new StreamingContext({ batchDuration: 500 });
  cleanups.push(() => ssc.stop());
  return ssc;
}

/** The first receiver error reported to listeners. */
function firstReceiverError(ssc: StreamingContext): Promise<ReceiverInfo> {
  return new Promise((resolve) => ssc.addStreamingListener({ onReceiverError: (info) => resolve(info) }));
}

const text = (info: ReceiverInfo): string => `${info.lastErrorMessage ?? ''} ${(info.lastError as Error | undefined)?.message ?? ''}`;

describe('Kinesis errors name the stream and the endpoint', () => {
  it('direct stream, missing stream: start() rejects', async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const ssc = context();
    const stream = uniqueName('missing');
    KinesisUtils.createDirectStream(ssc, stream, { endpointUrl: kinesisEndpoint, regionName: REGION }).foreachRDD(() => undefined);
    const err = await ssc.start().then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toContain(`Kinesis stream "${stream}" at ${kinesisEndpoint}`);
    expect(err?.message).toMatch(/does not exist/);
  });

  it('direct stream, nobody at the endpoint: start() rejects after the retry timeout', async () => {
    const ssc = context();
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    KinesisUtils.createDirectStream(ssc, 'words', { endpointUrl: endpoint, regionName: REGION, retryTimeout: 800 }).foreachRDD(() => undefined);
    const t0 = Date.now();
    const err = await ssc.start().then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toContain(`Kinesis stream "words" at ${endpoint}`);
    expect(err?.message).toMatch(/unreachable.*ECONNREFUSED/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('receiver, missing stream: listeners get onReceiverError naming stream and endpoint', async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const ssc = context();
    const stream = uniqueName('missing');
    const errored = firstReceiverError(ssc);
    KinesisUtils.createStream(ssc, uniqueName('app'), stream, kinesisEndpoint, REGION, InitialPositionInStream.LATEST, 1000,
      StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined, { dynamoDBEndpoint }).foreachRDD(() => undefined);
    await ssc.start();
    const info = await errored;
    expect(text(info)).toContain(`Kinesis stream "${stream}" at ${kinesisEndpoint}`);
    expect(text(info)).toMatch(/does not exist/);
  });

  it('receiver, stream deleted while the job runs: the context fails naming the stream, as the direct stream does (it restarted forever, silently)', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const stream = uniqueName('deleted');
    await createKinesisStream(stream, 1);
    const ssc = context();
    KinesisUtils.createStream(ssc, uniqueName('app'), stream, kinesisEndpoint, REGION, InitialPositionInStream.TRIM_HORIZON, 500,
      StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined, { dynamoDBEndpoint, shardSyncInterval: 300, retryTimeout: 3000 }).foreachRDD(() => undefined);
    await ssc.start();
    await sleep(800);
    await kinesis().send(new DeleteStreamCommand({ StreamName: stream }));
    const outcome = await Promise.race([ssc.awaitTermination().then(() => 'stopped', (e: unknown) => String((e as Error).message)), sleep(20_000).then(() => 'still running')]);
    expect(outcome).toMatch(new RegExp(`Kinesis stream "${stream}" at ${kinesisEndpoint}.*does not exist`));
  });

  it('receiver, nobody at the lease table\'s endpoint: the error names the table, the stream and the endpoint', async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const stream = uniqueName('leases-down');
    await createKinesisStream(stream, 1);
    const ssc = context();
    const app = uniqueName('app');
    const dynamo = `http://127.0.0.1:${await closedPort()}`;
    const errored = firstReceiverError(ssc);
    KinesisUtils.createStream(ssc, app, stream, kinesisEndpoint, REGION, InitialPositionInStream.LATEST, 1000,
      StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined, { dynamoDBEndpoint: dynamo, retryTimeout: 800 }).foreachRDD(() => undefined);
    await ssc.start();
    const info = await errored;
    expect(text(info), text(info)).toContain(`lease table "${app}" (Kinesis stream "${stream}") at ${dynamo}`);
    expect(text(info), text(info)).toMatch(/unreachable/);
    await sleep(10);
  });

  it('bad arguments fail at once with KinesisConfigError', () => {
    const ssc = context();
    const ok = { endpointUrl: 'http://127.0.0.1:4567', regionName: REGION };
    expect(() => KinesisUtils.createDirectStream(ssc, 'words', { ...ok, endpointUrl: 'kinesis.us-east-1.amazonaws.com' })).toThrow(
      /endpointUrl "kinesis.us-east-1.amazonaws.com" is not a URL with its scheme/,
    );
    expect(() => KinesisUtils.createDirectStream(ssc, 'bad name!', ok)).toThrow(KinesisConfigError);
    expect(() =>
      KinesisUtils.createDirectStream(ssc, 'words', { ...ok, initialPosition: 'EARLIEST' as InitialPositionInStream }),
    ).toThrow(/InitialPositionInStream.LATEST or TRIM_HORIZON, got EARLIEST/);
    // Named as the caller named them (the batch cap's own words were "batch cap maxRecords").
    expect(() => KinesisUtils.createDirectStream(ssc, 'words', { ...ok, maxRecordsPerBatch: 0 })).toThrow(
      new KinesisConfigError('params.maxRecordsPerBatch must be a positive number, got 0'),
    );
    expect(() => KinesisUtils.createDirectStream(ssc, 'words', { ...ok, maxBytesPerBatch: 0 })).toThrow('params.maxBytesPerBatch must be a positive number, got 0');
    expect(() => KinesisUtils.createStream(ssc, 'app', 'words', ok.endpointUrl, REGION, InitialPositionInStream.LATEST, 0)).toThrow(/checkpointInterval/);
    expect(() =>
      KinesisUtils.createStream(ssc, 'app', 'words', ok.endpointUrl, REGION, InitialPositionInStream.LATEST, 2000, 'MEMORY' as unknown as StorageLevel),
    ).toThrow(/storageLevel must be a StorageLevel/);
    const createWith = (options: object) => () =>
      KinesisUtils.createStream(ssc, 'app', 'words', ok.endpointUrl, REGION, InitialPositionInStream.LATEST, 2000, StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined, options);
    expect(createWith({ leaseTimeout: '10s' })).toThrow('options.leaseTimeout must be a positive number of ms, got 10s');
    expect(createWith({ shardSyncInterval: 0 })).toThrow('options.shardSyncInterval must be a positive number of ms, got 0');
    expect(createWith({ retryTimeout: -1 })).toThrow(KinesisConfigError);
    expect(createWith({ maxRecordsPerRead: 'many' })).toThrow(/maxRecordsPerRead must be a whole number from 1 to 10000/);
    expect(() => KinesisUtils.createStream(ssc, 'app', 'words', ok.endpointUrl, REGION, InitialPositionInStream.LATEST, 2000, StorageLevel.MEMORY_AND_DISK_2, 'key')).toThrow(
      /both awsAccessKeyId and awsSecretKey/,
    );
  });

  it("a decoder that throws: the direct stream's batch fails and awaitTermination rejects with it; the receiver stops, reports it to listeners, and its next batch fails the context with it", { timeout: 60_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const stream = uniqueName('bad-record');
    await createKinesisStream(stream, 1);
    await putLines(stream, ['good', 'bad']);
    const decoder = (data: Uint8Array): string => {
      const s = new TextDecoder().decode(data);
      if (s === 'bad') throw new Error('cannot decode "bad"');
      return s;
    };
    const ssc = new StreamingContext({ batchDuration: 200 });
    cleanups.push(() => ssc.stop());
    KinesisUtils.createDirectStream(ssc, stream, { endpointUrl: kinesisEndpoint, regionName: REGION, initialPosition: InitialPositionInStream.TRIM_HORIZON, decoder })
      .foreachRDD(() => undefined);
    await ssc.start();
    await expect(ssc.awaitTermination()).rejects.toThrow('cannot decode "bad"');

    const ssc2 = context();
    const errored = firstReceiverError(ssc2);
    KinesisUtils.createStream(ssc2, uniqueName('app'), stream, kinesisEndpoint, REGION, InitialPositionInStream.TRIM_HORIZON, 1000,
      StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, decoder, { dynamoDBEndpoint }).foreachRDD(() => undefined);
    await ssc2.start();
    const info = await errored;
    expect(text(info)).toContain('cannot decode "bad"');
    expect(text(info)).toContain(stream);
    // Not restarted to meet the same record again (every shard stalled, for ever): the job fails.
    await expect(ssc2.awaitTermination()).rejects.toThrow(/message handler of the Kinesis receiver of stream .* failed on shard .*: cannot decode "bad"/);
  });
  it('receiver: a stop with the lease table unreachable takes seconds, not the retry timeout of every last checkpoint', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const dyn = new URL(dynamoDBEndpoint);
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((c) => {
      const u = net.connect(Number(dyn.port), dyn.hostname);
      sockets.add(c);
      sockets.add(u);
      c.pipe(u);
      u.pipe(c);
      c.on('error', () => u.destroy());
      u.on('error', () => c.destroy());
    });
    const port = await freePort();
    await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', () => r()));
    cleanups.push(() => void proxy.close());
    const stream = uniqueName('stop-table-down');
    await createKinesisStream(stream, 2);
    const ssc = new StreamingContext({ batchDuration: 200 });
    const seen: string[] = [];
    KinesisUtils.createStream(ssc, uniqueName('app'), stream, kinesisEndpoint, REGION, InitialPositionInStream.TRIM_HORIZON, 500,
      StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined, { dynamoDBEndpoint: `http://127.0.0.1:${port}`, retryTimeout: 30_000, idleReadInterval: 100 })
      .foreachRDD((rdd) => void seen.push(...(rdd.collect() as string[])));
    await ssc.start();
    await putLines(stream, Array.from({ length: 20 }, (_, i) => `r-${i}`));
    while (seen.length < 20) await sleep(100);
    proxy.close();
    for (const s of sockets) s.destroy();
    const t0 = Date.now();
    await ssc.stop();
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
  it('receiver: a second stream under an application name another stream uses fails at once, naming both (the leases are keyed by shard id)', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const [s1, s2, app] = [uniqueName('shared-a'), uniqueName('shared-b'), uniqueName('app')];
    await createKinesisStream(s1, 2);
    await createKinesisStream(s2, 1);
    const job = (stream: string): StreamingContext => {
      const ssc = new StreamingContext({ batchDuration: 200 });
      cleanups.push(() => ssc.stop());
      KinesisUtils.createStream(ssc, app, stream, kinesisEndpoint, REGION, InitialPositionInStream.TRIM_HORIZON, 500,
        StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined, { dynamoDBEndpoint, idleReadInterval: 100 }).foreachRDD(() => undefined);
      return ssc;
    };
    const a = job(s1);
    const leased = new Promise<void>((resolve) => a.addStreamingListener({ onReceiverStarted: () => resolve() }));
    await a.start();
    await leased;
    await sleep(1000); // its leases are in the table
    const b = job(s2);
    await b.start();
    await expect(b.awaitTermination()).rejects.toThrow(`lease table "${app}" holds the leases of Kinesis stream "${s1}", not "${s2}"`);
    expect(a.state).toBe('active');
  });
});
