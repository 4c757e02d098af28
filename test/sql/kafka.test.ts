/** The Kafka source and sink on the real broker (vectors after Spark's KafkaMicroBatchSourceSuite). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/context/Clock.js';
import { KafkaClient } from '../../src/kafka/client.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';
import { MemoryStream, SparkSession, type DataFrame, type Row } from '../../src/sql/index.js';
import { consumeMessages, createTopic, kafkaBrokers, recreateTopic, kafkaClient, produceLines, topicEndOffsets, uniqueTopic } from '../helpers/kafka.js';
import { session, tempDir } from './helpers.js';

function kafkaValues(spark: SparkSession, options: Record<string, string | number>): DataFrame {
  return spark.readStream
    .format('kafka')
    .option('kafka.bootstrap.servers', kafkaBrokers())
    .options(options)
    .load()
    .selectExpr('CAST(key AS STRING)', 'CAST(value AS STRING)');
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const records = (prefix: string, n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${from + i}`);


/** Deletes the records of partition 0 below `offset` (as retention does): the log start becomes `offset`. */
async function deleteRecordsBelow(topic: string, offset: number): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: [topic] }); // kafkajs's deleteTopicRecords needs it loaded
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: String(offset) }] });
  } finally {
    await admin.disconnect();
  }
}

/** Waits until partition 0's last stable offset (the admin's latest offset) reaches `offset` (a transaction marker written). */
async function waitForStableOffset(topic: string, offset: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await topicEndOffsets(topic))[0]! < offset) {
    if (Date.now() > deadline) throw new Error(`${topic}:0 did not reach the stable offset ${offset}`);
    await sleep(100);
  }
}

/** Every record of `topic` as Kafka holds it (null keys and values stay null), partition by partition. */
async function readTopic(topic: string): Promise<Array<{ partition: number; key: string | null; value: string | null }>> {
  const client = new KafkaClient(resolveKafkaParams({ 'bootstrap.servers': kafkaBrokers() }));
  try {
    const bounds = await client.topicBounds([topic]);
    const read = await client.readRaw(bounds.map((b) => ({ topic, partition: b.partition, fromOffset: b.low, untilOffset: b.high })));
    return bounds.flatMap((b, i) =>
      read[i]!.map((r) => ({ partition: b.partition, key: r.key === null ? null : r.key.toString(), value: r.value === null ? null : r.value.toString() })),
    );
  } finally {
    await client.close();
  }
}

/** A query writing each batch's `value`s (strings) to `seen`. */
async function valuesQuery(spark: SparkSession, options: Record<string, string | number>, seen: string[], checkpointLocation?: string) {
  let w = kafkaValues(spark, options).writeStream.foreachBatch((df) => void seen.push(...df.collect().map((r) => String(r.value))));
  if (checkpointLocation) w = w.option('checkpointLocation', checkpointLocation);
  return w.start();
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

  it('timestampType says which timestamp a record carries: 1 on a topic stamped at append (LogAppendTime)', async () => {
    // Before: always 0 (found by review).
    const topic = uniqueTopic('sql-append-time');
    const admin = kafkaClient().admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    await produceLines(topic, ['stamped'], { partition: 0 });
    const spark = session();
    const df = spark.readStream.format('kafka').option('kafka.bootstrap.servers', kafkaBrokers()).option('subscribe', topic).option('startingOffsets', 'earliest').load();
    const q = await df.writeStream.format('memory').queryName('appendTime').start();
    await q.processAllAvailable();
    expect(spark.table('appendTime').collect().map((r) => r.timestampType)).toEqual([1]);
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

  it('availableNow reads the records there when it started, in batches maxOffsetsPerTrigger allows, and stops; records produced meanwhile wait', async () => {
    const topic = uniqueTopic('sql-available-now');
    await createTopic(topic, 2);
    await produceLines(topic, ['a0', 'a1', 'a2', 'a3', 'a4'], { partitions: 2 });
    const spark = new SparkSession({ clock: new ManualClock() });
    const seen: string[][] = [];
    try {
      const q = kafkaValues(spark, { subscribe: topic, startingOffsets: 'earliest', maxOffsetsPerTrigger: 2 })
        .writeStream.trigger({ availableNow: true })
        .foreachBatch(async (df) => {
          seen.push(df.collect().map((r) => String(r.value)).sort());
          await produceLines(topic, [`late${seen.length}`], { partitions: 2 });
        })
        .option('checkpointLocation', tempDir())
        .start();
      expect(await q.awaitTermination(60_000)).toBe(true);
      expect(q.exception()).toBeNull();
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(seen.flat().sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    } finally {
      await spark.stop();
    }
  });

  it('latest: a record produced after start() returned is read, records already there are not, though stamped ahead (a producer clock ahead)', async () => {
    const topic = uniqueTopic('sql-latest-stamps');
    await createTopic(topic, 1);
    const producer = kafkaClient().producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const ahead = String(Date.now() + 3_600_000);
    await producer.send({ topic, messages: ['old0', 'old1', 'old2'].map((value, i) => ({ value, timestamp: i === 0 ? String(Date.now() - 1000) : ahead })) });
    const spark = new SparkSession({ clock: new ManualClock() });
    const seen: string[] = [];
    try {
      const q = kafkaValues(spark, { subscribe: topic })
        .writeStream.foreachBatch((df) => void seen.push(...df.collect().map((r) => String(r.value))))
        .option('checkpointLocation', tempDir())
        .start();
      // Produced at once, while the source may still be opening.
      await producer.send({ topic, messages: [{ value: 'new' }] });
      await q.processAllAvailable();
      expect(seen).toEqual(['new']);
      await q.stop();
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
    const kafka = () => spark.readStream.format('kafka').option('kafka.bootstrap.servers', 'x:1').option('subscribe', 't');
    expect(() => kafka().option('startingOffsets', '{"t":{"0":"x"}}').load()).toThrow(/startingOffsets must be/);
    expect(() => kafka().option('failOnDataLoss', 'maybe').load()).toThrow(/failOnDataLoss must be true or false, got maybe/);
    expect(() => kafka().option('kafka.isolation.level', 'committed').load()).toThrow(/kafka.isolation.level must be read_committed or read_uncommitted/);
  });

  it('startingOffsets JSON must name every subscribed partition (Spark: "Use -1 for latest, -2 for earliest"); the query fails naming the missing ones', async () => {
    const topic = uniqueTopic('sql-json-missing');
    await createTopic(topic, 3);
    await produceLines(topic, records('r', 6), { partitions: 3 });
    const spark = session();
    const seen: string[] = [];
    const run = async (startingOffsets: object) => {
      const q = await valuesQuery(spark, { subscribe: topic, startingOffsets: JSON.stringify(startingOffsets) }, seen);
      await q.processAllAvailable();
      return q;
    };
    await expect(run({ [topic]: { '0': 0 } })).rejects.toThrow(
      new RegExp(`you must specify all TopicPartitions\\. Use -1 for latest, -2 for earliest.*Missing: ${topic}-1, ${topic}-2\\.`),
    );
    await expect(run({ [topic]: { '0': 0, '1': -2, '2': -1, '7': 0 } })).rejects.toThrow(new RegExp(`Not subscribed: ${topic}-7`));
    expect(seen).toEqual([]);
    const q = await run({ [topic]: { '0': 0, '1': -2, '2': -1 } });
    expect(seen.sort()).toEqual(['r-0', 'r-1', 'r-3', 'r-4']);
    await q.stop();
  });
});

describe('kafka source failOnDataLoss', () => {
  const changed = (topic: string, from: number, to: number) =>
    new RegExp(`Partition ${topic}-0's offset was changed from ${from} to ${to}, some data may have been missed\\. .*set the source option "failOnDataLoss" to "false"`);

  it('default (true): the topic deleted and recreated under a running query (its log end below the offset) fails the query with Spark\'s message; nothing of the new topic is read', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('sql-recreated');
    await createTopic(topic, 1);
    await produceLines(topic, records('old', 10), { partition: 0 });
    const spark = session();
    const seen: string[] = [];
    const q = await valuesQuery(spark, { subscribe: topic, startingOffsets: 'earliest', 'kafka.topic.wait.ms': 30_000 }, seen);
    await q.processAllAvailable();
    expect(seen).toEqual(records('old', 10));
    await recreateTopic(topic);
    await produceLines(topic, records('new', 3), { partition: 0 });
    await expect(q.processAllAvailable()).rejects.toThrow(changed(topic, 10, 3));
    expect(q.isActive).toBe(false);
    expect(q.exception()?.message).toMatch(changed(topic, 10, 3));
    expect(seen).toEqual(records('old', 10));
  });

  it('false: the recreated partition goes on from its new log start, with a warning: every record of the new topic is read', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('sql-recreated-go-on');
    await createTopic(topic, 1);
    await produceLines(topic, records('old', 10), { partition: 0 });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    cleanups.push(() => warn.mockRestore());
    const spark = session();
    const seen: string[] = [];
    const q = await valuesQuery(spark, { subscribe: topic, startingOffsets: 'earliest', failOnDataLoss: 'false', 'kafka.topic.wait.ms': 30_000 }, seen);
    await q.processAllAvailable();
    await recreateTopic(topic);
    await produceLines(topic, records('new', 3), { partition: 0 });
    await q.processAllAvailable();
    expect(seen).toEqual([...records('old', 10), ...records('new', 3)]);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      expect.stringMatching(new RegExp(`Partition ${topic}-0's offset was changed from 10 to 3, some data may have been missed\\. .*set the source option "failOnDataLoss" to "true"`)),
    ]);
    await produceLines(topic, records('new', 9, 3), { partition: 0 });
    await q.processAllAvailable();
    expect(seen).toEqual([...records('old', 10), ...records('new', 12)]);
    expect(q.isActive).toBe(true);
    expect(q.lastProgress!.sources[0]!.endOffset).toEqual({ [topic]: { '0': 12 } });
    await q.stop();
  });

  it('records aged out below the checkpointed offset: the restart fails (default), or with false skips to the log start', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('sql-aged-out');
    await createTopic(topic, 1);
    await produceLines(topic, records('r', 5), { partition: 0 });
    const spark = session();
    const cp = tempDir();
    const seen: string[] = [];
    const q1 = await valuesQuery(spark, { subscribe: topic, startingOffsets: 'earliest' }, seen, cp);
    await q1.processAllAvailable();
    await q1.stop();
    expect(seen).toEqual(records('r', 5));
    await produceLines(topic, records('r', 20, 5), { partition: 0 }); // offsets 5..24
    await deleteRecordsBelow(topic, 15);

    const q2 = await valuesQuery(spark, { subscribe: topic }, seen, cp);
    await expect(q2.processAllAvailable()).rejects.toThrow(
      new RegExp(`Cannot fetch offset 5 of partition ${topic}-0: the earliest offset Kafka holds is 15, records in \\[5, 15\\) are not available any more\\. .*"failOnDataLoss" to "false"`),
    );
    expect(seen).toEqual(records('r', 5));

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    cleanups.push(() => warn.mockRestore());
    const q3 = await valuesQuery(spark, { subscribe: topic, failOnDataLoss: 'false' }, seen, cp);
    await q3.processAllAvailable();
    expect(seen).toEqual([...records('r', 5), ...records('r', 10, 15)]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/Cannot fetch offset 5 .*"failOnDataLoss" to "true"/);
    await q3.stop();
  });
});

describe('kafka source kafka.isolation.level', () => {
  it('read_committed leaves out the records of aborted transactions and waits for an open one to commit; read_uncommitted (the default) reads aborted records', { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('sql-isolation');
    await createTopic(topic, 1);
    await produceLines(topic, ['c1'], { partition: 0 }); // 0
    const producer = kafkaClient().producer({ transactionalId: `tx-${topic}`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: 'a1', partition: 0 }, { value: 'a2', partition: 0 }] }); // 1, 2
    await aborted.abort(); // marker at 3
    await produceLines(topic, ['c2'], { partition: 0 }); // 4
    await waitForStableOffset(topic, 5);

    const spark = session();
    const committed: string[] = [];
    const uncommitted: string[] = [];
    const qc = await valuesQuery(spark, { subscribe: topic, startingOffsets: 'earliest', 'kafka.isolation.level': 'read_committed' }, committed);
    const qu = await valuesQuery(spark, { subscribe: topic, startingOffsets: 'earliest' }, uncommitted);
    await qc.processAllAvailable();
    await qu.processAllAvailable();
    expect(committed).toEqual(['c1', 'c2']);
    expect(uncommitted).toEqual(['c1', 'a1', 'a2', 'c2']);

    const open = await producer.transaction();
    await open.send({ topic, messages: [{ value: 'o1', partition: 0 }] }); // 5
    await qc.processAllAvailable();
    expect(committed).toEqual(['c1', 'c2']);
    await open.commit(); // marker at 6
    await waitForStableOffset(topic, 7);
    await qc.processAllAvailable();
    expect(committed).toEqual(['c1', 'c2', 'o1']);
    expect(qc.lastProgress!.sources[0]!.endOffset).toEqual({ [topic]: { '0': 7 } });
  });
});

describe('kafka sink', () => {
  it('writes the value (and key) columns of each batch to the topic', async () => {
    const topic = uniqueTopic('sql-sink');
    await createTopic(topic, 1);
    const spark = session();
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
    // Spark's KafkaWriter: a key must be a string or binary column.
    expect(() => input.toDF().selectExpr('length(value) AS key', 'value').writeStream.format('kafka').option('kafka.bootstrap.servers', kafkaBrokers()).option('topic', topic).option('checkpointLocation', tempDir()).start()).toThrow(
      'key attribute type must be a string or binary, got int',
    );
    // Neither a topic option nor a topic column (an async function: start() may throw or reject).
    await expect(async () => input.toDF().writeStream.format('kafka').option('kafka.bootstrap.servers', kafkaBrokers()).option('checkpointLocation', tempDir()).start()).rejects.toThrow(
      /topic option required when no 'topic' attribute is present/,
    );
  });

  it('cuts its requests before 1 MiB: a batch of records that each fit is written, however large together', async () => {
    const topic = uniqueTopic('sql-sink-big');
    await createTopic(topic, 1);
    const spark = session();
    const input = new MemoryStream<string>(spark, 'string');
    const q = input.toDF().writeStream.format('kafka').option('kafka.bootstrap.servers', kafkaBrokers()).option('topic', topic).option('checkpointLocation', tempDir()).start();
    input.addData('a'.repeat(700_000), 'b'.repeat(700_000));
    await q.processAllAvailable();
    await q.stop();
    const got = await consumeMessages(topic, 2);
    expect(got.map((m) => [m.value?.[0], m.value?.length])).toEqual([
      ['a', 700_000],
      ['b', 700_000],
    ]);
  });

  it("a topic column sends each row to its own topic, the topic option overrides it; a null value is written as a null value (a tombstone)", async () => {
    const [a, b, c] = [uniqueTopic('sql-sink-a'), uniqueTopic('sql-sink-b'), uniqueTopic('sql-sink-c')];
    for (const t of [a, b, c]) await createTopic(t, 1);
    const spark = session();
    const input = new MemoryStream<Row>(spark, 'topic STRING, key STRING, value STRING');
    const write = (topicOption?: string) => {
      let w = input.toDF().writeStream.format('kafka').option('kafka.bootstrap.servers', kafkaBrokers()).option('checkpointLocation', tempDir());
      if (topicOption) w = w.option('topic', topicOption);
      return w.start();
    };
    const byColumn = await write();
    const byOption = await write(c);
    input.addData([
      { topic: a, key: 'k1', value: 'v1' },
      { topic: b, key: 'k2', value: null },
      { topic: a, key: null, value: 'v3' },
    ]);
    await byColumn.processAllAvailable();
    await byOption.processAllAvailable();
    expect(await readTopic(a)).toEqual([
      { partition: 0, key: 'k1', value: 'v1' },
      { partition: 0, key: null, value: 'v3' },
    ]);
    expect(await readTopic(b)).toEqual([{ partition: 0, key: 'k2', value: null }]);
    expect(await readTopic(c)).toEqual([
      { partition: 0, key: 'k1', value: 'v1' },
      { partition: 0, key: 'k2', value: null },
      { partition: 0, key: null, value: 'v3' },
    ]);
    expect(byColumn.lastProgress!.sink.description).toBe('KafkaSink[topic column]');
  });

  it('a row whose topic is null fails the batch (Spark\'s message) before any of its records is written; a topic column must be a string', async () => {
    const topic = uniqueTopic('sql-sink-null-topic');
    await createTopic(topic, 1);
    const spark = session();
    const input = new MemoryStream<Row>(spark, 'topic STRING, value STRING');
    const q = await input.toDF().writeStream.format('kafka').option('kafka.bootstrap.servers', kafkaBrokers()).option('checkpointLocation', tempDir()).start();
    input.addData([
      { topic, value: 'first' },
      { topic: null, value: 'second' },
    ]);
    await expect(q.processAllAvailable()).rejects.toThrow(/null topic present in the data\. Use the topic option for setting a default topic\./);
    expect(await readTopic(topic)).toEqual([]);
    const numbers = new MemoryStream<Row>(spark, 'topic INT, value STRING');
    await expect(async () => numbers.toDF().writeStream.format('kafka').option('kafka.bootstrap.servers', kafkaBrokers()).option('checkpointLocation', tempDir()).start()).rejects.toThrow(
      /topic attribute unsupported type int\. topic must be a string/,
    );
  });
});
