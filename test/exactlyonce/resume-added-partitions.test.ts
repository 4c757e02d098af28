// resumeFromSink starting from the sink's offsets (no usable checkpoint) after partitions were
// added to the topic: a partition the sink holds no offset for was never read, and starts at its
// log start, as from a checkpoint. With auto.offset.reset latest it started at its end: the
// records it held were lost, and the sink then stored their end as read.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, PostgresSink, StreamingContext } from '../../src/index.js';
import { resumeFromSink } from '../../src/exactlyonce/index.js';
import { addPartitions, createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { pgQuery, sinkConnection, useScratchSchema } from '../helpers/postgres.js';

const scratch = useScratchSchema('dstreams_added_parts');
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Row = { v: string; p: number };

describe('resumeFromSink after partitions were added', () => {
  it('a partition added while the job was down is read from its first offset when the job starts from the sink (auto.offset.reset latest)', { timeout: 90_000 }, async () => {
    const topic = uniqueTopic('added-parts');
    await createTopic(topic, 2);
    const dir = mkdtempSync(path.join(tmpdir(), 'dstreams-added-parts-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const s = scratch();
    const table = s.unique('rows');
    const sink = new PostgresSink<Row>({
      connection: (await sinkConnection()).connection,
      table: s.table(table),
      columns: ['v', 'p'],
      keyColumns: ['v'],
      mode: 'update',
      createTable: { v: 'text', p: 'int' },
      sinkId: s.unique('added'),
    });
    cleanups.push(() => sink.close());

    // Each run's batches at times of its own: the sink keeps one write per batch time.
    const run = async (startAt: number, produce: () => Promise<void>) => {
      const clock = new ManualClock(startAt);
      const resumed = await resumeFromSink({
        checkpointDir: dir,
        sink,
        topics: [topic],
        create: ({ fromOffsets }) => {
          const ssc = new StreamingContext({ batchDuration: 1000, clock, appName: 'added-parts' });
          ssc.checkpoint(dir);
          // auto.offset.reset latest (the default).
          const stream = KafkaUtils.createDirectStream(ssc, [topic], { 'bootstrap.servers': kafkaBrokers() }, fromOffsets);
          stream.foreachRDD(async (rdd, time) => {
            const rows = rdd.collect().map(([, v]): Row => ({ v, p: Number(v.split('-')[1]) }));
            await sink.writeBatch({ batchTime: time, offsetRanges: rdd.offsetRanges() }, rows);
          });
          return ssc;
        },
      });
      cleanups.push(() => resumed.ssc.stop());
      await resumed.ssc.start();
      await produce();
      await clock.advance(1000);
      await resumed.ssc.stop();
      return resumed.source;
    };
    const lines = (tag: string, partitions: number[]) => partitions.flatMap((p) => Array.from({ length: 5 }, (_, i) => `${tag}-${p}-${i}`));
    const produceTo = async (tag: string, partitions: number[]) => {
      for (const p of partitions) await produceLines(topic, lines(tag, [p]), { partition: p });
    };

    // Run 1 reads 5 records of each partition; the sink stores both partitions' offsets.
    await run(0, () => produceTo('first', [0, 1]));
    // Down: the checkpoint is lost, a third partition is added, records come to all three.
    rmSync(dir, { recursive: true, force: true });
    await addPartitions(topic, 3);
    await produceTo('down', [0, 1, 2]);
    expect(await run(10_000, async () => undefined)).toBe('sink');

    const stored = await pgQuery<{ v: string }>(`SELECT v FROM ${s.qualified(table)} ORDER BY v`);
    expect(stored.rows.map((r) => r.v)).toEqual([...lines('down', [0, 1, 2]), ...lines('first', [0, 1])].sort());
  });
});
