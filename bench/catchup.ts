/**
 * Catching up on a Kafka backlog: time and peak RSS to drain N records (default 5 M) from
 * `earliest` with a direct stream,
 *
 *  - bounded (default settings): the default cap (src/rate/BatchCap.ts) cuts the backlog into
 *    batches of about one batch interval of processing each, run back to back;
 *  - one batch (Spark's unlimited default, today's behaviour before the cap): the same job with
 *    `maxRatePerPartition: 1e9`, so the first batch takes the whole backlog;
 *  - bounded with a 512 MB heap (`--max-old-space-size=512`, where one batch cannot run): the
 *    peak RSS a bounded job needs when the heap is bounded too.
 *
 *   npx tsx bench/catchup.ts [records=5000000] [rounds=3] [batchMs=1000]
 *
 * Uses KAFKA_BROKERS when set, else starts a broker of its own with scripts/kafka.sh on free
 * ports below 32768 (wiped at exit). The records ("<n> <24 bytes of padding>", 4 partitions)
 * are produced once per broker (topic `catchup-<N>`, reused by later runs). Each run is a child
 * process (`node --max-old-space-size=4096` for the first two, the same for both) whose job parses each record's
 * number and counts and sums them per batch; it stops once all N were counted. Figures: wall
 * time from start() to the last record counted, CPU time of the process, peak RSS
 * (`process.resourceUsage().maxRSS`), batches. Rounds alternate the two; medians, with the
 * best in brackets; ratio bounded ÷ one batch. Prints figures, never passes or fails.
 */
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { sendInBatches } from '../src/kafka/produce.js';
import { KafkaUtils, StreamingContext } from '../src/index.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const PAD = 'x'.repeat(24);

interface RunResult {
  ms: number;
  cpuMs: number;
  peakRssMB: number;
  batches: number;
  maxBatch: number;
  records: number;
  sum: number;
}

// ---- the child: one run of the job ---------------------------------------------------------

async function child(brokers: string, topic: string, n: number, batchMs: number, params: Record<string, number>): Promise<void> {
  const ssc = new StreamingContext({ batchDuration: batchMs, appName: 'catchup' });
  const stream = KafkaUtils.createDirectStream(ssc, [topic], { 'metadata.broker.list': brokers, 'auto.offset.reset': 'earliest', ...params });
  let records = 0;
  let sum = 0;
  let batches = 0;
  let maxBatch = 0;
  let startedAt = 0;
  stream
    .map(([, v]) => Number(v.slice(0, v.indexOf(' '))))
    .foreachRDD((rdd) => {
      let c = 0;
      for (let p = 0; p < rdd.getNumPartitions(); p++) {
        for (const x of rdd.partition(p)) {
          c++;
          sum += x;
        }
      }
      records += c;
      if (c > 0) batches++;
      maxBatch = Math.max(maxBatch, c);
      if (records >= n) {
        const cpu = process.cpuUsage();
        const result: RunResult = {
          ms: Math.round(performance.now() - startedAt),
          cpuMs: Math.round((cpu.user + cpu.system) / 1000),
          peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
          batches,
          maxBatch,
          records,
          sum,
        };
        process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
        void ssc.stop();
      }
    });
  startedAt = performance.now();
  await ssc.start();
  await ssc.awaitTermination();
}

// ---- the parent ----------------------------------------------------------------------------

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function freePort(avoid: number[] = []): Promise<number> {
  for (;;) {
    const p = 20_000 + Math.floor(Math.random() * 12_000);
    if (!avoid.includes(p) && (await portFree(p))) return p;
  }
}

async function broker(): Promise<{ brokers: string; stop: () => void }> {
  const given = process.env.KAFKA_BROKERS?.trim();
  if (given) return { brokers: given, stop: () => undefined };
  const port = await freePort();
  const cport = await freePort([port]);
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(cport), KAFKA_OWNER_PID: String(process.pid) };
  console.log(`starting a broker on 127.0.0.1:${port} (scripts/kafka.sh) …`);
  execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'up', '--fresh'], { env, stdio: 'ignore' });
  return {
    brokers: `127.0.0.1:${port}`,
    stop: () => execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'reset'], { env, stdio: 'ignore' }),
  };
}

async function ensureBacklog(brokers: string, topic: string, n: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-catchup', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) {
      const total = (await admin.fetchTopicOffsets(topic)).reduce((a, o) => a + Number(o.high), 0);
      if (total === n) return;
      await admin.deleteTopics({ topics: [topic] });
    }
    await admin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  const t0 = Date.now();
  function* messages(): Iterable<{ value: string; partition: number }> {
    for (let i = 0; i < n; i++) yield { value: `${i} ${PAD}`, partition: i % 4 };
  }
  await sendInBatches(producer, topic, messages(), { batchSize: 5000 });
  await producer.disconnect();
  console.log(`produced ${n.toLocaleString('en')} records in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function runOnce(brokers: string, topic: string, n: number, batchMs: number, params: Record<string, number>, heapMB: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [`--max-old-space-size=${heapMB}`, '--import', 'tsx', SELF, '--child', brokers, topic, String(n), String(batchMs), JSON.stringify(params)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += String(d)));
    p.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`run failed (exit ${code}): ${out.slice(-2000)}`));
      else resolve(JSON.parse(line.slice(7)) as RunResult);
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 5_000_000);
  const rounds = Number(process.argv[3] ?? 3);
  const batchMs = Number(process.argv[4] ?? 1000);
  const { brokers, stop } = await broker();
  try {
    const topic = `catchup-${n}`;
    await ensureBacklog(brokers, topic, n);
    const variants: Array<[string, Record<string, number>, number]> = [
      ['bounded (default cap)', {}, 4096],
      ['one batch (maxRatePerPartition 1e9)', { maxRatePerPartition: 1e9 }, 4096],
      ['bounded, 512 MB heap', {}, 512],
    ];
    const results = new Map<string, RunResult[]>(variants.map(([name]) => [name, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [name, params, heapMB] of r % 2 === 0 ? variants : [...variants].reverse()) {
        const res = await runOnce(brokers, topic, n, batchMs, params, heapMB);
        if (res.records !== n || res.sum !== (n * (n - 1)) / 2) throw new Error(`${name}: counted ${res.records} records, sum ${res.sum}`);
        results.get(name)!.push(res);
        console.log(`  round ${r + 1} ${name}: ${res.ms} ms, cpu ${res.cpuMs} ms, peak RSS ${res.peakRssMB} MB, ${res.batches} batches (largest ${res.maxBatch})`);
      }
    }
    console.log(`\ncatch-up of ${n.toLocaleString('en')} records, ${batchMs} ms batches, 4 partitions (medians of ${rounds}, best in brackets):`);
    const fig = (name: string, key: keyof RunResult, best: (xs: number[]) => number): string => {
      const xs = results.get(name)!.map((x) => x[key]);
      return `${median(xs)} (${best(xs)})`;
    };
    for (const [name] of variants) {
      console.log(
        `  ${name.padEnd(38)} wall ${fig(name, 'ms', (x) => Math.min(...x))} ms   cpu ${fig(name, 'cpuMs', (x) => Math.min(...x))} ms   ` +
          `peak RSS ${fig(name, 'peakRssMB', (x) => Math.min(...x))} MB   batches ${fig(name, 'batches', (x) => Math.min(...x))}`,
      );
    }
    const [b, o, b512] = variants.map(([name]) => results.get(name)!);
    const ratio = (x: RunResult[], k: keyof RunResult): string => (median(x.map((r) => r[k])) / median(o!.map((r) => r[k]))).toFixed(2);
    console.log(`  bounded ÷ one batch: wall ${ratio(b!, 'ms')}, cpu ${ratio(b!, 'cpuMs')}, peak RSS ${ratio(b!, 'peakRssMB')}`);
    console.log(`  bounded (512 MB heap) ÷ one batch: wall ${ratio(b512!, 'ms')}, cpu ${ratio(b512!, 'cpuMs')}, peak RSS ${ratio(b512!, 'peakRssMB')}`);
  } finally {
    stop();
  }
}

if (process.argv[2] === '--child') {
  const [brokers, topic, n, batchMs, params] = process.argv.slice(3);
  await child(brokers!, topic!, Number(n), Number(batchMs), JSON.parse(params!) as Record<string, number>);
} else {
  await main();
}
