/**
 * Seed 004 — "Kafka → Spark Structured Streaming → PostgreSQL" for Meetup RSVPs — as its PySpark
 * code reads, in TypeScript: the nested StructType schema, from_json, the 12-column groupBy,
 * outputMode("update") and foreachBatch(func) appending each batch with its batch_id.
 *
 *   npx tsx src/cli/dstreams.ts generate meetup --kafka-topic my-topic --count 5000   # the input
 *   npx tsx examples/structured/meetup-pipeline.ts --topic my-topic --checkpoint .checkpoints/meetup-structured
 *
 * One difference from the seed, for exactly once: the batch's rows replace the rows of the same
 * batch_id (`replaceWhere`) in one transaction, so a batch re-run after a crash (same offsets,
 * same state, same batch_id — the checkpointLocation guarantees it) does not append twice.
 * The table holds, per key, a row per batch that changed it; the latest batch_id has the count.
 * One JSON line per batch on stdout (the tests read them).
 */
import { Command } from 'commander';
import { ServiceUnreachableError, SparkSession, functions as func, waitForKafka, type DataFrame } from '../../src/index.js';
import { meetupQuery } from './meetup-query.js';

const o = new Command('meetup-structured')
  .requiredOption('--topic <topic>', 'Kafka topic with the RSVP events')
  .option('--brokers <list>', 'bootstrap servers', process.env.KAFKA_BROKERS || 'localhost:9092')
  .option('--checkpoint <dir>', 'checkpointLocation (resume exactly after a crash)')
  .option('--starting-offsets <o>', 'earliest | latest (the seed: latest)', 'latest')
  .option('--trigger <interval>', 'processing-time trigger (the seed: 30 seconds)', '30 seconds')
  .option('--max-offsets <n>', 'maxOffsetsPerTrigger')
  .option('--jdbc-url <url>', 'PostgreSQL', `jdbc:postgresql://${process.env.PGHOST || '127.0.0.1'}:${process.env.PGPORT || 5432}/${process.env.PGDATABASE || 'test'}`)
  .option('--table <name>', 'result table', 'meetup_table')
  .option('--print-schema', 'print the parsed schema (the seed shows it)')
  .parse(process.argv)
  .opts<{ topic: string; brokers: string; checkpoint?: string; startingOffsets: string; trigger: string; maxOffsets?: string; jdbcUrl: string; table: string; printSchema?: boolean }>();

const bootstrap_server = o.brokers;
const topic_name = o.topic;
const jdbcURL = o.jdbcUrl;
const postgresProps = { user: process.env.PGUSER || 'postgres', ...(process.env.PGPASSWORD ? { password: process.env.PGPASSWORD } : {}) };

// A broker that does not answer: one line per attempt, then the reason and exit 1.
try {
  await waitForKafka(bootstrap_server, { hint: 'pass --brokers or set KAFKA_BROKERS' });
} catch (e) {
  if (!(e instanceof ServiceUnreachableError)) throw e;
  console.error(e.message);
  process.exit(1);
}

const spark = SparkSession.builder.appName('meetup-rsvps').getOrCreate();

const final_df = meetupQuery(spark, { bootstrap_server, topic_name, startingOffsets: o.startingOffsets, maxOffsetsPerTrigger: o.maxOffsets, printSchema: o.printSchema });

// Fault injection for the crash tests: SIGKILL right after the n-th batch's write, before its checkpoint.
const crashAfter = Number(process.env.DSTREAMS_CRASH_AFTER_BATCHES ?? 0);
let written = 0;

async function forEachBatchFunc(batchDF: DataFrame, batch_id: number): Promise<void> {
  const batchDF_1 = batchDF.withColumn('batch_id', func.lit(batch_id));
  await batchDF_1.write.option('replaceWhere', `batch_id = ${batch_id}`).jdbc(jdbcURL, o.table, 'append', postgresProps);
  console.log(JSON.stringify({ event: 'batch', batchId: batch_id, rows: batchDF.count() }));
  if (crashAfter > 0 && ++written >= crashAfter) process.kill(process.pid, 'SIGKILL');
}

let writer = final_df.writeStream.trigger({ processingTime: o.trigger }).outputMode('update').foreachBatch(forEachBatchFunc);
if (o.checkpoint) writer = writer.option('checkpointLocation', o.checkpoint);
const query = await writer.start();
console.log(JSON.stringify({ event: 'start', id: query.id }));
const stop = (): void => void query.stop();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
try {
  await query.awaitTermination();
} catch (e) {
  console.error(e);
  process.exitCode = 1;
}
