/**
 * The book's Shakespeare word count ("Using Spark with Kafka", steps 16–20) through Kinesis
 * instead: the lines arrive on a Kinesis stream; a direct stream (no receiver: per-batch
 * sequence-number ranges in the job's own checkpoint) counts the words of every batch (split on
 * non-word characters, lower-cased) and keeps running totals with updateStateByKey. Made with
 * StreamingContext.getOrCreate: killed (even with kill -9) and started again with the same
 * checkpoint directory, it goes on exactly where it was — every line counted once.
 *
 *   terminal 1:  npx tsx scripts/kinesis-local.ts 4567 4568
 *   terminal 2:  npx tsx src/cli/dstreams.ts feed --file ../shared/data/shakespeare.txt --kinesis-stream shakespeare --kinesis-endpoint http://127.0.0.1:4567 --shards 4 --lines-per-second 200
 *   terminal 3:  npx tsx examples/kinesis-shakespeare-wordcount.ts shakespeare http://127.0.0.1:4567 [checkpointDir=/tmp/kinesis-shakespeare] [batchSeconds=2] [top=10]
 *           or:  npx tsx src/cli/dstreams.ts run kinesis-shakespeare-wordcount shakespeare http://127.0.0.1:4567
 *
 * It reads the stream from its oldest record (TRIM_HORIZON) the first time. Ctrl-C stops.
 */
import { InitialPositionInStream, KinesisUtils, Seconds, StreamingContext } from '../src/index.js';

const [streamName, endpointUrl, checkpointDir = '/tmp/kinesis-shakespeare', batchArg = '2', topArg = '10'] = process.argv.slice(2);
if (!streamName || !endpointUrl || !(Number(batchArg) > 0)) {
  console.error('usage: kinesis-shakespeare-wordcount <streamName> <endpointUrl> [checkpointDir] [batchSeconds=2] [top=10]');
  process.exit(1);
}
const top = Number(topArg);
const regionName = process.env.AWS_REGION || 'us-east-1';

const ssc = await StreamingContext.getOrCreate(checkpointDir, () => {
  const c = new StreamingContext({ batchDuration: Seconds(Number(batchArg)), appName: 'KinesisShakespeareWordCount' });
  c.checkpoint(checkpointDir);
  const lines = KinesisUtils.createDirectStream(c, streamName, {
    endpointUrl,
    regionName,
    initialPosition: InitialPositionInStream.TRIM_HORIZON,
    awsAccessKeyId: process.env.AWS_ACCESS_KEY_ID,
    awsSecretKey: process.env.AWS_SECRET_ACCESS_KEY,
  });
  const words = lines
    .flatMap((line) => line.toLowerCase().split(/\W+/))
    .filter((w) => w.length > 0)
    .map((w): [string, number] => [w, 1]);
  const batchCounts = words.reduceByKey((a, b) => a + b);
  const totals = words.updateStateByKey<number>((values, total) => values.reduce((a, b) => a + b, total ?? 0));
  batchCounts.foreachRDD((rdd, time) => {
    const n = rdd.count();
    if (n === 0) return;
    const best = rdd.top(top, (a, b) => a[1] - b[1]);
    console.log(`batch ${new Date(time).toISOString()}: ${n} distinct words; top: ${best.map(([w, k]) => `${w} ${k}`).join(', ')}`);
  });
  totals.foreachRDD((rdd) => {
    const best = rdd.top(top, (a, b) => a[1] - b[1]);
    if (best.length > 0) console.log(`  totals: ${best.map(([w, k]) => `${w} ${k}`).join(', ')}`);
  });
  return c;
});

process.once('SIGINT', () => void ssc.stop());
console.error(`counting the words of Kinesis stream ${streamName} at ${endpointUrl}; checkpoints in ${checkpointDir} (Ctrl-C stops)`);
await ssc.start();
await ssc.awaitTermination();
