/**
 * Scale-out over Kafka (docs/scale-out.md): copies of bench/scaleout-job.ts as child processes
 * sharing one 6-partition topic. Prints figures; never passes or fails. The machine is shared
 * (2 cores, other processes running): treat the figures as rough.
 *
 *   npx tsx bench/scaleout.ts [lines=100000] [keys=100000,1000000] [sections=throughput,rebalance,restore,standby]
 *
 * DSTREAMS_BENCH_PROFILE=dir: the throughput runs' copies write a CPU profile there (node
 * --cpu-prof; they are stopped gracefully so the profile is written).
 *
 * Uses KAFKA_BROKERS when set, else starts a broker with scripts/kafka.sh (wiped at exit).
 *
 *  - throughput: 1, 2 and 3 copies of the stateful job (repartitionByKey + mapWithState, its
 *    changelog written every batch); the copies join first, then `lines` lines (4 words each)
 *    are produced and the clock runs until every word went through the state. Lines/s and the
 *    ratio to one copy, and lines per CPU-second (the copies' CPU time while they worked: the
 *    figure to compare on a shared machine). On 2 cores three copies compete for two cores.
 *  - changelog cost: one copy of the stateful job ÷ one copy of the same job with a per-batch
 *    reduceByKey instead of state (no state, no changelog); and the single-process job (no
 *    applicationId: no repartition topic, no transactions) for what scaling out costs at N = 1.
 *  - rebalance: 3 copies with input flowing, one SIGKILLed: kill → its tasks assigned again,
 *    and → first completed batch of their new owners (session.timeout.ms 6000, 1 s batches);
 *    and one stopped gracefully: stop → assigned again.
 *  - restore: `keys` keys written into a changelog, then a fresh copy (no local checkpoint)
 *    takes every task: the time it reports for reading the changelog into its state.
 *  - standby: 3 copies with standbyReplicas 0, then 1; `keys` keys written into the changelog
 *    (spread over the 6 tasks), a few seconds for the standbys to follow, one copy SIGKILLed:
 *    the restore time its tasks' new owners report, and kill → their first completed batch.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { keyString, partitionForKey } from '../src/kafka/partitioner.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LINES = Number(process.argv[2] ?? 100_000);
const KEYS = (process.argv[3] ?? '100000,1000000').split(',').map(Number);
const SECTIONS = (process.argv[4] ?? 'throughput,rebalance,restore,standby').split(',');
const PROFILE_DIR = process.env.DSTREAMS_BENCH_PROFILE;
const PARTITIONS = 6;
const BATCH_MS = 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A free port below 32768 (the ephemeral range above it can be taken by outgoing connections). */
async function freePortBelow32768(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

async function brokers(): Promise<{ brokers: string; stop: () => void }> {
  const given = process.env.KAFKA_BROKERS?.trim();
  if (given) return { brokers: given, stop: () => undefined };
  const port = await freePortBelow32768();
  let cport = await freePortBelow32768();
  while (cport === port) cport = await freePortBelow32768();
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(cport), KAFKA_OWNER_PID: String(process.pid) };
  console.log(`starting a broker on 127.0.0.1:${port} (scripts/kafka.sh) …`);
  execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'up', '--fresh'], { env, stdio: 'ignore' });
  return {
    brokers: `127.0.0.1:${port}`,
    stop: () => {
      try {
        execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'reset'], { env, stdio: 'ignore' });
      } catch {
        /* best effort */
      }
    },
  };
}

const { brokers: BROKERS, stop: stopBroker } = await brokers();
const kafka = new Kafka({ clientId: 'bench', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const producer = kafka.producer();
await producer.connect();
const dirs: string[] = [];
const children: ChildProcess[] = [];
let seq = 0;

interface Copy {
  out: () => string;
  err: () => string;
  tasks: () => number[];
  lastAssignedAt: () => number;
  batchesAfter: (t: number) => number[];
  /** The CPU time (ms) the copy reported with its latest batch. */
  cpu: () => number;
  sum: (tag: string) => number;
  kill: () => void;
  stop: () => void;
  exited: Promise<unknown>;
}

function copy(topic: string, app: string, mode: string, standbyReplicas = 0, profile = false): Copy {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-scaleout-'));
  dirs.push(dir);
  // One directory per copy: its main thread's and tsx's loader thread's profiles (node names them by pid and thread).
  const prof = profile && PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE_DIR, `${app}-${++seq}`)}`] : [];
  const p = spawn(process.execPath, [...prof, '--import', 'tsx', path.join(ROOT, 'bench/scaleout-job.ts'), BROKERS, topic, app, dir, mode, String(BATCH_MS), String(standbyReplicas)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(p);
  let out = '';
  let err = '';
  p.stdout!.on('data', (d) => (out += String(d)));
  p.stderr!.on('data', (d) => (err += String(d)));
  const lines = (tag: string): string[] => out.split('\n').filter((l) => l.startsWith(`${tag} `)).map((l) => l.slice(tag.length + 1));
  const assigned = (): Array<{ partitions: Array<{ partition: number }>; at: number }> => lines('ASSIGNED').map((l) => JSON.parse(l));
  return {
    out: () => out,
    err: () => err,
    tasks: () => [...new Set(assigned().at(-1)?.partitions.map((x) => x.partition) ?? [])],
    lastAssignedAt: () => assigned().at(-1)?.at ?? 0,
    batchesAfter: (t) => lines('BATCH').map((l) => (JSON.parse(l) as { at: number }).at).filter((at) => at > t),
    cpu: () => (JSON.parse(lines('BATCH').at(-1) ?? '{"cpu":0}') as { cpu: number }).cpu,
    sum: (tag) => lines(tag).reduce((n, l) => n + Number(l), 0),
    kill: () => void p.kill('SIGKILL'),
    stop: () => void p.stdin!.write('stop\n'),
    exited: new Promise((r) => p.once('exit', r)),
  };
}

async function waitUntil(cond: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function newTopic(prefix: string): Promise<string> {
  const topic = `bench-${prefix}-${Date.now().toString(36)}-${++seq}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  return topic;
}

const VOCAB = Array.from({ length: 5000 }, (_, i) => `w${i}`);
async function produce(topic: string, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i += 5000) {
    const messages = [];
    for (let j = i; j < Math.min(from + n, i + 5000); j++) {
      messages.push({ value: `${VOCAB[(j * 7) % 5000]} ${VOCAB[(j * 13) % 5000]} ${VOCAB[(j * 31) % 5000]} ${VOCAB[(j * 61) % 5000]}`, partition: j % PARTITIONS });
    }
    await producer.send({ topic, messages, acks: -1 });
  }
}

async function stopAll(copies: Copy[]): Promise<void> {
  for (const c of copies) c.kill();
  await Promise.all(copies.map((c) => c.exited));
}

/** Lines/s (wall) and lines per CPU-second of `n` copies of `mode` over LINES lines produced once they all joined. */
async function throughput(n: number, mode: string): Promise<{ rate: number; perCpu: number }> {
  const topic = await newTopic(mode);
  const app = `bench-${mode}-${n}-${Date.now().toString(36)}`;
  const copies = Array.from({ length: n }, () => copy(topic, app, mode, 0, true));
  const share = Math.ceil(PARTITIONS / n);
  if (mode === 'single') await waitUntil(() => copies[0]!.out().includes('STARTED'), 'start');
  else await waitUntil(() => copies.every((c) => c.tasks().length > 0 && c.tasks().length <= share) && copies.reduce((s, c) => s + c.tasks().length, 0) === PARTITIONS, 'assignment');
  await sleep(2 * BATCH_MS);
  const cpu0 = copies.reduce((s, c) => s + c.cpu(), 0);
  const t0 = performance.now();
  await produce(topic, 0, LINES);
  await waitUntil(() => copies.reduce((s, c) => s + c.sum('PAIRS'), 0) >= LINES * 4, 'every word counted', 600_000);
  const rate = LINES / ((performance.now() - t0) / 1000);
  // The CPU time a copy reports comes with its completed batches: wait for one completed after the count.
  const counted = Date.now();
  await waitUntil(() => copies.every((c) => c.batchesAfter(counted).length > 0), 'a batch completed after the count');
  const perCpu = LINES / ((copies.reduce((s, c) => s + c.cpu(), 0) - cpu0) / 1000);
  if (PROFILE_DIR) {
    for (const c of copies) c.stop();
    await Promise.all(copies.map((c) => c.exited));
  } else {
    await stopAll(copies);
  }
  return { rate, perCpu };
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

/** `k` keys written straight into a mapWithState changelog (as the state's own records), spread over the tasks. */
async function writeChangelog(changelog: string, k: number): Promise<void> {
  const stamp = Date.now();
  for (let i = 0; i < k; i += 10_000) {
    const messages: Array<{ key: string; value: string; partition: number }> = [];
    for (let j = i; j < Math.min(k, i + 10_000); j++) {
      const key = `key-${j}`;
      messages.push({ key: keyString(key), value: JSON.stringify([key, [j, stamp]]), partition: partitionForKey(key, PARTITIONS) });
    }
    await producer.sendBatch({ topicMessages: [{ topic: changelog, messages }], acks: -1 });
  }
}
try {
  console.log(`scale-out bench: ${LINES} lines × 4 words, ${PARTITIONS} partitions, ${BATCH_MS} ms batches (machine shared with other processes)\n`);
  console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (SECTIONS.includes('throughput')) {
    const rates = new Map<number, { rate: number; perCpu: number }>();
    for (const n of [1, 2, 3]) {
      const r = await throughput(n, 'state');
      rates.set(n, r);
      console.log(
        `throughput, ${n} cop${n === 1 ? 'y ' : 'ies'} (stateful, changelog): ${fmt(r.rate)} lines/s (${fmt(r.rate * 4)} words/s), ×${(r.rate / rates.get(1)!.rate).toFixed(2)} of one copy; ` +
          `${fmt(r.perCpu)} lines per CPU-second [load ${loadavg()[0]!.toFixed(2)}]`,
      );
    }
    const one = rates.get(1)!;
    const stateless = await throughput(1, 'stateless');
    const single = await throughput(1, 'single');
    console.log(`stateless, 1 copy: ${fmt(stateless.rate)} lines/s, ${fmt(stateless.perCpu)} per CPU-second; single process: ${fmt(single.rate)} lines/s, ${fmt(single.perCpu)} per CPU-second [load ${loadavg()[0]!.toFixed(2)}]`);
    console.log(`changelog cost, 1 copy: stateful ÷ stateless (reduceByKey, no state) = ×${(one.rate / stateless.rate).toFixed(2)} wall, ×${(one.perCpu / stateless.perCpu).toFixed(2)} CPU`);
    console.log(`scale-out cost at N = 1: scaled-out stateful ÷ single process (no applicationId) = ×${(one.rate / single.rate).toFixed(2)} wall, ×${(one.perCpu / single.perCpu).toFixed(2)} CPU`);
  }

  // Rebalance: SIGKILL one of three with input flowing, then a graceful stop.
  if (SECTIONS.includes('rebalance')) {
    const topic = await newTopic('rebalance');
    const app = `bench-rebalance-${Date.now().toString(36)}`;
    const copies = [0, 1, 2].map(() => copy(topic, app, 'state'));
    await waitUntil(() => copies.every((c) => c.tasks().length === 2), 'three copies with two tasks each');
    let flowing = true;
    const feeding = (async () => {
      for (let i = 0; flowing; i += 2000) {
        await produce(topic, i, 2000);
        await sleep(200);
      }
    })();
    await sleep(4000);
    const [a, b, c] = copies as [Copy, Copy, Copy];
    const moved = b.tasks();
    const killedAt = Date.now();
    b.kill();
    await waitUntil(() => moved.every((t) => a.tasks().includes(t) || c.tasks().includes(t)), 'the killed copy’s tasks moving');
    const takers = [a, c].filter((x) => moved.some((t) => x.tasks().includes(t)));
    const assignedAt = Math.max(...takers.map((x) => x.lastAssignedAt()));
    await waitUntil(() => takers.every((x) => x.batchesAfter(assignedAt).length > 0), 'a batch on the new owners');
    const processingAt = Math.max(...takers.map((x) => x.batchesAfter(assignedAt)[0]!));
    console.log(
      `rebalance after SIGKILL (session.timeout.ms 6000): tasks assigned again after ${fmt(assignedAt - killedAt)} ms, first batch of their new owners completed after ${fmt(processingAt - killedAt)} ms`,
    );
    await sleep(3000);
    const cTasks = c.tasks();
    const stoppedAt = Date.now();
    c.stop();
    await waitUntil(() => cTasks.every((t) => a.tasks().includes(t)), 'the stopped copy’s tasks moving');
    await waitUntil(() => a.batchesAfter(a.lastAssignedAt()).length > 0, 'a batch on A');
    console.log(
      `rebalance after a graceful stop (LeaveGroup): assigned again after ${fmt(a.lastAssignedAt() - stoppedAt)} ms, first batch after ${fmt(a.batchesAfter(a.lastAssignedAt())[0]! - stoppedAt)} ms`,
    );
    flowing = false;
    await feeding;
    await stopAll(copies);
  }

  // Restore time: a changelog of K keys, read by a fresh copy that takes every task.
  for (const k of SECTIONS.includes('restore') ? KEYS : []) {
    const topic = await newTopic('restore');
    const app = `bench-restore-${k}-${Date.now().toString(36)}`;
    const first = copy(topic, app, 'state');
    await waitUntil(() => /internal topics: .*-changelog/.test(first.err()), 'the changelog topic name');
    const changelog = /internal topics: .*?(\S+-changelog)/.exec(first.err())![1]!;
    await waitUntil(() => first.tasks().length === PARTITIONS, 'the first copy joining');
    first.stop();
    await first.exited;
    const stamp = Date.now();
    for (let i = 0; i < k; i += 10_000) {
      const byPartition = new Map<number, Array<{ key: string; value: string; partition: number }>>();
      for (let j = i; j < Math.min(k, i + 10_000); j++) {
        const key = `key-${j}`;
        const partition = partitionForKey(key, PARTITIONS);
        const l = byPartition.get(partition) ?? [];
        l.push({ key: keyString(key), value: JSON.stringify([key, [j, stamp]]), partition });
        byPartition.set(partition, l);
      }
      await producer.sendBatch({ topicMessages: [{ topic: changelog, messages: [...byPartition.values()].flat() }], acks: -1 });
    }
    const second = copy(topic, app, 'state');
    await waitUntil(() => /restored \d+ state keys/.test(second.err()), 'the restore', 600_000);
    const m = /restored (\d+) state keys of tasks \S+ in (\d+) ms/.exec(second.err())!;
    console.log(`restore from the changelog: ${fmt(Number(m[1]))} keys in ${fmt(Number(m[2]))} ms (${fmt(Number(m[1]) / (Number(m[2]) / 1000))} keys/s; read + put into the state)`);
    await stopAll([second]);
  }

  // Standby replicas: the restore of a SIGKILLed copy's tasks with and without a warm copy elsewhere.
  for (const k of SECTIONS.includes('standby') ? KEYS : []) {
    for (const standbys of [0, 1]) {
      const topic = await newTopic('standby');
      const app = `bench-standby-${standbys}-${k}-${Date.now().toString(36)}`;
      const copies = [0, 1, 2].map(() => copy(topic, app, 'state', standbys));
      await waitUntil(() => copies.every((c) => c.tasks().length === 2), 'three copies with two tasks each');
      if (standbys > 0) await waitUntil(() => copies.every((c) => /standby for tasks/.test(c.err())), 'the standbys');
      const changelog = /internal topics: .*?(\S+-changelog)/.exec(copies[0]!.err())![1]!;
      await writeChangelog(changelog, k);
      // The standbys follow after every batch (1 s): give them time to read the keys.
      await sleep(5000 + (k / 100_000) * 3000);
      const [a, b, c] = copies as [Copy, Copy, Copy];
      const moved = b.tasks();
      const before = [a, c].map((x) => x.err().length);
      const killedAt = Date.now();
      b.kill();
      await waitUntil(() => moved.every((t) => a.tasks().includes(t) || c.tasks().includes(t)), 'the killed copy’s tasks moving');
      const takers = [a, c].filter((x) => moved.some((t) => x.tasks().includes(t)));
      await waitUntil(() => takers.every((x) => /restored \d+ state keys/.test(x.err().slice(before[[a, c].indexOf(x)]!))), 'the restores', 600_000);
      const assignedAt = Math.max(...takers.map((x) => x.lastAssignedAt()));
      await waitUntil(() => takers.every((x) => x.batchesAfter(assignedAt).length > 0), 'a batch on the new owners');
      const processingAt = Math.max(...takers.map((x) => x.batchesAfter(assignedAt)[0]!));
      const restores = takers.map((x) => /restored (\d+) state keys of tasks (\S+) in (\d+) ms, (\d+) changelog records read in (\d+) ms(.*)/.exec(x.err().slice(before[[a, c].indexOf(x)]!))!);
      console.log(
        `standbyReplicas ${standbys}, ${fmt(k)} keys in the changelog: SIGKILL → tasks ${JSON.stringify(moved)} restored in ` +
          restores.map((m) => `${fmt(Number(m[3]))} ms (changelogs ${fmt(Number(m[5]))} ms: ${fmt(Number(m[1]))} keys, ${fmt(Number(m[4]))} records read${/standby/.test(m[6]!) ? ', from a standby' : ''})`).join(' and ') +
          `; first batch of the new owners ${fmt(processingAt - killedAt)} ms after the kill`,
      );
      await stopAll(copies);
    }
  }
} finally {
  for (const c of children) c.kill('SIGKILL');
  await producer.disconnect();
  await admin.disconnect();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  stopBroker();
}
