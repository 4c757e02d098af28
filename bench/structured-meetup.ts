/**
 * Seed 004's pipeline, rows/s end to end (Kafka → aggregate → PostgreSQL): the Structured
 * Streaming version (examples/structured/meetup-query.ts: from_json, the 12-column groupBy,
 * update mode, foreachBatch appending each batch with its batch_id through write.jdbc) ÷ the
 * DStream version (src/apps/meetup: direct stream, parse/validate, mapWithState-style running
 * totals, one exactly-once PostgresSink transaction per batch with upserts and dead letters).
 * Both read the same generated events from the start of one topic with the same batch interval
 * and write into fresh tables; the time is from start until every event is in PostgreSQL.
 * Not like for like in two ways, both the seeds' own: the DStream job writes more per batch
 * (upserts on a 12-column unique key, dead letters, offset checks), and it cuts a backlog into
 * bounded batches by default where a Structured trigger takes all that is available (Spark's).
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 npx tsx bench/structured-meetup.ts [events=20000] [batchMs=500] [rounds=2]
 *
 * Needs a Kafka broker (KAFKA_BROKERS, e.g. `npm run kafka:up`) and the PostgreSQL of the PG*
 * variables (default 127.0.0.1:5432, database test, user postgres). The machine is shared:
 * figures are noisy; no pass/fail.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { generateMeetupEvents } from '../src/apps/meetup/generate.js';
import { startMeetupJob } from '../src/apps/meetup/job.js';
import { ensureTopic, kafkaFor, produceToKafka } from '../src/kafka/produce.js';
import { SparkSession, functions as func } from '../src/index.js';
import { meetupQuery } from '../examples/structured/meetup-query.js';

const events = Number(process.argv[2] ?? 20_000);
const batchMs = Number(process.argv[3] ?? 500);
const rounds = Number(process.argv[4] ?? 2);
const brokersEnv = process.env.KAFKA_BROKERS;
if (!brokersEnv) {
  console.error('bench/structured-meetup.ts needs a Kafka broker: set KAFKA_BROKERS (e.g. `npm run kafka:up`, then KAFKA_BROKERS=127.0.0.1:9092)');
  process.exit(2);
}
const brokers: string = brokersEnv;
const pgHost = process.env.PGHOST || '127.0.0.1';
const pgPort = Number(process.env.PGPORT || 5432);
const pgDb = process.env.PGDATABASE || 'test';
const pgUser = process.env.PGUSER || 'postgres';
const admin = new pg.Client({ host: pgHost, port: pgPort, database: pgDb, user: pgUser, password: process.env.PGPASSWORD });
await admin.connect();
const schema = `bench_structured_${randomBytes(4).toString('hex')}`;
await admin.query(`CREATE SCHEMA ${schema}`);

const topic = `bench-meetup-${Date.now()}`;
await ensureTopic(kafkaFor(brokers), topic, 3);
const sent = await produceToKafka(generateMeetupEvents({ count: events, malformed: 0, seed: 11 }), { brokers, topic });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function dstream(round: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-meetup-'));
  let seen = 0;
  const t0 = performance.now();
  const job = await startMeetupJob({
    brokers,
    topic,
    checkpointDir: join(dir, 'cp'),
    batchDuration: batchMs,
    table: { schema, name: `dstream_${round}` },
    deadLetterTable: { schema, name: `dstream_dead_${round}` },
    sinkId: `bench-dstream-${round}-${randomBytes(3).toString('hex')}`,
    log: (e) => {
      if (e.event === 'batch') seen += Number(e.valid ?? 0) + Number(e.malformed ?? 0);
    },
  });
  while (seen < sent) await sleep(20);
  const t = (performance.now() - t0) / 1000;
  await job.stop();
  rmSync(dir, { recursive: true, force: true });
  return t;
}

async function structured(round: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-meetup-'));
  const spark = new SparkSession({ appName: 'bench-meetup' });
  const url = `jdbc:postgresql://${pgHost}:${pgPort}/${pgDb}`;
  const props = { user: pgUser, ...(process.env.PGPASSWORD ? { password: process.env.PGPASSWORD } : {}) };
  const table = `${schema}.structured_${round}`;
  let seen = 0;
  const t0 = performance.now();
  const final_df = meetupQuery(spark, { bootstrap_server: brokers, topic_name: topic, startingOffsets: 'earliest' });
  await final_df.writeStream
    .trigger({ processingTime: batchMs })
    .outputMode('update')
    .option('checkpointLocation', join(dir, 'cp'))
    .foreachBatch(async (batchDF, batch_id) => {
      await batchDF.withColumn('batch_id', func.lit(batch_id)).write.option('replaceWhere', `batch_id = ${batch_id}`).jdbc(url, table, 'append', props);
    })
    .start();
  spark.streams.addListener({ onQueryProgress: ({ progress }) => void (seen += progress.numInputRows) });
  while (seen < sent) await sleep(20);
  const t = (performance.now() - t0) / 1000;
  await spark.stop();
  rmSync(dir, { recursive: true, force: true });
  return t;
}

const times = { dstream: [] as number[], structured: [] as number[] };
try {
  for (let r = 0; r < rounds; r++) {
    times.dstream.push(await dstream(r));
    times.structured.push(await structured(r));
  }
} finally {
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
const best = (xs: number[]) => Math.min(...xs);
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
console.log(`${fmt(sent)} meetup events, 3 partitions, batches of ${batchMs} ms; best of ${rounds} rounds (shared machine: noisy)`);
console.log(`DStream (src/apps/meetup):          ${fmt(sent / best(times.dstream))} rows/s (${best(times.dstream).toFixed(2)} s; all: ${times.dstream.map((t) => t.toFixed(2)).join(', ')})`);
console.log(`Structured (examples/structured):   ${fmt(sent / best(times.structured))} rows/s (${best(times.structured).toFixed(2)} s; all: ${times.structured.map((t) => t.toFixed(2)).join(', ')})`);
console.log(`ratio Structured ÷ DStream:         ${(best(times.dstream) / best(times.structured)).toFixed(2)}`);
