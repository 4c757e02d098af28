// createStream under a receiver rate limit (receiverMaxRate): a fetch batch of thousands of
// records is stored in parts, each committed once stored, and the records the limit still holds
// back stay in Kafka. Before, the whole fetch was one store() that resolved only when the limit
// had admitted all of it: nothing was committed while it ran, and a graceful stop put the rest
// into the final batch past the rate — processed, never committed, received again by the restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaUtils, StreamingContext, type KafkaReceiver } from '../../src/index.js';
import { createTopic, kafkaBrokers, kafkaClient, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { sleep } from './helpers.js';

const N = 3000;
const RATE = 200; // records/s: a stop after ~1 s leaves most of the topic's one fetch unadmitted
const BATCH = 500;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The group's committed offset of partition 0 (-1: none). */
async function committed(groupId: string, topic: string): Promise<number> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const [res] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Number(res!.partitions.find((p) => p.partition === 0)!.offset);
  } finally {
    await admin.disconnect();
  }
}

/** A one-partition topic holding the values 0 … N-1 (offset = value), and a fresh group. */
async function filledTopic(name: string): Promise<{ topic: string; groupId: string }> {
  const topic = uniqueTopic(name);
  await createTopic(topic, 1);
  await produceLines(topic, Array.from({ length: N }, (_, i) => String(i)), { partition: 0 });
  return { topic, groupId: uniqueTopic(`${name}-group`) };
}

interface Job {
  ssc: StreamingContext;
  receiver: KafkaReceiver;
  /** Values of every record processed, in order; records per batch. */
  seen: number[];
  batches: number[];
}

function job(topic: string, groupId: string, options: { rate?: number; wal?: boolean; dir?: string }, seen: number[] = []): Job {
  const ssc = new StreamingContext({
    batchDuration: BATCH,
    ...(options.rate !== undefined ? { receiverMaxRate: options.rate } : {}),
    ...(options.wal ? { receiverWriteAheadLog: true } : {}),
  });
  if (options.dir !== undefined) ssc.checkpoint(options.dir);
  const stream = KafkaUtils.createStream(ssc, kafkaBrokers(), groupId, { [topic]: 1 }, { 'auto.offset.reset': 'earliest' });
  const batches: number[] = [];
  stream.foreachRDD((rdd) => {
    const values = rdd.collect().map(([, v]) => Number(v));
    seen.push(...values);
    batches.push(values.length);
  });
  return { ssc, receiver: stream.receiver as KafkaReceiver, seen, batches };
}

describe.each([
  ['without', false],
  ['with', true],
])('createStream under a rate limit, %s the write-ahead log', (_, wal) => {
  it('a graceful stop commits every offset the job processed: a restart (getOrCreate) receives nothing twice', { timeout: 90_000 }, async () => {
    const { topic, groupId } = await filledTopic('rcv-rate-stop');
    const dir = mkdtempSync(path.join(tmpdir(), 'kafka-rate-stop-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const seen: number[] = [];
    // Only the first run is rate limited; both are built by getOrCreate on one checkpoint.
    const run = async (rate?: number): Promise<StreamingContext> => {
      const ssc = await StreamingContext.getOrCreate(dir, () => job(topic, groupId, { rate, wal, dir }, seen).ssc, { log: () => undefined });
      cleanups.push(() => ssc.stop());
      await ssc.start();
      return ssc;
    };

    const first = await run(RATE);
    await until(() => seen.length > 0, 'the first records');
    await sleep(1000);
    await first.stop({ graceful: true });
    const processed = seen.length;
    expect(seen).toEqual(Array.from({ length: processed }, (_, i) => i));
    // What the first run processed is what the group has as committed.
    expect({ processed, committed: await committed(groupId, topic) }).toEqual({ processed, committed: processed });
    expect(processed).toBeLessThan(N);

    const second = await run();
    await until(() => seen.length >= N, `all ${N} records (${seen.length} so far)`);
    await sleep(2 * BATCH);
    await second.stop({ graceful: true });
    const twice = seen.length - new Set(seen).size;
    expect({ records: seen.length, twice }).toEqual({ records: N, twice: 0 });
  });
});

describe('createStream under a rate limit', () => {
  it('keeps the rate in the final batch of a graceful stop: what the limit had not admitted stays in Kafka', { timeout: 60_000 }, async () => {
    const { topic, groupId } = await filledTopic('rcv-rate-final');
    const j = job(topic, groupId, { rate: RATE });
    cleanups.push(() => j.ssc.stop());
    await j.ssc.start();
    await until(() => j.seen.length > 0, 'the first records');
    await sleep(1000);
    await j.ssc.stop({ graceful: true });
    // A batch holds about RATE × BATCH/1000 = 100 records (a late timer makes one longer, the
    // limiter's burst and the part admitted at the stop add some): never the thousands left.
    expect(Math.max(...j.batches)).toBeLessThan(3 * RATE * (BATCH / 1000) + RATE / 10);
    expect(await committed(groupId, topic)).toBe(j.seen.length);
  });

  it('commits offsets while the limit holds records back, not only once a whole fetch is stored', { timeout: 60_000 }, async () => {
    const { topic, groupId } = await filledTopic('rcv-rate-commits');
    const j = job(topic, groupId, { rate: RATE });
    cleanups.push(() => j.ssc.stop());
    await j.ssc.start();
    await until(() => j.seen.length > 0, 'the first records');
    await sleep(1000);
    // Still running, most of the fetch held back by the limit: the group has what was stored.
    const midway = await committed(groupId, topic);
    const stored = j.receiver.counts.stored;
    await j.ssc.stop({ graceful: true });
    expect(midway).toBeGreaterThan(0);
    expect(midway).toBeLessThanOrEqual(stored);
    expect(stored).toBeLessThan(N);
  });
});
