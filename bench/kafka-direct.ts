/**
 * Kafka input throughput against a real broker. Prints figures; never passes or fails.
 *
 *   npx tsx bench/kafka-direct.ts [records=1000000] [partitions=4] [rounds=3]
 *
 * Uses KAFKA_BROKERS when set, else starts a broker of its own with scripts/kafka.sh on free
 * ports (wiped at exit). Pre-produces `records` records of about 100 bytes to a topic (kept for
 * later runs against the same broker), then reads them all, each way `rounds` times, alternating:
 *
 *  - raw kafkajs: a consumer (fresh group, fromBeginning) with `eachBatch`, decoding key and
 *    value to strings and counting — the baseline;
 *  - direct stream, one batch: createDirectStream → map(identity) → count(), ManualClock, the
 *    whole topic in the first batch (maxRatePerPartition 1e9 overrides the default batch cap);
 *  - direct stream, 100k-record batches: the same with maxRatePerPartition set so each 1 s
 *    batch takes 100,000 records (more lookups of the latest offsets, more fetch round trips);
 *  - receiver stream (createStream) without and with the write-ahead log: consumer group →
 *    KafkaReceiver.store → blocks (→ log, fsync'd) → batches (SystemClock, 200 ms batches),
 *    until every record was counted.
 *
 * Each figure is records/s from start to the last record counted (for the streams including
 * start(): partition discovery, group join for the receiver), best of the rounds, with the
 * median in brackets; ratios are of the best figures.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaUtils, ManualClock, StreamingContext } from '../src/index.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 1_000_000);
const P = Number(process.argv[3] ?? 4);
const ROUNDS = Number(process.argv[4] ?? 3);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function brokers(): Promise<{ brokers: string; stop: () => void }> {
  const given = process.env.KAFKA_BROKERS?.trim();
  if (given) return { brokers: given, stop: () => undefined };
  const port = await freePort();
  let cport = await freePort();
  while (cport === port) cport = await freePort();
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(cport), KAFKA_OWNER_PID: String(process.pid) };
  console.log(`starting a broker on 127.0.0.1:${port} (scripts/kafka.sh) …`);
  execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'up', '--fresh'], { env, stdio: 'ignore' });
  const stop = (): void => {
    try {
      execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'reset'], { env, stdio: 'ignore' });
    } catch {
      /* best effort */
    }
  };
  return { brokers: `127.0.0.1:${port}`, stop };
}

const { brokers: BROKERS, stop: stopBroker } = await brokers();
const kafka = new Kafka({ clientId: 'bench', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
const topic = `bench-kafka-direct-${N}-${P}`;

async function prepare(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) {
      const offs = await admin.fetchTopicOffsets(topic);
      if (offs.reduce((n, o) => n + Number(o.high), 0) === N) return;
      await admin.deleteTopics({ topics: [topic] });
      await new Promise((r) => setTimeout(r, 2000));
    }
    await admin.createTopics({ topics: [{ topic, numPartitions: P }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  const t0 = performance.now();
  const pad = 'x'.repeat(76);
  for (let i = 0; i < N; i += 5000) {
    const messages = [];
    for (let j = i; j < Math.min(N, i + 5000); j++) {
      messages.push({ key: `k${j % 1000}`, value: `${String(j).padStart(10, '0')} ${pad}`, partition: j % P });
    }
    await producer.send({ topic, messages, acks: -1 });
  }
  await producer.disconnect();
  console.log(`produced ${N} records (≈100 bytes: 4-byte key, 87-byte value) to ${topic} (${P} partitions) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function rawConsumer(): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-raw-${Date.now()}-${Math.random()}` });
  const t0 = performance.now();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let n = 0;
  let t1 = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const k = m.key === null ? null : m.key.toString('utf8');
            const v = m.value === null ? '' : m.value.toString('utf8');
            if (k !== undefined && v !== undefined) n++;
          }
          if (n >= N && t1 === 0) {
            t1 = performance.now();
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return N / ((t1 - t0) / 1000);
}

async function directStream(recordsPerBatch: number | undefined): Promise<number> {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  const params: Record<string, string | number> = { 'metadata.broker.list': BROKERS, 'auto.offset.reset': 'earliest' };
  // Without a rate, the default cap would cut the topic into bounded batches; 1e9/s takes it all (bench/catchup.ts compares the two).
  params.maxRatePerPartition = recordsPerBatch !== undefined ? recordsPerBatch / P : 1e9;
  let total = 0;
  KafkaUtils.createDirectStream(ssc, [topic], params)
    .map((kv) => kv)
    .count()
    .foreachRDD((rdd) => {
      total += rdd.first();
    });
  const t0 = performance.now();
  await ssc.start();
  while (total < N) await clock.advance(1000);
  const t1 = performance.now();
  await ssc.stop();
  if (total !== N) throw new Error(`direct stream counted ${total}, not ${N}`);
  return N / ((t1 - t0) / 1000);
}

/** The receiver-based stream: consumer group → KafkaReceiver.store → blocks (→ write-ahead log) → batches. */
async function receiverStream(wal: boolean): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-kafka-wal-'));
  const ssc = new StreamingContext({ batchDuration: 200, receiverWriteAheadLog: wal });
  if (wal) ssc.checkpoint(dir);
  let total = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  KafkaUtils.createStream(ssc, BROKERS, `bench-recv-${Date.now()}-${Math.random()}`, { [topic]: P }, { 'auto.offset.reset': 'earliest' })
    .count()
    .foreachRDD((rdd) => {
      total += rdd.first();
      if (total >= N) done();
    });
  const t0 = performance.now();
  await ssc.start();
  await finished;
  const t1 = performance.now();
  await ssc.stop();
  rmSync(dir, { recursive: true, force: true });
  if (total !== N) throw new Error(`receiver stream counted ${total}, not ${N}`);
  return N / ((t1 - t0) / 1000);
}

function fmt(rps: number): string {
  return `${Math.round(rps).toLocaleString('en-US')} records/s`;
}

try {
  await prepare();
  const runs: Array<[string, () => Promise<number>]> = [
    ['raw kafkajs consumer (eachBatch)', rawConsumer],
    ['direct stream, one batch', () => directStream(undefined)],
    ['direct stream, 100k-record batches', () => directStream(100_000)],
  ];
  runs.push(['receiver stream (createStream), no WAL', () => receiverStream(false)]);
  runs.push(['receiver stream (createStream), WAL', () => receiverStream(true)]);
  const results = new Map<string, number[]>(runs.map(([name]) => [name, []]));
  // Warm-up: one direct run and one raw run, not counted.
  await directStream(undefined);
  await rawConsumer();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, f] of runs) results.get(name)!.push(await f());
  }
  const best = (name: string): number => Math.max(...results.get(name)!);
  const median = (name: string): number => {
    const xs = [...results.get(name)!].sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)]!;
  };
  console.log(`\n${N.toLocaleString('en-US')} records, ${P} partitions, best of ${ROUNDS} [median]:`);
  for (const [name] of runs) console.log(`  ${name.padEnd(42)} ${fmt(best(name)).padStart(20)}  [${fmt(median(name))}]`);
  const raw = best('raw kafkajs consumer (eachBatch)');
  console.log('\nratios to the raw consumer (goal for the direct stream: ≥ 0.9):');
  for (const [name] of runs.slice(1)) console.log(`  ${name.padEnd(42)} ${(best(name) / raw).toFixed(2)}  [median ${(median(name) / median('raw kafkajs consumer (eachBatch)')).toFixed(2)}]`);
} finally {
  stopBroker();
}
