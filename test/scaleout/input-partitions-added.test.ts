// Partitions added to the input of a scaled-out job: the running copy is assigned them within a few
// seconds (its group member refreshes its metadata every 5 s, not kafkajs's 5 min), reads them
// from their start (under auto.offset.reset latest too: what was written to them before the
// assignment is read), and the positions topic grows with the input before a task writes to
// it. A copy started afterwards starts (its internal topics are grown, not refused) and the
// repartition topic — with the state keyed by it — keeps its partition count. What cannot grow
// is refused, saying why. The run's real broker.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KafkaUtils, StreamingContext } from '../../src/index.js';
import { KafkaClient } from '../../src/kafka/client.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';
import { readTaskPositions } from '../../src/scaleout/positions.js';
import { addPartitions, createTopic, kafkaBrokers, produceLines, topicEndOffsets, uniqueTopic } from '../helpers/kafka.js';
import { sleep, tempDir } from './copies.js';

afterEach(() => void vi.restoreAllMocks());

/** A copy: lines → repartitionByKey → running counts; what its input stream read, its tasks. */
function copy(topic: string, app: string) {
  const ssc = new StreamingContext({ batchDuration: 300, applicationId: app, checkpointDir: tempDir('parts-added-') });
  const lines = KafkaUtils.createDirectStream(ssc, [topic], { 'metadata.broker.list': kafkaBrokers(), 'session.timeout.ms': 6000 });
  const read: string[] = [];
  lines.foreachRDD((rdd) => void read.push(...rdd.collect().map(([, v]) => v)));
  let counts = new Map<string, number>();
  lines
    .map(([, v]): [string, number] => [v, 1])
    .repartitionByKey<string, number>()
    .updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length)
    .foreachRDD((rdd) => void (counts = new Map(rdd.collect())));
  let tasks: number[] = [];
  ssc.assignment$.subscribe((info) => (tasks = [...new Set(info.partitions.map((p) => p.partition))].sort()));
  return { ssc, read, counts: () => counts, tasks: () => tasks };
}

async function until(ssc: StreamingContext, cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  let failed: unknown;
  ssc.awaitTermination().catch((e: unknown) => (failed = e));
  for (const t0 = Date.now(); !cond(); await sleep(50)) {
    if (failed) throw failed;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('partitions added to the input of a scaled-out job', () => {
  it('are assigned within seconds and read from their start; a copy started afterwards starts, with its state', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('parts-added');
    await createTopic(topic, 2);
    const app = `pa-${Date.now().toString(36)}`;
    const logs: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: unknown) => void logs.push(String(m)));
    const a = copy(topic, app);
    try {
      await a.ssc.start();
      await until(a.ssc, () => a.tasks().length === 2, 'A owning both tasks');
      await produceLines(topic, ['w0', 'w1'], { partitions: 2 });
      await until(a.ssc, () => a.counts().get('w1') === 1, 'the first lines counted');
      await addPartitions(topic, 3);
      const added = Date.now();
      // Written before the group assigns the partition: read all the same (from its start).
      await produceLines(topic, ['w1', 'w2', 'w2'], { partition: 2 });
      await until(a.ssc, () => a.tasks().length === 3, 'A owning the new task');
      expect(Date.now() - added).toBeLessThan(20_000);
      await until(a.ssc, () => a.counts().get('w2') === 2 && a.counts().get('w1') === 2, 'the new partition counted');
      expect(a.read.sort()).toEqual(['w0', 'w1', 'w1', 'w2', 'w2']);
      // Task 2's position record is in partition 2 of the grown positions topic.
      expect(Object.keys(await topicEndOffsets(`${app}-positions`))).toHaveLength(3);
      const client = new KafkaClient(resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers() }), () => false);
      try {
        expect((await readTaskPositions(client, `${app}-positions`, [2])).offsets.get(`${topic}:2`)).toBe(3);
      } finally {
        await client.close();
      }
      expect(logs.join('\n')).toMatch(new RegExp(`topic ${app}-positions grows from 2 to 3 partitions`));
    } finally {
      await a.ssc.stop();
    }
    // A new copy (no local state) after the growth: the repartition topic keeps 2 partitions, the state its keys.
    const b = copy(topic, app);
    try {
      await b.ssc.start();
      await until(b.ssc, () => b.tasks().length === 3, 'B owning the three tasks');
      await produceLines(topic, ['w2'], { partition: 0 });
      await until(b.ssc, () => b.counts().get('w2') === 3, 'w2 counted on top of its restored count');
      expect(Object.keys(await topicEndOffsets(`${app}-repartition-1`))).toHaveLength(2);
    } finally {
      await b.ssc.stop();
    }
  });

  it('added while no copy ran: the next copy starts, grows the positions topic and reads them from their start', { timeout: 90_000 }, async () => {
    const topic = uniqueTopic('parts-added-down');
    await createTopic(topic, 2);
    const app = `pd-${Date.now().toString(36)}`;
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const a = copy(topic, app);
    try {
      await a.ssc.start();
      await until(a.ssc, () => a.tasks().length === 2, 'A owning both tasks');
    } finally {
      await a.ssc.stop();
    }
    await addPartitions(topic, 3);
    await produceLines(topic, ['w2', 'w2'], { partition: 2 });
    const b = copy(topic, app);
    try {
      // Old: "topic …-repartition-1 has 2 partitions, the job needs 3: delete it".
      await b.ssc.start();
      await until(b.ssc, () => b.counts().get('w2') === 2, 'the new partition read from its start');
      expect(Object.keys(await topicEndOffsets(`${app}-positions`))).toHaveLength(3);
    } finally {
      await b.ssc.stop();
    }
  });

  it('refuses what cannot follow the input, saying why', async () => {
    const refused = async (inputPartitions: number, existing: Array<[suffix: string, partitions: number]>, direct: boolean): Promise<string> => {
      const topic = uniqueTopic('parts-refused');
      await createTopic(topic, inputPartitions);
      const app = `pr-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
      for (const [suffix, n] of existing) await createTopic(`${app}-${suffix}`, n);
      const ssc = new StreamingContext({ batchDuration: 300, applicationId: app, checkpointDir: tempDir('parts-refused-') });
      const pairs = KafkaUtils.createDirectStream(ssc, [topic], { 'metadata.broker.list': kafkaBrokers() }).map(([k]): [string, number] => [k ?? '', 1]);
      (direct ? pairs : pairs.repartitionByKey<string, number>()).updateStateByKey<number>((vs, s) => (s ?? 0) + vs.length, { name: 'totals' }).foreachRDD(() => undefined);
      const e = await ssc.start().then(() => undefined, (x: unknown) => x as Error);
      await ssc.stop();
      return e?.message ?? 'started';
    };
    // A state keyed directly on an input that grew: its keys would move to other tasks.
    expect(await refused(3, [['totals-changelog', 2]], true)).toMatch(
      /changelog \S+-totals-changelog has 2 partitions, but the state it keeps reads parts-refused-\S+ directly, which has 3 now: .*repartitionByKey/,
    );
    // An input recreated with fewer partitions than the job's tasks.
    expect(await refused(2, [['positions', 3]], false)).toMatch(/topic \S+-positions has 3 partitions, more than the job's 2 tasks/);
    expect(await refused(2, [['repartition-1', 3]], false)).toMatch(/topic \S+-repartition-1 has 3 partitions, more than the job's inputs/);
  });
});
