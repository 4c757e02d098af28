/** The Kafka source and sink on the real broker (vectors after Spark's KafkaMicroBatchSourceSuite). */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/context/Clock.js';
import { SparkSession, type DataFrame } from '../../src/sql/index.js';
import { consumeMessages, createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { session, tempDir } from './helpers.js';

function kafkaValues(spark: SparkSession, options: Record<string, string | number>): DataFrame {
  return spark.readStream
    .format('kafka')
    .option('kafka.bootstrap.servers', kafkaBrokers())
    .options(options)
    .load()
    .selectExpr('CAST(key AS STRING)', 'CAST(value AS STRING)');
}

describe('kafka source', () => {
  it("rows have Spark's Kafka schema; key and value are Buffers", async () => {
    const topic = uniqueTopic('sql-schema');
    await createTopic(topic, 1);
    await produceLines(topic, ['hello'], { partition: 0, key: 'k' });
    const spark = session();
    const df = spark.readStream.format('kafka').option('kafka.bootstrap.servers', kafkaBrokers()).option('subscribe', topic).option('startingOffsets', 'earliest').load();
    expect(df.schema.treeString()).toBe(
      [
        'root',
        ' |-- key: binary (nullable = true)',
        ' |-- value: binary (nullable = true)',
        ' |-- topic: string (nullable = true)',
        ' |-- partition: integer (nullable = true)',
        ' |-- offset: long (nullable = true)',
        ' |-- timestamp: timestamp (nullable = true)',
        ' |-- timestampType: integer (nullable = true)',
        '',
      ].join('\n'),
    );
    const q = await df.writeStream.format('memory').queryName('raw').start();
    await q.processAllAvailable();
    const [row] = spark.table('raw').collect();
    expect(Buffer.isBuffer(row!.key) && Buffer.isBuffer(row!.value)).toBe(true);
    expect(row).toMatchObject({ topic, partition: 0, offset: 0, timestampType: 0 });
    expect((row!.value as Buffer).toString()).toBe('hello');
    expect(Math.abs((row!.timestamp as Date).getTime() - Date.now())).toBeLessThan(120_000);
    expect(q.lastProgress!.sources[0]!.endOffset).toEqual({ [topic]: { '0': 1 } });
  });

  it('maxOffsetsPerTrigger splits the limit over partitions by backlog; a restart continues from the checkpoint', async () => {
    const topic = uniqueTopic('sql-max');
    await createTopic(topic, 3);
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => String(a + i));
    await produceLines(topic, range(100, 200), { partition: 0 });
    await produceLines(topic, range(10, 20), { partition: 1 });
    await produceLines(topic, ['1'], { partition: 2 });
    const clock = new ManualClock();
    const spark = new SparkSession({ clock });
    const cp = tempDir();
    const seen: number[][] = [];
    const start = () =>
      kafkaValues(spark, { subscribe: topic, startingOffsets: 'earliest', maxOffsetsPerTrigger: 10 })
        .writeStream.foreachBatch((df) => void seen.push(df.collect().map((r) => Number(r.value)).sort((a, b) => a - b)))
        .option('checkpointLocation', cp)
        .trigger({ processingTime: 100 })
        .start();
    try {
      let q = await start();
      await clock.advance(100);
      expect(seen).toEqual([[1, 10, 100, 101, 102, 103, 104, 105, 106, 107]]);
      await clock.advance(100);
      expect(seen[1]).toEqual([11, 108, 109, 110, 111, 112, 113, 114, 115, 116]);
      await q.stop();
      q = await start();
      await clock.advance(100);
      expect(seen[2]).toEqual([12, 117, 118, 119, 120, 121, 122, 123, 124, 125]);
      await q.stop();
    } finally {
      await spark.stop();
    }
    // Trigger.Once ignores the limit.
    const spark2 = session();
    const all: number[] = [];
    const once = await kafkaValues(spark2, { subscribe: topic, startingOffsets: 'earliest', maxOffsetsPerTrigger: 10 })
      .writeStream.foreachBatch((df) => void all.push(...df.collect().map((r) => Number(r.value))))
      .trigger({ once: true })
      .start();
    await once.awaitTermination();
    expect(all.sort((a, b) => a - b)).toEqual([1, ...range(10, 20).map(Number), ...range(100, 200).map(Number)]);
  });

  it('Trigger.AvailableNow with maxOffsetsPerTrigger: 15 records / 5 = 3 batches, then the query stops', async () => {
    const topic = uniqueTopic('sql-avail');
    await createTopic(topic, 5);
    await produceLines(topic, Array.from({ length: 15 }, (_, i) => `foo-${i}`), { partition: 0 });
    const spark = session();
    let batches = 0;
    const q = await kafkaValues(spark, { subscribe: topic, startingOffsets: 'earliest', maxOffsetsPerTrigger: 5 })
      .writeStream.foreachBatch(() => void batches++)
      .trigger({ availableNow: true })
      .start();
    expect(await q.awaitTermination(30_000)).toBe(true);
    expect(batches).toBe(3);
  });

  it('startingOffsets: latest reads only what comes after start; JSON offsets per partition; subscribePattern', async () => {
    const prefix = uniqueTopic('sql-pat');
    const topic = `${prefix}-a`;
    await createTopic(topic, 2);
    await produceLines(topic, ['old0', 'old1', 'old2'], { partitions: 2 });
    const spark = session();
    const latest = await kafkaValues(spark, { subscribe: topic }).writeStream.format('memory').queryName('latest').start();
    await latest.processAllAvailable();
    await produceLines(topic, ['new'], { partition: 1 });
    await latest.processAllAvailable();
    expect(spark.table('latest').collect().map((r) => r.value)).toEqual(['new']);
    const json = await kafkaValues(spark, { subscribe: topic, startingOffsets: JSON.stringify({ [topic]: { '0': 1, '1': -2 } }) })
      .writeStream.format('memory')
      .queryName('json')
      .start();
    await json.processAllAvailable();
    expect(spark.table('json').collect().map((r) => r.value).sort()).toEqual(['new', 'old1', 'old2']);
    const pattern = await kafkaValues(spark, { subscribePattern: `${prefix}-.*`, startingOffsets: 'earliest' }).writeStream.format('memory').queryName('pattern').start();
    await pattern.processAllAvailable();
    expect(spark.table('pattern').count()).toBe(4);
  });

  it('startingOffsets latest, a first run that completed no batch: the restart starts where it started, reading what came meanwhile', async () => {
    const topic = uniqueTopic('sql-first-run');
    await createTopic(topic, 2);
    await produceLines(topic, ['old0', 'old1'], { partitions: 2 });
    const clock = new ManualClock();
    const spark = new SparkSession({ clock });
    const cp = tempDir();
    const seen: string[] = [];
    const start = () =>
      kafkaValues(spark, { subscribe: topic })
        .writeStream.foreachBatch((df) => void seen.push(...df.collect().map((r) => String(r.value))))
        .option('checkpointLocation', cp)
        .trigger({ processingTime: 100 })
        .start();
    try {
      // Run 1 stops before its first trigger (a crash then leaves the checkpoint as this stop does).
      const q1 = await start();
      await produceLines(topic, ['during0', 'during1', 'during2'], { partitions: 2 });
      await q1.stop();
      await produceLines(topic, ['after0', 'after1'], { partitions: 2 });
      const q2 = await start();
      await clock.advance(100);
      expect(seen.sort()).toEqual(['after0', 'after1', 'during0', 'during1', 'during2']);
      await q2.stop();
    } finally {
      await spark.stop();
    }
  });

  it('a first batch that failed runs again with the same offsets and batch id, though more records came since', async () => {
    const topic = uniqueTopic('sql-first-batch');
    await createTopic(topic, 2);
    const clock = new ManualClock();
    const spark = new SparkSession({ clock });
    const cp = tempDir();
    const batches: Array<[number, string[]]> = [];
    let fail = true;
    const start = () =>
      kafkaValues(spark, { subscribe: topic })
        .writeStream.foreachBatch((df, batchId) => {
          if (fail) throw new Error('the sink is down');
          batches.push([batchId, df.collect().map((r) => String(r.value)).sort()]);
        })
        .option('checkpointLocation', cp)
        .trigger({ processingTime: 100 })
        .start();
    try {
      const q1 = await start();
      await produceLines(topic, ['during0', 'during1'], { partitions: 2 });
      await clock.advance(100).catch(() => undefined);
      await expect(q1.awaitTermination()).rejects.toThrow(/the sink is down/);
      await q1.stop();
      fail = false;
      await produceLines(topic, ['after0'], { partitions: 2 });
      const q2 = await start();
      await clock.advance(100);
      await clock.advance(100);
      expect(batches).toEqual([
        [0, ['during0', 'during1']],
        [1, ['after0']],
      ]);
      await q2.stop();
    } finally {
      await spark.stop();
    }
  });

  it('options are checked when the source is defined', () => {
    const spark = session();
    expect(() => spark.readStream.format('kafka').option('subscribe', 't').load()).toThrow(/kafka.bootstrap.servers' must be specified/);
    expect(() => spark.readStream.format('kafka').option('kafka.bootstrap.servers', 'x:1').load()).toThrow(/subscribe, subscribePattern, assign/);
    expect(() =>
      spark.readStream.format('kafka').option('kafka.bootstrap.servers', 'x:1').option('subscribe', 't').option('startingOffsets', '{bad').load(),
    ).toThrow(/startingOffsets must be/);
  });
});

describe('kafka sink', () => {
  it('writes the value (and key) columns of each batch to the topic', async () => {
    const topic = uniqueTopic('sql-sink');
    await createTopic(topic, 1);
    const spark = session();
    const { MemoryStream } = await import('../../src/sql/index.js');
    const input = new MemoryStream<string>(spark, 'string');
    const counts = input.toDF().groupBy('value').count().selectExpr('value AS key', 'CAST(count AS STRING) AS value');
    const q = await counts.writeStream
      .format('kafka')
      .outputMode('update')
      .option('kafka.bootstrap.servers', kafkaBrokers())
      .option('topic', topic)
      .option('checkpointLocation', tempDir())
      .start();
    input.addData('a', 'b', 'a');
    await q.processAllAvailable();
    const got = await consumeMessages(topic, 2);
    expect(got.map((m) => [m.key, m.value]).sort()).toEqual([['a', '2'], ['b', '1']]);
    await expect(input.toDF().writeStream.format('kafka').option('kafka.bootstrap.servers', kafkaBrokers()).option('checkpointLocation', tempDir()).start()).rejects.toThrow(
      /topic option required/,
    );
  });
});
