// A record the job cannot cut (one state value of 1.2 MB) over the changelog topic's
// max.message.bytes: Kafka refuses it (MESSAGE_TOO_LARGE, non-retriable). The job fails at once —
// it tried the same transaction 6 times (~15 s), the abort succeeding each time — with an error
// naming the topic, the record's key, its size and the topic's limit (it named neither topic nor
// key). The run's real broker.
import { describe, expect, it } from 'vitest';
import { KafkaUtils, StreamingContext } from '../../src/index.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { sleep, tempDir } from './copies.js';

describe('a record over the topic’s max.message.bytes', () => {
  it('fails the scaled-out job at once, naming the topic, the key, the size and the limit', { timeout: 90_000 }, async () => {
    const topic = uniqueTopic('too-large');
    await createTopic(topic, 1);
    await produceLines(topic, ['big-key']);
    const app = `too-large-${Date.now().toString(36)}`;
    const ssc = new StreamingContext({ batchDuration: 500, applicationId: app, checkpointDir: tempDir('too-large-') });
    let seen: number | undefined;
    KafkaUtils.createDirectStream(ssc, [topic], { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000 })
      .map(([, v]): [string, number] => [v, 1])
      .updateStateByKey<string>((vs, s) => (vs.length > 0 ? 'z'.repeat(1_200_000) : s))
      .foreachRDD((rdd) => {
        if (seen === undefined && rdd.count() > 0) seen = Date.now();
      });
    let failure: Error | undefined;
    let failedAt = 0;
    const ended = ssc.awaitTermination().catch((e: unknown) => ((failure = e as Error), (failedAt = Date.now())));
    try {
      await ssc.start();
      for (const t0 = Date.now(); failure === undefined && Date.now() - t0 < 60_000; ) await sleep(50);
      await ended;
    } finally {
      await ssc.stop().catch(() => undefined);
    }
    expect(seen, 'the batch ran').toBeDefined();
    expect(failure, 'the job failed').toBeDefined();
    const message = failure!.message;
    console.log(`failed ${failedAt - seen!} ms after the batch's output: ${message}`);
    expect(message).toContain(`${app}-state`); // the changelog topic
    expect(message).toContain('"big-key"');
    expect(message).toMatch(/is 12000\d\d bytes/);
    expect(message).toMatch(/max\.message\.bytes of \d+/);
    // Not retried: the commit tried it 6 times, ~15 s.
    expect(failedAt - seen!).toBeLessThan(5000);
  });
});
