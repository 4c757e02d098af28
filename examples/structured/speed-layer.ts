/**
 * Seed 000 — the speed layer of a lambda architecture in Structured Streaming — as its Scala
 * reads, in TypeScript: tweets from Kafka (`;`-separated), today's only, per location
 * count(id) and sums, into a memory table `demo` (complete mode, a 60-second trigger); a timer
 * exports `select * from demo` to PostgreSQL with write.mode("overwrite").jdbc(...) (the seed
 * exports to Redshift every hour).
 *
 *   npx tsx src/cli/dstreams.ts generate tweets --kafka-topic tweets-lambda1 --count 5000
 *   npx tsx examples/structured/speed-layer.ts --topic tweets-lambda1 --checkpoint .checkpoints/speed-layer
 *
 * With a checkpointLocation a killed job resumes exactly: the memory table is lost with the
 * process (as in Spark), but the aggregation state is in the checkpoint, so the first batch after
 * a restart emits the complete table again; the export waits for that batch.
 */
import { Command } from 'commander';
import { ServiceUnreachableError, SparkSession, functions as F, waitForKafka } from '../../src/index.js';

const o = new Command('speed-layer')
  .requiredOption('--topic <topic>', 'Kafka topic (the seed: tweets-lambda1)')
  .option('--brokers <list>', 'bootstrap servers', process.env.KAFKA_BROKERS || 'localhost:9092')
  .option('--checkpoint <dir>', 'checkpointLocation')
  .option('--trigger <interval>', 'processing-time trigger (the seed: 60 seconds)', '60 seconds')
  .option('--export-seconds <s>', 'export interval (the seed: 1 hour)', '3600')
  .option('--jdbc-url <url>', 'PostgreSQL', `jdbc:postgresql://${process.env.PGHOST || '127.0.0.1'}:${process.env.PGPORT || 5432}/${process.env.PGDATABASE || 'test'}`)
  .option('--table <name>', 'destination table', 'speed_layer')
  .parse(process.argv)
  .opts<{ topic: string; brokers: string; checkpoint?: string; trigger: string; exportSeconds: string; jdbcUrl: string; table: string }>();

try {
  await waitForKafka(o.brokers, { hint: 'pass --brokers or set KAFKA_BROKERS' });
} catch (e) {
  if (!(e instanceof ServiceUnreachableError)) throw e;
  console.error(e.message);
  process.exit(1);
}

const spark = SparkSession.builder
  .config('spark.sql.shuffle.partitions', '2') // we are running this on my laptop
  .appName('Spark Structured Streaming example')
  .getOrCreate();

// case class tweet (id, created_at, followers_count, location, favorite_count, retweet_count)
const tweet = ['id', 'created_at', 'followers_count', 'location', 'favorite_count', 'retweet_count'];

const data_stream = spark.readStream
  .format('kafka')
  .option('kafka.bootstrap.servers', o.brokers)
  .option('subscribe', o.topic)
  .option('startingOffsets', 'earliest') // or latest
  .load();

const data_stream_cleaned = data_stream
  .selectExpr('CAST(value AS STRING) as string_value')
  // .as[String].map(x => x.split(";")).map(x => tweet(x(0), x(1), x(2), x(3), x(4), x(5)))
  .select(F.split(F.col('string_value'), ';').alias('x'))
  .selectExpr(...tweet.map((name, i) => `x[${i}] AS ${name}`))
  .selectExpr('cast(id as long) id', 'CAST(created_at as timestamp) created_at', 'cast(followers_count as int) followers_count', 'location', 'cast(favorite_count as int) favorite_count', 'cast(retweet_count as int) retweet_count')
  .filter(F.col('created_at').gt(F.current_date())) // kafka will retain data for last 24 hours, this is needed because we are using complete mode as output
  .groupBy('location')
  .agg(F.count('id'), F.sum('followers_count'), F.sum('favorite_count'), F.sum('retweet_count'));

let writer = data_stream_cleaned.writeStream
  .format('memory')
  .queryName('demo')
  .trigger({ processingTime: o.trigger }) // spark will look for new data only every trigger interval
  .outputMode('complete');
if (o.checkpoint) writer = writer.option('checkpointLocation', o.checkpoint);
const query = await writer.start();
spark.streams.addListener({
  onQueryProgress: ({ progress }) => console.log(JSON.stringify({ event: 'progress', batchId: progress.batchId, numInputRows: progress.numInputRows })),
});

const url = o.jdbcUrl;
const prop = { user: process.env.PGUSER || 'postgres', ...(process.env.PGPASSWORD ? { password: process.env.PGPASSWORD } : {}) };
const table = o.table;

async function exportToRedshift(): Promise<void> {
  // After a restart the memory table is empty until the first batch: do not overwrite with that.
  if (query.lastProgress === null) return;
  const df = spark.sql('select * from demo');
  // write data from the dataframe to the database
  await df.write.mode('overwrite').jdbc(url, table, prop);
  console.log(JSON.stringify({ event: 'export', rows: df.count(), batchId: query.lastProgress.batchId }));
}

let exporting = Promise.resolve();
const ex = setInterval(() => {
  exporting = exporting.then(exportToRedshift).catch((e: unknown) => console.error(e));
}, Number(o.exportSeconds) * 1000);
const stop = (): void => void query.stop();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
try {
  await query.awaitTermination();
} finally {
  clearInterval(ex); // f.cancel(false)
  await exporting;
}
