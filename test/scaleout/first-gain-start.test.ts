// A scaled-out job under auto.offset.reset latest (the default): a task gained with no position
// starts at its partition's end, and that start is committed before any batch reads the task. So
// when the task moves before its first commit (a copy started while the first one's batch was
// still running), the new owner resumes where the first owner started, and reads the records
// that batch read but never committed. Two copies in this process, the run's real broker.
import { describe, expect, it } from 'vitest';
import { KafkaUtils, StreamingContext } from '../../src/index.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { sleep } from './copies.js';

interface Copy {
  ssc: StreamingContext;
  /** The values each partition's batches read, in order. */
  read: Map<number, string[]>;
  tasks: () => number[];
}

describe('a task gained for the first time, under auto.offset.reset latest', () => {
  it('moved before its first commit: the new owner reads what the first owner read and did not commit', { timeout: 90_000 }, async () => {
    const topic = uniqueTopic('first-gain');
    await createTopic(topic, 2);
    const app = `fg-${Date.now().toString(36)}`;
    let gate: Promise<void> | undefined;
    let open = (): void => undefined;
    const copy = (name: string): Copy => {
      const ssc = new StreamingContext({ batchDuration: 300, applicationId: app });
      const lines = KafkaUtils.createDirectStream(ssc, [topic], { 'metadata.broker.list': kafkaBrokers(), 'session.timeout.ms': 6000 });
      const read = new Map<number, string[]>();
      lines.foreachRDD(async (rdd) => {
        const values = rdd.collect().map(([, v]) => v);
        for (const v of values) {
          const p = Number(v.split('-')[0]);
          read.set(p, [...(read.get(p) ?? []), v]);
        }
        // The first copy's batch that read the lines runs on until the second copy owns a task.
        if (name === 'A' && values.length > 0) await gate;
      });
      let tasks: number[] = [];
      ssc.assignment$.subscribe((info) => (tasks = [...new Set(info.partitions.map((p) => p.partition))]));
      return { ssc, read, tasks: () => tasks };
    };
    const until = async (cond: () => boolean, what: string, ms = 30_000): Promise<void> => {
      const t0 = Date.now();
      while (!cond()) {
        if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
        await sleep(50);
      }
    };
    const a = copy('A');
    let b: Copy | undefined;
    try {
      await a.ssc.start();
      await until(() => a.tasks().length === 2, 'A owning both tasks');
      gate = new Promise((r) => (open = r));
      const lines = Array.from({ length: 20 }, (_, i) => `${i % 2}-line${i}`);
      await produceLines(topic, lines, { partitions: 2 });
      await until(() => [0, 1].every((p) => (a.read.get(p)?.length ?? 0) === 10), "A's batch reading the lines");
      b = copy('B');
      await b.ssc.start();
      await until(() => b!.tasks().length === 1 && a.tasks().length === 1, 'a task moved to B');
      open();
      const moved = b.tasks()[0]!;
      // Old: B started at the partition's end, past the lines A read and did not commit: it never read them.
      await until(() => (b!.read.get(moved)?.length ?? 0) >= 10, `B reading partition ${moved}`, 20_000);
      expect(b.read.get(moved)).toEqual(lines.filter((l) => l.startsWith(`${moved}-`)));
    } finally {
      open();
      await Promise.all([a.ssc.stop(), b?.ssc.stop()]);
    }
  });
});
