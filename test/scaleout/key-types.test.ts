// Keys that differ only in type — 1 and "1", ["x"] and '["x"]' — are different keys in one
// process (rdd/keyCode.ts), and stay different scaled out: repartitionByKey groups them apart,
// and the changelogs give them records of their own (a string as itself, any other key typed:
// changelogKeys.ts) where they used to share one record (the later change won, compaction kept
// one). A changelog written by earlier versions (a non-string key under its JSON) is still read,
// and its records are rewritten under this version's keys with the task's next transaction, so
// compaction can never bring one back. The run's real broker.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext } from '../../src/index.js';
import { KafkaClient } from '../../src/kafka/client.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';
import type { TaskRecord } from '../../src/kafka/taskProducer.js';
import { StateChangelog, type Changelog } from '../../src/scaleout/changelog.js';
import { readCompacted } from '../../src/scaleout/compacted.js';
import { createTopic, kafkaBrokers, kafkaClient, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { sleep, tempDir } from './copies.js';

const PAIRS: Array<[unknown, string]> = [
  [1, 'a'],
  ['1', 'b'],
  [['x'], 'c'],
  ['["x"]', 'd'],
];
const show = (pairs: Array<[unknown, unknown]>): string[] => pairs.map(([k, v]) => `${typeof k} ${JSON.stringify(k)}=${JSON.stringify(v)}`).sort();

describe('keys that differ only in type, scaled out', () => {
  it('repartitionByKey keeps them apart', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('key-types');
    await createTopic(topic, 1);
    const ssc = new StreamingContext({ batchDuration: 300, applicationId: `kt-${Date.now().toString(36)}` });
    let groups: Array<[unknown, string[]]> = [];
    KafkaUtils.createDirectStream(ssc, [topic], { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'earliest' })
      .map(([, v]) => JSON.parse(v) as [unknown, string])
      .repartitionByKey<unknown, string>()
      .groupByKey()
      .foreachRDD((rdd) => {
        const c = rdd.collect();
        if (c.length > 0) groups = c;
      });
    try {
      await ssc.start();
      await produceLines(topic, PAIRS.map((p) => JSON.stringify(p)));
      for (const t0 = Date.now(); groups.length === 0 && Date.now() - t0 < 30_000; ) await sleep(50);
      expect(show(groups)).toEqual(show(PAIRS.map(([k, v]) => [k, [v]])));
    } finally {
      await ssc.stop();
    }
  });

  /** A state over `input` (JSON pairs), its changelog (`app`), what it stages, and its latest RDD. */
  async function stateJob(input: string, app: string) {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc.checkpoint(tempDir('key-types-'));
    let out: Array<[unknown, string[]]> = [];
    KafkaUtils.createDirectStream(ssc, [input], { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'earliest' })
      .map(([, v]) => JSON.parse(v) as [unknown, string])
      .updateStateByKey<string[]>((vs, s) => (vs.length === 0 ? s : [...(s ?? []), ...vs]))
      .foreachRDD((rdd) => void (out = rdd.collect()));
    const host = { graph: ssc.graph, applicationId: app, partitionCount: () => 1, rangesOf: () => [], owns: () => true, reads: () => true };
    const [changelog] = StateChangelog.forGraph(host) as Changelog[] as StateChangelog[];
    const staged: TaskRecord[] = [];
    changelog!.watch((_t, records) => void staged.push(...records.map((r) => r.record)));
    await ssc.start();
    return { ssc, clock, changelog: changelog!, staged, out: () => out };
  }

  async function write(topic: string, records: ReadonlyArray<{ key: string | Buffer; value: string | null }>): Promise<void> {
    const producer = kafkaClient().producer();
    await producer.connect();
    await producer.send({ topic, messages: records.map((r) => ({ partition: 0, key: r.key, value: r.value })) });
    await producer.disconnect();
  }

  it('a state changelog gives each its own record, and restores them all', { timeout: 60_000 }, async () => {
    const [input, quiet] = [uniqueTopic('key-types-in'), uniqueTopic('key-types-quiet')];
    await Promise.all([createTopic(input, 1), createTopic(quiet, 1)]);
    await produceLines(input, PAIRS.map((p) => JSON.stringify(p)));
    const app = `ktc-${randomUUID().slice(0, 8)}`;
    const client = new KafkaClient(resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers() }), () => false);
    const first = await stateJob(input, app);
    try {
      await first.clock.advance(1000);
      expect(show(first.out())).toEqual(show(PAIRS.map(([k, v]) => [k, [v]])));
      expect(new Set(first.staged.map((r) => r.key)).size).toBe(4);
      await createTopic(first.changelog.topic, 1);
      await write(first.changelog.topic, first.staged);
    } finally {
      await first.ssc.stop();
    }
    const second = await stateJob(quiet, app);
    try {
      await second.changelog.restore(client, [0]);
      await second.clock.advance(1000);
      expect(show(second.out())).toEqual(show(PAIRS.map(([k, v]) => [k, [v]])));
    } finally {
      await second.ssc.stop();
      await client.close();
    }
  });

  it('a window with an inverse function gives each its own value record, and restores them all', { timeout: 60_000 }, async () => {
    const [input, quiet] = [uniqueTopic('key-types-win'), uniqueTopic('key-types-quiet')];
    await Promise.all([createTopic(input, 1), createTopic(quiet, 1)]);
    await produceLines(input, PAIRS.map((p) => JSON.stringify(p)));
    const app = `ktw-${randomUUID().slice(0, 8)}`;
    const client = new KafkaClient(resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers() }), () => false);
    const windowJob = async (topic: string) => {
      const clock = new ManualClock();
      const ssc = new StreamingContext({ batchDuration: 1000, clock });
      ssc.checkpoint(tempDir('key-types-'));
      let out: Array<[unknown, number]> = [];
      KafkaUtils.createDirectStream(ssc, [topic], { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'earliest' })
        .map(([, v]): [unknown, number] => [(JSON.parse(v) as [unknown])[0], 1])
        .reduceByKeyAndWindow((x, y) => x + y, (x, y) => x - y, 60_000, 1000)
        .foreachRDD((rdd) => void (out = rdd.collect()));
      const host = { graph: ssc.graph, applicationId: app, partitionCount: () => 1, rangesOf: () => [], owns: () => true, reads: () => true };
      const [changelog] = StateChangelog.forGraph(host);
      const staged: TaskRecord[] = [];
      changelog!.watch((_t, records) => void staged.push(...records.map((r) => r.record)));
      await ssc.start();
      return { ssc, clock, changelog: changelog!, staged, out: () => out };
    };
    const first = await windowJob(input);
    try {
      await first.clock.advance(1000);
      expect(new Set(first.staged.filter((r) => String(r.key).startsWith('v\u0000')).map((r) => r.key)).size).toBe(4);
      await createTopic(first.changelog.topic, 1);
      await write(first.changelog.topic, first.staged);
    } finally {
      await first.ssc.stop();
    }
    const second = await windowJob(quiet);
    try {
      await second.changelog.restore(client, [0]);
      await second.clock.advance(1000);
      expect(show(second.out())).toEqual(show(PAIRS.map(([k]) => [k, 1])));
    } finally {
      await second.ssc.stop();
      await client.close();
    }
  });

  it("a changelog an earlier version wrote is restored, and its records rewritten under this version's keys", { timeout: 60_000 }, async () => {
    const quiet = uniqueTopic('key-types-quiet');
    await createTopic(quiet, 1);
    const app = `ktl-${randomUUID().slice(0, 8)}`;
    const client = new KafkaClient(resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers() }), () => false);
    const job = await stateJob(quiet, app);
    const topic = job.changelog.topic;
    await createTopic(topic, 1);
    // As earlier versions wrote them: a key as itself if a string, else as its JSON; ["y"] removed.
    const legacy = [
      { key: '1', value: JSON.stringify([1, ['a']]) },
      { key: 'a', value: JSON.stringify(['a', ['z']]) },
      { key: '["x"]', value: JSON.stringify([['x'], ['c']]) },
      { key: '["y"]', value: JSON.stringify([['y'], ['q']]) },
      { key: '["y"]', value: null },
    ];
    await write(topic, legacy);
    const expected = show([
      [1, ['a']],
      ['a', ['z']],
      [['x'], ['c']],
    ]);
    try {
      await job.changelog.restore(client, [0]);
      await job.clock.advance(1000);
      expect(show(job.out())).toEqual(expected);
      // The task's next transaction: the legacy records tombstoned, then written under typed keys.
      expect(job.staged.map((r) => [r.key, r.value])).toEqual([
        ['1', null],
        ['["x"]', null],
        ['\u0000n1', JSON.stringify([1, ['a']])],
        ['\u0000a["sx"]', JSON.stringify([['x'], ['c']])],
      ]);
      // Then key 1 is removed. Read in order or as compaction leaves the partition: it stays removed.
      await write(topic, [...job.staged, { key: '\u0000n1', value: null }]);
    } finally {
      await job.ssc.stop();
    }
    const wanted = show([
      ['a', ['z']],
      [['x'], ['c']],
    ]);
    for (const folded of [false, true]) {
      const again = await stateJob(quiet, app);
      try {
        await again.changelog.restore(client, [0], folded ? await readCompacted(client, topic, [0]) : new Map());
        await again.clock.advance(1000);
        expect(show(again.out()), folded ? 'folded' : 'in order').toEqual(wanted);
        expect(again.staged).toEqual([]);
      } finally {
        await again.ssc.stop();
      }
    }
    await client.close();
  });
});
