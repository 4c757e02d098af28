/**
 * The Kafka sink writes to a topic that does not exist yet when the broker creates topics on
 * demand (auto.create.topics.enable, as scripts/kafka.sh sets it): its producer's metadata
 * requests ask for it, as Spark's Java producer's do (seed 002's Kafka -> Kafka example). Before,
 * they did not, and the query failed after ~30 s of retries ("This server does not host this
 * topic-partition"). A broker that does not create topics fails the batch at once, naming the topic.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStream } from '../../src/sql/index.js';
import { missingTopicError, type TopicAdmin } from '../../src/kafka/topics.js';
import { consumeMessages, kafkaBrokers, kafkaClient, uniqueTopic } from '../helpers/kafka.js';
import { session, tempDir } from './helpers.js';

describe('the Kafka sink and a topic that does not exist', () => {
  it('is created by a broker that creates topics on demand; the records are written', async () => {
    const topic = uniqueTopic('sql-sink-autocreate');
    const admin = kafkaClient().admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await admin.disconnect();
    }
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const q = input.toDF().writeStream.format('kafka').option('kafka.bootstrap.servers', kafkaBrokers()).option('topic', topic).option('checkpointLocation', tempDir()).start();
    input.addData('hello', 'world');
    const t0 = Date.now();
    await q.processAllAvailable();
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(q.exception()).toBeNull();
    input.addData('again');
    await q.processAllAvailable();
    const got = await consumeMessages(topic, 3);
    expect(got.map((m) => m.value)).toEqual(['hello', 'world', 'again']);
  });
});

/** An admin of a broker with `topics` and auto.create.topics.enable `autoCreate` (or one that cannot be read). */
function fakeAdmin(topics: string[], autoCreate: string | Error): TopicAdmin {
  return {
    listTopics: async () => topics,
    describeCluster: async () => ({ brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092 }], controller: 1, clusterId: 'c' }),
    describeConfigs: async (q) => {
      if (autoCreate instanceof Error) throw autoCreate;
      expect(q.resources).toEqual([{ type: 4, name: '1', configNames: ['auto.create.topics.enable'] }]);
      const entry = { configName: 'auto.create.topics.enable', configValue: autoCreate, isDefault: false, configSource: 4, isSensitive: false, readOnly: true, configSynonyms: [] };
      return { resources: [{ configEntries: [entry], errorCode: 0, errorMessage: '', resourceName: '1', resourceType: 4 }], throttleTime: 0 };
    },
  };
}

describe('missingTopicError (the check before a batch writes to a topic it has not seen)', () => {
  it('names a missing topic when the broker does not create topics', async () => {
    const e = await missingTopicError(fakeAdmin(['a'], 'false'), ['a', 'b']);
    expect(e?.message).toBe(
      'Topic b not present in metadata: it does not exist and the broker does not create topics (auto.create.topics.enable=false). Create it first.',
    );
  });

  it('lets the write go on when the topics exist, the broker creates them, or its configuration cannot be read', async () => {
    expect(await missingTopicError(fakeAdmin(['a', 'b'], 'false'), ['a', 'b'])).toBeUndefined();
    expect(await missingTopicError(fakeAdmin([], 'true'), ['a'])).toBeUndefined();
    expect(await missingTopicError(fakeAdmin([], new Error('Cluster authorization failed')), ['a'])).toBeUndefined();
  });
});
