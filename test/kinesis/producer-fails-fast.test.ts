// The Kinesis producer (`dstreams feed --kinesis-stream`) retries only what a retry may fix: a
// line over Kinesis's 1 MiB a record is refused before anything is sent, naming the line and its
// size, and a request Kinesis rejects (ValidationException) fails at once — not after 2 minutes.
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { KinesisProducer } from '../../src/kinesis/producer.js';
import { kinesis, kinesisEndpoints, listShards, REGION, uniqueName } from '../helpers/kinesis.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function producer(stream: string): KinesisProducer {
  const p = new KinesisProducer(stream, { endpointUrl: kinesisEndpoints().kinesisEndpoint, regionName: REGION });
  cleanups.push(() => p.close());
  return p;
}

async function recordsIn(stream: string): Promise<number> {
  let n = 0;
  for (const s of await listShards(stream)) {
    const it = await kinesis().send(new GetShardIteratorCommand({ StreamName: stream, ShardId: s.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }));
    n += (await kinesis().send(new GetRecordsCommand({ ShardIterator: it.ShardIterator! }))).Records?.length ?? 0;
  }
  return n;
}

describe('KinesisProducer fails at once on errors a retry cannot fix', () => {
  it('a line over 1 MiB is refused before sending, the error naming the line and its size; nothing of the call is put', { timeout: 20_000 }, async () => {
    const stream = uniqueName('big');
    const p = producer(stream);
    await p.ensureStream(1);
    await p.putLines(['first']);
    const big = 'x'.repeat(1024 * 1024 + 10);
    const t0 = Date.now();
    const err = await p.putLines(['second', big, 'fourth']).then(() => undefined, (e: unknown) => e as Error);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(err?.message).toContain(`Kinesis stream "${stream}"`);
    expect(err?.message).toMatch(/line 3 \(record 3 put by this producer.*\) is 1048586 bytes.*at most 1048576 bytes/);
    expect(await recordsIn(stream)).toBe(1);
    // A record of exactly 1 MiB is Kinesis's limit, and goes.
    await p.putLines(['y'.repeat(1024 * 1024)]);
    expect(await recordsIn(stream)).toBe(2);
  });

  it('a request Kinesis rejects (ValidationException: a bad stream name) fails at once, naming why', { timeout: 20_000 }, async () => {
    const p = producer('not a valid name!');
    const t0 = Date.now();
    const err = await p.putLines(['a', 'b']).then(() => undefined, (e: unknown) => e as Error);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(err?.message).toMatch(/putting 2 records failed: ValidationException/);
  });
});
