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
