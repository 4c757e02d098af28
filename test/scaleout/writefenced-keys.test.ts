// writeFenced writes each row in the fenced transaction of its key's task. A row whose key belongs
// to a partition the batch does not read and the copy does not own has no such transaction: it
// used to be dropped without a word (with two copies about half of the rows never reached the
// table). The copy now fails, naming the key and the partition. Two copies in this process, the
// run's real broker and PostgreSQL.
import { describe, expect, it } from 'vitest';
import { KafkaUtils, PostgresSink, StreamingContext, writeFenced } from '../../src/index.js';
import { partitionForKey } from '../../src/kafka/partitioner.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { sinkConnection, useScratchSchema } from '../helpers/postgres.js';
import { sleep, tempDir } from './copies.js';

const scratch = useScratchSchema('dstreams_wfkeys');

describe('writeFenced with a stream not keyed like its input', () => {
  it("refuses a row of another copy's partition, naming its key and partition", { timeout: 90_000 }, async () => {
    const topic = uniqueTopic('wf-keys');
    await createTopic(topic, 2);
    const app = `wfk-${Date.now().toString(36)}`;
    const s = scratch();
    const table = s.unique('totals');
    const { connection } = await sinkConnection();
    const users = Array.from({ length: 40 }, (_, i) => i);
    // Keyed by "u<i>" in Kafka, written keyed by the number i: some land on the other partition.
    expect(users.some((i) => partitionForKey(`u${i}`, 2) !== partitionForKey(i, 2))).toBe(true);
    const copy = (): { ssc: StreamingContext; sink: PostgresSink<{ uid: number; n: number }>; tasks: () => number } => {
      const sink = new PostgresSink<{ uid: number; n: number }>({
        connection,
        table: s.table(table),
        columns: ['uid', 'n'],
        keyColumns: ['uid'],
        mode: 'update',
        createTable: { uid: 'bigint', n: 'bigint' },
        sinkId: table,
      });
      const ssc = new StreamingContext({ batchDuration: 300, applicationId: app, checkpointDir: tempDir('wf-keys-') });
      const events = KafkaUtils.createDirectStream(ssc, [topic], { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000 });
      const totals = events.map(([user]): [string, number] => [user!, 1]).updateStateByKey<number>((ones, n) => (n ?? 0) + ones.length);
      writeFenced(totals.map(([u, n]): [number, number] => [Number(u.slice(1)), n]), sink, ([uid, n]) => ({ uid, n }));
      let tasks = 0;
      ssc.assignment$.subscribe((info) => (tasks = new Set(info.partitions.map((p) => p.partition)).size));
      return { ssc, sink, tasks: () => tasks };
    };
    const [a, b] = [copy(), copy()];
    try {
      await a.ssc.start();
      await b.ssc.start();
      for (const t0 = Date.now(); !(a.tasks() === 1 && b.tasks() === 1); await sleep(50)) {
        if (Date.now() - t0 > 30_000) throw new Error('the two copies never owned a task each');
      }
      await produceLines(topic, users.map((i) => `event of u${i}`), { key: (_l, i) => `u${i}` });
      const failed = await Promise.race([
        ...[a.ssc.awaitTermination(), b.ssc.awaitTermination()].map((p) => p.then(() => undefined, (e: unknown) => e as Error)),
        sleep(30_000).then(() => undefined),
      ]);
      expect(failed?.message).toMatch(/^writeFenced: key \d+ belongs to partition [01] of wf-keys-\S+, which batch \d+ does not read and this copy does not own/);
    } finally {
      await Promise.all([a.ssc.stop(), b.ssc.stop()]);
      await Promise.all([a.sink.close(), b.sink.close()]);
    }
  });
});
