// A direct stream tells of a broker outage as it rides it out (a private broker of this file,
// never the shared one): one warning when the batch first finds Kafka unreachable — naming the
// brokers, what it was doing and the retry bound —, one line when Kafka answers again, nothing per
// retry or per partition; a later outage is told again. Every record is still read once.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext } from '../../src/index.js';
import { createTopic, produceLines, uniqueTopic, usePrivateBroker } from '../helpers/kafka.js';
import { sleep } from './helpers.js';

const broker = usePrivateBroker();
afterEach(() => {
  vi.restoreAllMocks();
});

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);

/** Stops the broker for `ms` while the next batch runs; resolves once that batch completed. */
async function outageDuringBatch(clock: ManualClock, ms: number): Promise<void> {
  await broker.stop();
  let done = false;
  const advancing = clock.advance(1000).then(() => (done = true));
  await sleep(ms);
  expect(done).toBe(false);
  await broker.start();
  await advancing;
}

describe('direct stream: a broker outage is told once, and its end', () => {
  it('warns once per outage naming the brokers and retry.timeout.ms, logs once when Kafka is reachable again, and reads every record once', { timeout: 90_000 }, async () => {
    const topic = uniqueTopic('outage-notice');
    await createTopic(topic, 2, broker.brokers);
    await produceLines(topic, lines('before', 100), { partitions: 2, brokers: broker.brokers });

    const warnings: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(' ')));
    const processWarnings: string[] = [];
    const onWarning = (w: Error): void => void processWarnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);

    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    const seen: string[] = [];
    KafkaUtils.createDirectStream(ssc, [topic], {
      'metadata.broker.list': broker.brokers,
      'auto.offset.reset': 'earliest',
      'retry.timeout.ms': 60_000,
    }).foreachRDD((rdd) => {
      for (const [, v] of rdd.collect()) seen.push(v);
    });
    await ssc.start();
    try {
      await clock.advance(1000);
      expect(seen.length).toBe(100);
      expect(warnings).toEqual([]);

      await produceLines(topic, lines('during', 50), { partitions: 2, brokers: broker.brokers });
      await outageDuringBatch(clock, 9000);
      const down = (l: string): boolean => /Kafka \S+ unreachable/.test(l);
      const up = (l: string): boolean => /reachable again/.test(l);
      expect(warnings.filter(down), warnings.join('\n')).toHaveLength(1);
      expect(warnings.filter(up), warnings.join('\n')).toHaveLength(1);
      const [warning] = warnings.filter(down);
      expect(warning).toContain(`Kafka ${broker.brokers} unreachable`);
      expect(warning).toMatch(/while looking up the offsets of \[".*outage-notice.*"\]/);
      expect(warning).toContain('retry.timeout.ms = 60 s');
      expect(warnings.find(up)).toMatch(new RegExp(`^dstreams: Kafka ${broker.brokers} reachable again after \\d+(\\.\\d)? s unreachable`));

      await produceLines(topic, lines('after', 60), { partitions: 2, brokers: broker.brokers });
      await clock.advance(1000);

      // A second outage later is told again.
      await outageDuringBatch(clock, 3000);
      expect(warnings.filter(down), warnings.join('\n')).toHaveLength(2);
      expect(warnings.filter(up), warnings.join('\n')).toHaveLength(2);
      expect(warnings.filter((l) => !down(l) && !up(l))).toEqual([]);

      expect(seen.sort()).toEqual([...lines('before', 100), ...lines('during', 50), ...lines('after', 60)].sort());
      expect(ssc.state).toBe('active');
      expect(processWarnings.filter((w) => /MaxListenersExceeded/.test(w))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await ssc.stop();
    }
  });
});
