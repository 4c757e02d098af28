// A batch one process handles works scaled out too: a partition bringing 12 000 records of ~110
// characters (~1.3 MB) in one batch makes a window's slice larger than Kafka's default 1 MB
// max.message.bytes. Scaled out, that slice was ONE changelog record (the commit failed with
// MESSAGE_TOO_LARGE, and so did every restart); now it is cut into records of at most 128 KiB
// (changelogSlices.ts), put back together when a copy gains the task. Windows without an inverse
// (`b\0<time>` slices) and with one (`s\0<time>` slices, subtracted when they leave the window).
// The same job without applicationId is the reference. The run's real broker.
import { describe, expect, it } from 'vitest';
import { KafkaUtils, StreamingContext } from '../../src/index.js';
import { KafkaClient } from '../../src/kafka/client.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';
import { createTopic, kafkaBrokers, kafkaClient, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { sleep, tempDir } from './copies.js';

const N = 12_000;
const LINES = Array.from({ length: N }, (_, i) => `event ${i} ${'y'.repeat(100)}`);
/** The short window: the batch is still in it when the restarted copy restores it, and leaves it after. */
const SHORT = 20_000;
const sorted = <T>(xs: T[]): T[] => [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** The job: a window of the lines (no inverse), and reduceByKeyAndWindow with an inverse, 10 min and 20 s long. */
function job(topic: string, app?: string) {
  const ssc = new StreamingContext({ batchDuration: 500, checkpointDir: tempDir('large-slices-'), ...(app ? { applicationId: app } : {}) });
  const lines = KafkaUtils.createDirectStream(ssc, [topic], {
    'metadata.broker.list': kafkaBrokers(),
    'auto.offset.reset': 'earliest',
    'session.timeout.ms': 6000,
    ...(app ? {} : { 'group.id': `ref-${topic}` }),
  }).map(([, v]) => v);
  const out = { window: [] as string[], long: [] as Array<[string, number]>, short: [] as number[] };
  lines.window(600_000, 500).foreachRDD((rdd) => void (out.window = rdd.collect()));
  const ones = lines.map((l): [string, number] => [l, 1]);
  const add = (a: number, b: number): number => a + b;
  const sub = (a: number, b: number): number => a - b;
  ones.reduceByKeyAndWindow(add, sub, 600_000, 500).foreachRDD((rdd) => void (out.long = rdd.collect().filter(([, n]) => n > 0)));
  ones.reduceByKeyAndWindow(add, sub, SHORT, 500, { filterFunc: ([, n]) => n > 0 }).foreachRDD((rdd) => void out.short.push(rdd.count()));
  let failure: unknown;
  const ended = ssc.awaitTermination().catch((e: unknown) => (failure = e));
  const until = async (cond: () => boolean, what: string, ms = 60_000): Promise<void> => {
    for (const t0 = Date.now(); !cond(); await sleep(100)) {
      if (failure !== undefined) throw new Error(`the job failed before ${what}: ${(failure as Error).message}`);
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    }
  };
  return { ssc, out, until, ended, failed: () => failure };
}

/** Every record of the job's changelog topics: topic → [record key, UTF-8 bytes of key and value, whether a tombstone]. */
async function changelogRecords(app: string): Promise<Map<string, Array<[string, number, boolean]>>> {
  const admin = kafkaClient().admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${app}-`) && t.endsWith('-changelog'));
  await admin.disconnect();
  const client = new KafkaClient(resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers() }), () => false);
  const out = new Map<string, Array<[string, number, boolean]>>();
  try {
    for (const topic of topics) {
      const bounds = await client.topicBounds([topic]);
      const parts = await client.read(bounds.map((b) => ({ topic, partition: b.partition, fromOffset: b.low, untilOffset: b.high })), { readCommitted: true });
      out.set(topic, parts.flat().map(([k, v]) => [k ?? '', Buffer.byteLength(k ?? '') + Buffer.byteLength(v ?? ''), !v]));
    }
  } finally {
    await client.close();
  }
  return out;
}

describe('a batch larger than a Kafka record, in a scaled-out window', () => {
  it('commits its slices as several records and a copy gaining the task restores them whole: as the job without applicationId', { timeout: 180_000 }, async () => {
    const topic = uniqueTopic('large-slices');
    await createTopic(topic, 1);
    await produceLines(topic, LINES);

    // The reference (one process, no applicationId), at the same time as the scaled-out job.
    const ref = job(topic);
    const app = `large-slices-${Date.now().toString(36)}`;
    const a = job(topic, app);
    await Promise.all([ref.ssc.start(), a.ssc.start()]);
    await ref.until(() => ref.out.window.length === N && ref.out.long.length === N, 'the reference reading the lines');
    // Scaled out: the batch of 12 000 lines commits (it failed with MESSAGE_TOO_LARGE, every time).
    await a.until(() => a.out.window.length === N && a.out.long.length === N, 'the scaled-out job reading the lines');
    expect(sorted(a.out.window)).toEqual(sorted(ref.out.window));
    // The batch's slices committed in the three changelogs (the window's, and each inverse window's).
    const slicesOf = (rs: Array<[string, number, boolean]>) => rs.filter(([k, , tomb]) => /^[bs]\u0000/.test(k) && !tomb);
    let records = new Map<string, Array<[string, number, boolean]>>();
    for (const t0 = Date.now(); !(records.size === 3 && [...records.values()].every((rs) => slicesOf(rs).length > 0)); await sleep(200)) {
      if (a.failed() !== undefined) throw new Error(`the scaled-out job failed: ${(a.failed() as Error).message}`);
      if (Date.now() - t0 > 60_000) throw new Error('timed out waiting for the slices to commit');
      records = await changelogRecords(app);
    }
    await a.ssc.stop();
    expect(a.failed()).toBeUndefined();
    for (const [t, rs] of records) {
      const slices = slicesOf(rs);
      console.log(`${t}: ${rs.length} records, ${slices.length} slice records of ${slices.map(([, n]) => n).join(', ')} bytes; largest record ${Math.max(...rs.map(([, n]) => n))} bytes`);
      for (const [k, n] of rs) expect(n, `record ${JSON.stringify(k)} of ${t}`).toBeLessThanOrEqual(128 * 1024);
      // The window's batch (~1.4 MB as JSON) and the reduced batches (~1.5 MB) are several records each.
      expect(slices.length).toBeGreaterThanOrEqual(10);
    }

    // Another copy of the job gains the task: every slice comes back whole.
    const b = job(topic, app);
    await b.ssc.start();
    await b.until(() => b.out.window.length === N && b.out.long.length === N, 'the restarted copy restoring the windows');
    expect(sorted(b.out.window)).toEqual(sorted(ref.out.window));
    expect(sorted(b.out.long)).toEqual(sorted(ref.out.long));
    // The short window: restored with the batch in it, then the batch leaves it, subtracted whole
    // (a part of its slice missing would leave its keys at 1), as in the reference.
    await b.until(() => b.out.short.length >= 3 && b.out.short.slice(-3).every((n) => n === 0), 'the short window emptying', SHORT + 30_000);
    await ref.until(() => ref.out.short.length >= 3 && ref.out.short.slice(-3).every((n) => n === 0), 'the reference’s short window emptying');
    await Promise.all([b.ssc.stop(), ref.ssc.stop()]);
    expect(b.failed()).toBeUndefined();
    expect(b.out.short.find((n) => n > 0)).toBe(N);
    expect(ref.out.short.find((n) => n > 0)).toBe(N);
  });
});
