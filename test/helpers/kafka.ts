// Helpers for tests that talk to the real Kafka broker that test/setup/kafka.global.ts starts
// (or the one KAFKA_BROKERS names). kafkajs logs nothing unless KAFKAJS_LOG_LEVEL (e.g. "warn")
// is set.
//
//   const brokers = kafkaBrokers();                 // "127.0.0.1:9092"
//   const topic = uniqueTopic('wordcount');
//   await createTopic(topic, 3);
//   await produceLines(topic, lines, { partitions: 3 });
//   const records = await consumeMessages(topic, lines.length);
//
// Stopping the shared broker (stopBroker/startBroker) disturbs every other Kafka test file that
// runs at the same time (vitest runs files in parallel): a test that takes the broker down should
// use its own with `startPrivateBroker()`, which has the same stop()/start().
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin, type KafkaConfig, type Message } from 'kafkajs';
import { afterAll, beforeAll, inject } from 'vitest';
import { sendInBatches } from '../../src/kafka/produce.js';
import { freePorts } from './ports.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'kafka.sh');

function injected<K extends 'kafkaBrokers' | 'kafkaError' | 'kafkaPort' | 'kafkaControllerPort'>(key: K) {
  try {
    return inject(key);
  } catch {
    return undefined; // not inside a vitest worker
  }
}

/**
 * The run's broker list, `host:port[,host:port…]` (as `"bootstrap.servers"` / `"metadata.broker.list"`
 * expect it). Throws, saying what is missing, when the global setup could not start a broker.
 */
export function kafkaBrokers(): string {
  const brokers = injected('kafkaBrokers') || process.env.KAFKA_BROKERS?.trim();
  if (brokers) return brokers;
  const why = injected('kafkaError');
  throw new Error(
    why ||
      'No Kafka broker: KAFKA_BROKERS is not set and test/setup/kafka.global.ts (vitest globalSetup) ' +
        'did not provide one. Run the tests with `npm test` / `npx vitest`, or start a broker with ' +
        '`npm run kafka:up` and set KAFKA_BROKERS=127.0.0.1:9092.',
  );
}

/** `kafkaBrokers()` as an array. */
export function kafkaBrokerList(brokers = kafkaBrokers()): string[] {
  return brokers.split(',').map((b) => b.trim()).filter(Boolean);
}

/** A kafkajs client for the run's broker (or `brokers`), quiet and with short retries. */
export function kafkaClient(brokers = kafkaBrokers(), config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'dstreams-test',
    brokers: kafkaBrokerList(brokers),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    ...config,
  });
}

async function withAdmin<T>(brokers: string, f: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    return await f(admin);
  } finally {
    await admin.disconnect();
  }
}

/** A topic name no other test uses: `<prefix>-<time>-<random>`. */
export function uniqueTopic(prefix = 'test'): string {
  const safe = prefix.replace(/[^a-zA-Z0-9._-]/g, '-');
  return `${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Creates `name` with `partitions` partitions and waits for their leaders; fine if it exists. */
export async function createTopic(name: string, partitions = 1, brokers = kafkaBrokers()): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    await admin.createTopics({
      topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  });
}

/** Deletes `topic` and creates it again (same name, a new log from offset 0), once Kafka has let the old one go. */
export async function recreateTopic(topic: string, partitions = 1): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!(await admin.listTopics()).includes(topic)) {
        const created = await admin
          .createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true })
          .catch(() => false);
        if (created) return;
      }
      if (Date.now() > deadline) throw new Error(`topic ${topic} could not be recreated`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Grows `topic` to `total` partitions (Kafka can only add partitions). */
export async function addPartitions(topic: string, total: number, brokers = kafkaBrokers()): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    await admin.createPartitions({ topicPartitions: [{ topic, count: total }] });
    // Wait until the metadata shows them, so a producer can write to the new partitions at once.
    for (let i = 0; i < 100; i++) {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      const ps = md.topics[0]?.partitions ?? [];
      if (ps.length >= total && ps.every((p) => p.leader >= 0)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`topic ${topic} did not reach ${total} partitions`);
  });
}

export async function deleteTopic(topic: string, brokers = kafkaBrokers()): Promise<void> {
  await withAdmin(brokers, (admin) => admin.deleteTopics({ topics: [topic] }));
}

/** Deletes `topic` and waits (up to 30 s) until the broker no longer lists it. */
export async function deleteTopicAndWait(topic: string, brokers = kafkaBrokers()): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    await admin.deleteTopics({ topics: [topic] });
    for (let i = 0; i < 300 && (await admin.listTopics()).includes(topic); i++) await new Promise((r) => setTimeout(r, 100));
  });
}

/** Each partition's log-end offset (the next offset to be written), by partition number. */
export async function topicEndOffsets(topic: string, brokers = kafkaBrokers()): Promise<Record<number, number>> {
  return withAdmin(brokers, async (admin) => {
    const out: Record<number, number> = {};
    for (const o of await admin.fetchTopicOffsets(topic)) out[o.partition] = Number(o.high);
    return out;
  });
}

export interface ProduceOptions {
  /** Spread the lines round-robin over partitions 0 … partitions-1 (line i → partition i % partitions). */
  partitions?: number;
  /** Write every line to this one partition. */
  partition?: number;
  /** Message key: one string for all lines, or a function of the line and its index; default none (null). */
  key?: string | null | ((line: string, index: number) => string | null);
  /** Messages per produce request (default 5,000; requests are also cut at ~512 KiB). */
  batchSize?: number;
  brokers?: string;
}

export interface ProduceResult {
  sent: number;
  /** Messages written to each partition; empty when the partitioner chose (no `partitions`/`partition`). */
  byPartition: Record<number, number>;
}

/**
 * Writes `lines` as message values (UTF-8) to `topic`, in order, in large batches (acks=all);
 * 40,000 short lines take well under a second. Without `partitions` or `partition`, kafkajs's
 * default partitioner chooses (round-robin for null keys, hash otherwise).
 */
export async function produceLines(topic: string, lines: Iterable<string>, options: ProduceOptions = {}): Promise<ProduceResult> {
  const { partitions, partition, key = null, batchSize = 5000, brokers = kafkaBrokers() } = options;
  if (partitions !== undefined && !(Number.isInteger(partitions) && partitions > 0)) {
    throw new Error(`produceLines: partitions must be a positive integer, got ${partitions}`);
  }
  // Idempotent: a send retried after a metadata change (e.g. partitions just added) is not written twice.
  const producer = kafkaClient(brokers).producer({ allowAutoTopicCreation: true, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const byPartition: Record<number, number> = {};
  const messages = function* (): Iterable<Message> {
    let i = 0;
    for (const line of lines) {
      const k = typeof key === 'function' ? key(line, i) : key;
      const m: Message = { key: k, value: line };
      const p = partition ?? (partitions !== undefined ? i % partitions : undefined);
      if (p !== undefined) {
        m.partition = p;
        byPartition[p] = (byPartition[p] ?? 0) + 1;
      }
      i++;
      yield m;
    }
  };
  let sent: number;
  try {
    sent = await sendInBatches(producer, topic, messages(), { batchSize });
  } finally {
    await producer.disconnect();
  }
  return { sent, byPartition };
}

export interface ConsumedRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  /** The record's timestamp (ms): the producer's send time unless the record carried one. */
  timestamp: number;
}

/**
 * Reads `topic` from the beginning with a fresh consumer group until `count` records arrived
 * (then stops), or throws after `timeoutMs` (default 30 s) saying how many came. Records are
 * returned per partition in offset order, partitions in ascending order.
 */
export async function consumeMessages(
  topic: string,
  count: number,
  options: { timeoutMs?: number; groupId?: string; brokers?: string } = {},
): Promise<ConsumedRecord[]> {
  const { timeoutMs = 30_000, groupId = uniqueTopic('test-consumer'), brokers = kafkaBrokers() } = options;
  const consumer = kafkaClient(brokers).consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const got: ConsumedRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`consumeMessages(${topic}): got ${got.length} of ${count} records in ${timeoutMs} ms`)),
        timeoutMs,
      );
      if (count === 0) {
        clearTimeout(timer);
        resolve();
        return;
      }
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              got.push({
                partition: batch.partition,
                offset: Number(m.offset),
                key: m.key === null ? null : m.key.toString('utf8'),
                value: m.value === null ? '' : m.value.toString('utf8'),
                timestamp: Number(m.timestamp),
              });
            }
            if (got.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch((e: unknown) => {
          clearTimeout(timer);
          reject(e as Error);
        });
    });
  } finally {
    await consumer.disconnect();
  }
  return got.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

// ------------------------------------------------------------------------- stopping the broker

function runScript(args: string[], env: Record<string, string>, timeoutMs = 180_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [SCRIPT, ...args],
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const out = `${stdout}${stderr}`.trim();
        if (err) {
          const e = new Error(`scripts/kafka.sh ${args.join(' ')} failed:\n${out || err.message}`);
          reject(Object.assign(e, { exitCode: typeof err.code === 'number' ? err.code : null }));
        } else resolve(out);
      },
    );
  });
}

function scriptEnv(brokers: string, controllerPort?: number): Record<string, string> {
  const list = kafkaBrokerList(brokers);
  const m = list.length === 1 ? /^(127\.0\.0\.1|localhost):(\d+)$/.exec(list[0]!) : null;
  if (!m) {
    throw new Error(`cannot stop or start ${brokers}: only a local broker started by scripts/kafka.sh can be`);
  }
  const env: Record<string, string> = { KAFKA_PORT: m[2]! };
  const cport = controllerPort ?? (injected('kafkaPort') === Number(m[2]) ? injected('kafkaControllerPort') : undefined);
  if (cport) env.KAFKA_CONTROLLER_PORT = String(cport);
  return env;
}

/**
 * Stops the run's broker (SIGTERM, SIGKILL after 30 s), keeping its data. Every Kafka test that
 * runs at the same time sees the outage: prefer `startPrivateBroker()` for such tests.
 */
export async function stopBroker(brokers = kafkaBrokers()): Promise<void> {
  const out = await runScript(['down'], scriptEnv(brokers));
  if (/no broker from this script/.test(out)) {
    throw new Error(`stopBroker: ${brokers} was not started by scripts/kafka.sh (${out})`);
  }
}

/** Starts the broker stopped by `stopBroker()` again on the same port with the same data, and waits until it answers. */
export async function startBroker(brokers = kafkaBrokers()): Promise<void> {
  await runScript(['up'], scriptEnv(brokers));
}

export interface PrivateBroker {
  /** `127.0.0.1:<port>` */
  brokers: string;
  port: number;
  /** Stops it, keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same ports with the same data. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

const privateBrokers = new Set<Record<string, string>>();
process.once('exit', () => {
  // Best effort for a worker that dies without calling destroy(): the global teardown does not know these.
  for (const env of privateBrokers) {
    try {
      execFileSync('bash', [SCRIPT, 'reset'], { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 60_000 });
    } catch {
      /* ignore */
    }
  }
});

/**
 * A private broker for the test file that calls this at its top level: started before its tests,
 * destroyed after them. The object delegates to it (its `brokers` and `port` read once started).
 */
export function usePrivateBroker(): PrivateBroker {
  let broker: PrivateBroker | undefined;
  beforeAll(async () => {
    broker = await startPrivateBroker();
  }, 180_000);
  afterAll(async () => {
    await broker?.destroy();
  }, 120_000);
  const started = (): PrivateBroker => {
    if (!broker) throw new Error('private broker not started (call usePrivateBroker at the top level of the test file)');
    return broker;
  };
  return {
    get brokers() {
      return started().brokers;
    },
    get port() {
      return started().port;
    },
    stop: () => started().stop(),
    start: () => started().start(),
    destroy: () => started().destroy(),
  };
}

/**
 * A broker of the test's own on free ports (about 3 s to start), for tests that stop and restart
 * it. Call `destroy()` when done (e.g. in `afterAll`).
 */
export async function startPrivateBroker(): Promise<PrivateBroker> {
  for (let attempt = 1; ; attempt++) {
    const [port, controllerPort] = (await freePorts(2)) as [number, number];
    const env = { KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort) };
    privateBrokers.add(env);
    try {
      // The watchdog of scripts/kafka.sh wipes it if this worker dies without destroy().
      await runScript(['up', '--fresh'], { ...env, KAFKA_OWNER_PID: String(process.pid) });
    } catch (e) {
      privateBrokers.delete(env);
      // Exit code 3: a port was taken between our check and the broker's bind; pick others.
      if ((e as { exitCode?: unknown }).exitCode === 3 && attempt < 5) continue;
      throw e;
    }
    return privateBroker(port, env);
  }
}

function privateBroker(port: number, env: Record<string, string>): PrivateBroker {
  return {
    brokers: `127.0.0.1:${port}`,
    port,
    stop: async () => void (await runScript(['down'], env)),
    start: async () => void (await runScript(['up'], env)),
    destroy: async () => {
      await runScript(['reset'], env);
      privateBrokers.delete(env);
    },
  };
}
