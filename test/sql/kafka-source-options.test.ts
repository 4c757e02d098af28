/**
 * The Kafka source's options as Spark's KafkaSourceProvider reads them: case-insensitive names
 * (`startingoffsets` is `startingOffsets`), and the options validateStreamOptions refuses at
 * load() — the source decides where a query starts (`kafka.auto.offset.reset`), how records are
 * deserialized and what is committed; a streaming query has no end. `kafka.group.id` is allowed,
 * with Spark's warning.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SparkSession } from '../../src/sql/index.js';
import { CUSTOM_GROUP_ID_ERROR_MESSAGE } from '../../src/sql/sources/kafka.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { session } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const load = (spark: SparkSession, options: Record<string, string>) =>
  spark.readStream.format('kafka').option('kafka.bootstrap.servers', '127.0.0.1:1').option('subscribe', 't').options(options).load();

describe('Kafka source options', () => {
  it('kafka.auto.offset.reset is refused at load(), whatever its case, pointing at startingOffsets', () => {
    const spark = session();
    for (const key of ['kafka.auto.offset.reset', 'KAFKA.Auto.Offset.Reset']) {
      expect(() => load(spark, { [key]: 'earliest' })).toThrow(
        "Kafka option 'auto.offset.reset' is not supported. Instead set the source option 'startingoffsets' to 'earliest' or 'latest' to specify where to start.",
      );
    }
  });

  it('deserializers, enable.auto.commit, interceptor.classes and ending offsets are refused at load(), with Spark\'s messages', () => {
    const spark = session();
    const refused: [Record<string, string>, string][] = [
      [{ 'kafka.key.deserializer': 'x' }, "Kafka option 'key.deserializer' is not supported as keys are deserialized as byte arrays with ByteArrayDeserializer."],
      [{ 'kafka.value.deserializer': 'x' }, "Kafka option 'value.deserializer' is not supported as values are deserialized as byte arrays with ByteArrayDeserializer."],
      [{ 'kafka.enable.auto.commit': 'true' }, "Kafka option 'enable.auto.commit' is not supported"],
      [{ 'kafka.interceptor.classes': 'x' }, "Kafka option 'interceptor.classes' is not supported"],
      [{ endingOffsets: 'latest' }, 'ending offset not valid in streaming queries'],
      [{ endingoffsetsbytimestamp: '{}' }, 'ending timestamp not valid in streaming queries'],
    ];
    for (const [options, message] of refused) expect(() => load(spark, options)).toThrow(message);
  });

  it('kafka.group.id is accepted with Spark\'s warning', () => {
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const spark = session();
    expect(load(spark, { 'kafka.group.id': 'mine' }).isStreaming).toBe(true);
    expect(warnings).toHaveBeenCalledWith(`Kafka source: ${CUSTOM_GROUP_ID_ERROR_MESSAGE}`);
  });

  it('a malformed assign is refused at load() with Spark\'s messages (a string of partitions read "0,1" as 0 and 1)', () => {
    const spark = session();
    const loadAssign = (assign: string) =>
      spark.readStream.format('kafka').option('kafka.bootstrap.servers', '127.0.0.1:1').option('assign', assign).load();
    for (const bad of ['nope', '["in1"]', '{}', '{"in1":[]}']) {
      expect(() => loadAssign(bad), bad).toThrow(`No topicpartitions to assign as specified value for option 'assign' is '${bad}'`);
    }
    for (const bad of ['{"in1":0}', '{"in1":"0,1"}', '{"in1":[0,-1]}', '{"in1":[0.5]}', '{"in1":[0]']) {
      expect(() => loadAssign(bad), bad).toThrow(`Expected e.g. {"topicA":[0,1],"topicB":[0,1]}, got ${bad}`);
    }
    expect(loadAssign('{"in1":[0,2]}').isStreaming).toBe(true);
  });

  it('assign reads exactly the partitions named, and fails naming a partition the topic lacks (it read the others as if complete)', async () => {
    const topic = uniqueTopic('sql-assign');
    await createTopic(topic, 3);
    await produceLines(topic, Array.from({ length: 30 }, (_, i) => `r${i}`), { partitions: 3 });
    const spark = session();
    const run = async (assign: string, name: string) => {
      const q = spark.readStream
        .format('kafka')
        .option('kafka.bootstrap.servers', kafkaBrokers())
        .option('assign', assign)
        .option('startingOffsets', 'earliest')
        .load()
        .selectExpr('partition')
        .writeStream.format('memory')
        .queryName(name)
        .start();
      await q.processAllAvailable().catch(() => undefined);
      await q.stop();
      return q;
    };
    const q1 = await run(JSON.stringify({ [topic]: [0, 2] }), 'assigned_0_2');
    expect(q1.exception()).toBeNull();
    const parts = spark.table('assigned_0_2').collect().map((r) => r.partition as number);
    expect([parts.length, [...new Set(parts)].sort()]).toEqual([20, [0, 2]]);
    const q2 = await run(JSON.stringify({ [topic]: [0, 9] }), 'assigned_0_9');
    expect(String(q2.exception())).toMatch(new RegExp(`assigned partition ${topic}-9 does not exist`));
  });

  it("'startingoffsets' (lower case) is startingOffsets: earliest reads what the topic held", async () => {
    const topic = uniqueTopic('sql-opt-case');
    await createTopic(topic, 1);
    await produceLines(topic, ['r1', 'r2', 'r3']);
    const spark = session();
    const q = spark.readStream
      .format('kafka')
      .option('KAFKA.BOOTSTRAP.SERVERS', kafkaBrokers())
      .option('Subscribe', topic)
      .option('startingoffsets', 'earliest')
      .load()
      .selectExpr('CAST(value AS STRING) AS v')
      .writeStream.format('memory')
      .queryName('cased_kafka')
      .start();
    await q.processAllAvailable();
    expect(spark.table('cased_kafka').collect().map((r) => r.v)).toEqual(['r1', 'r2', 'r3']);
    expect(q.exception()).toBeNull();
    await q.stop();
  });
});
