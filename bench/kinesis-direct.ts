/**
 * Direct Kinesis stream throughput against kinesalite, ÷ a raw GetRecords loop over the same
 * stream. Prints figures; never passes or fails.
 *
 *   npx tsx bench/kinesis-direct.ts [records=100000] [shards=4] [rounds=3]
 *
 * Starts kinesalite (and dynalite) in a child process (scripts/kinesis-local.ts; KINESIS_ENDPOINT
 * set: that one is used), puts `records` records of about 100 bytes into a stream of `shards`
 * shards, then reads them all, each way `rounds` times, alternating:
 *
 *  - raw loop: per shard at once, GetShardIterator TRIM_HORIZON then GetRecords (10 000 a call)
 *    until a call returns nothing, decoding each record to a string — the baseline;
 *  - direct stream, one batch: createDirectStream from TRIM_HORIZON → count(), ManualClock, the
 *    whole stream in the first batch;
 *  - direct stream, 5 000 records a shard a batch: maxRecordsPerBatch 5 000 × shards (more batches, more
 *    GetRecords calls, each batch decided after the previous one).
 * Both ways run with no wait between the calls on a shard (kinesalite has no read limit) and,
 * in a second pass, with Kinesis's 5 reads/s a shard (200 ms apart; the direct stream's default).
 *
 * Figures are records/s from the start to the last record counted (for the streams including
 * start(): listing the shards), best of the rounds with the median in brackets; ratios are of
 * the best figures. The machine is shared with other work: expect noise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { InitialPositionInStream, KinesisUtils, ManualClock, StreamingContext } from '../src/index.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 100_000);
const SHARDS = Number(process.argv[3] ?? 4);
const ROUNDS = Number(process.argv[4] ?? 3);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function localKinesis(): Promise<{ endpoint: string; stop: () => void }> {
  if (process.env.KINESIS_ENDPOINT) return { endpoint: process.env.KINESIS_ENDPOINT, stop: () => undefined };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/kinesis-local.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /kinesalite on (\S+),/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`scripts/kinesis-local.ts exited (${code}): ${out}`)));
  });
  return { endpoint, stop: () => void child.kill('SIGTERM') };
}

const { endpoint: ENDPOINT, stop } = await localKinesis();
const client = new KinesisClient({
  endpoint: ENDPOINT,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  requestHandler: new NodeHttpHandler(),
});
const stream = `bench-kinesis-direct-${N}-${SHARDS}`;

async function prepare(): Promise<void> {
  try {
    await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: SHARDS }));
  } catch (e) {
    if ((e as Error).name !== 'ResourceInUseException') throw e;
    console.log(`stream ${stream} exists: using it as it is`);
    return;
  }
  while ((await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') await sleep(50);
  const t0 = performance.now();
  const payload = 'x'.repeat(90);
  for (let i = 0; i < N; i += 500) {
    const n = Math.min(500, N - i);
    await client.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: Array.from({ length: n }, (_, j) => ({ Data: Buffer.from(`${i + j} ${payload}`), PartitionKey: String(i + j) })),
      }),
    );
  }
  console.log(`put ${N} records into ${stream} (${SHARDS} shards) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function rawLoop(intervalMs: number): Promise<number> {
  const t0 = performance.now();
  const decoder = new TextDecoder();
  const shards = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  const counts = await Promise.all(
    shards.map(async (s) => {
      let it = (await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: s.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      let n = 0;
      let last = 0;
      while (it) {
        const wait = last + intervalMs - performance.now();
        if (wait > 0) await sleep(wait);
        last = performance.now();
        const r = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
        for (const rec of r.Records ?? []) if (decoder.decode(rec.Data!).length > 0) n++;
        if ((r.Records ?? []).length === 0) break;
        it = r.NextShardIterator;
      }
      return n;
    }),
  );
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== N) throw new Error(`raw loop read ${total} records, expected ${N}`);
  return N / ((performance.now() - t0) / 1000);
}

async function directStream(perBatch: number | undefined, intervalMs: number): Promise<number> {
  const t0 = performance.now();
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 60_000, clock });
  const records = KinesisUtils.createDirectStream(ssc, stream, {
    endpointUrl: ENDPOINT,
    regionName: 'us-east-1',
    initialPosition: InitialPositionInStream.TRIM_HORIZON,
    maxRecordsPerBatch: perBatch === undefined ? N : perBatch * SHARDS,
    minReadInterval: intervalMs,
  });
  let seen = 0;
  records.count().foreachRDD((rdd) => void (seen += rdd.first()));
  await ssc.start();
  while (seen < N) await clock.advance(60_000);
  const rps = N / ((performance.now() - t0) / 1000);
  await ssc.stop();
  if (seen !== N) throw new Error(`direct stream counted ${seen}, expected ${N}`);
  return rps;
}

function fmt(rps: number): string {
  return `${Math.round(rps).toLocaleString('en-US')} rec/s`;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  await prepare();
  for (const interval of [0, 200]) {
    const ways: Array<[string, () => Promise<number>]> = [
      ['raw GetRecords loop', () => rawLoop(interval)],
      ['direct stream, one batch', () => directStream(undefined, interval)],
      ['direct stream, 5 000 a shard a batch', () => directStream(5000, interval)],
    ];
    const results = new Map<string, number[]>(ways.map(([n]) => [n, []]));
    for (let r = 0; r < ROUNDS; r++) for (const [name, run] of ways) results.get(name)!.push(await run());
    console.log(`\n${N} records, ${SHARDS} shards, ${interval} ms between reads of a shard, best of ${ROUNDS} [median]:`);
    const base = Math.max(...results.get('raw GetRecords loop')!);
    for (const [name, xs] of results) {
      const best = Math.max(...xs);
      console.log(`  ${name.padEnd(40)} ${fmt(best).padStart(16)} [${fmt(median(xs))}]  ratio ${(best / base).toFixed(2)}`);
    }
  }
} finally {
  client.destroy();
  stop();
}
