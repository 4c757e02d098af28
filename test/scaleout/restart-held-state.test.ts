// A copy restarted on its own checkpoint directory (getOrCreate) gets back the state of the tasks
// it had — but owns no task until the group assigns it one. Its state's function must not be
// offered those keys meanwhile (Kafka Streams processes no task it is not assigned): an
// updateStateByKey that changes keys without new values (an idle counter) used to change them
// in the batches before the assignment, and the copy failed at its first batch ("must be keyed
// like its input"). The keys are now held until their task is gained, then restored with only
// the changelog's tail read on top of them. One copy in this process, the run's real broker.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KafkaUtils, StreamingContext } from '../../src/index.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { sleep, tempDir } from './copies.js';

interface Counter {
  n: number;
  idle: number;
}

afterEach(() => void vi.restoreAllMocks());

describe('a copy restarted on its checkpoint', () => {
  it('offers no key to the state before its task is assigned, and goes on from the held state and the tail', { timeout: 90_000 }, async () => {
    const topic = uniqueTopic('restart-held');
    await createTopic(topic, 2);
    const app = `rh-${Date.now().toString(36)}`;
    const dir = tempDir('restart-held-');
    const logs: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: unknown) => void logs.push(String(m)));
    let owned = false;
    /** Keys the state's function saw with a state while the copy owned no task. */
    const early: string[] = [];
    let totals = new Map<string, Counter>();
    const run = async (): Promise<StreamingContext> => {
      owned = false;
      const ssc = await StreamingContext.getOrCreate(dir, () => {
        const c = new StreamingContext({ batchDuration: 300, applicationId: app, checkpointDir: dir });
        KafkaUtils.createDirectStream(c, [topic], { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000 })
          .map(([, v]): [string, number] => [v, 1])
          .repartitionByKey<string, number>()
          .updateStateByKey<Counter>((vs, s) => {
            if (!owned && s !== undefined) early.push('?');
            return { n: (s?.n ?? 0) + vs.length, idle: vs.length > 0 ? 0 : (s?.idle ?? 0) + 1 };
          })
          .foreachRDD((rdd) => void (totals = new Map(rdd.collect())));
        return c;
      });
      ssc.assignment$.subscribe((info) => (owned = info.partitions.length > 0));
      await ssc.start();
      return ssc;
    };
    const until = async (ssc: StreamingContext, cond: () => boolean, what: string): Promise<void> => {
      let failed: unknown;
      ssc.awaitTermination().catch((e: unknown) => (failed = e));
      for (const t0 = Date.now(); !cond(); await sleep(50)) {
        if (failed) throw failed;
        if (Date.now() - t0 > 30_000) throw new Error(`timed out waiting for ${what}`);
      }
    };
    const words = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const first = await run();
    try {
      await produceLines(topic, [...words, ...words], { partitions: 2 });
      await until(first, () => words.every((w) => totals.get(w)?.n === 2), 'every word counted twice');
      const t = totals;
      await until(first, () => totals !== t && totals.get('k0')!.idle >= 3, 'a few idle batches (checkpoints)');
    } finally {
      await first.stop({ graceful: true });
    }
    const second = await run();
    try {
      // Batches run before the group assigns the tasks: none may fail, and none may see a restored key.
      await until(second, () => owned, 'the restarted copy owning its tasks');
      await produceLines(topic, ['k0'], { partition: 0 });
      await until(second, () => totals.get('k0')?.n === 3 && totals.get('k0')?.idle === 0, 'k0 counted a third time');
      expect(words.filter((w) => totals.get(w)?.n !== (w === 'k0' ? 3 : 2))).toEqual([]);
      expect(early).toEqual([]);
      expect(logs.join('\n')).toMatch(/\(2 task changelog\(s\) read from the local checkpoint's position on\)/);
    } finally {
      await second.stop();
    }
  });
});
