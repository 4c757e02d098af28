/**
 * The book's Listing 7.21, "Spark Streaming Using Amazon Kinesis", in TypeScript: a receiver
 * (KCL-style worker of the application `appName`, leases and checkpoints in a DynamoDB table of
 * that name) reads every shard of the stream; each batch's words are counted and printed. The
 * listing's `output` is Spark's Kinesis word count (kinesis_wordcount_asl.py):
 *
 *   records = KinesisUtils.createStream(ssc, appName, streamName, endpointUrl, regionName,
 *       InitialPositionInStream.LATEST, 2, StorageLevel.MEMORY_AND_DISK_2, awsAccessKeyId, awsSecretKey)
 *   output = records.flatMap(lambda line: line.split(" ")).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a+b)
 *   output.pprint()
 *
 * Locally, with kinesalite and dynalite (npm dev dependencies) instead of AWS (the feed creates
 * the stream: start it before the job, which fails at once on a stream that does not exist):
 *   terminal 1:  npx tsx scripts/kinesis-local.ts 4567 4568
 *   terminal 2:  npx tsx src/cli/dstreams.ts feed --file ../shared/data/shakespeare.txt --kinesis-stream my_kinesis_stream --kinesis-endpoint http://127.0.0.1:4567 --shards 2 --lines-per-second 20
 *   terminal 3:  npx tsx examples/kinesis-wordcount.ts KinesisCountApplication my_kinesis_stream http://127.0.0.1:4567 us-east-1 http://127.0.0.1:4568
 *           or:  npx tsx src/cli/dstreams.ts run kinesis-wordcount KinesisCountApplication my_kinesis_stream http://127.0.0.1:4567 us-east-1 http://127.0.0.1:4568
 * Against AWS: the endpoint https://kinesis.<region>.amazonaws.com and no DynamoDB endpoint; the
 * keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (the listing's awsAccessKeyId, awsSecretKey).
 *
 * Arguments: appName streamName endpointUrl regionName [dynamoDBEndpoint] [batchSeconds=5 (the book: 30)].
 * The stream must exist (the feed creates it); LATEST: only records put after the start are
 * counted — the first time; after that the application's checkpoints say where to go on. Ctrl-C stops.
 */
import { InitialPositionInStream, KinesisUtils, Seconds, StorageLevel, StreamingContext } from '../src/index.js';

const [appName, streamName, endpointUrl, regionName, dynamoArg, batchArg = '5'] = process.argv.slice(2);
if (!appName || !streamName || !endpointUrl || !regionName || !(Number(batchArg) > 0)) {
  console.error('usage: kinesis-wordcount <appName> <streamName> <endpointUrl> <regionName> [dynamoDBEndpoint|-] [batchSeconds=5]');
  process.exit(1);
}
const dynamoDBEndpoint = dynamoArg && dynamoArg !== '-' ? dynamoArg : undefined;

const ssc = new StreamingContext({ batchDuration: Seconds(Number(batchArg)), appName });
ssc.addStreamingListener({ onReceiverError: (info) => console.error(`receiver: ${info.lastErrorMessage}`) });

// connect to Kinesis Stream
const records = KinesisUtils.createStream(
  ssc, appName, streamName, endpointUrl, regionName,
  InitialPositionInStream.LATEST, Seconds(2),
  StorageLevel.MEMORY_AND_DISK_2,
  process.env.AWS_ACCESS_KEY_ID, process.env.AWS_SECRET_ACCESS_KEY,
  undefined, { ...(dynamoDBEndpoint ? { dynamoDBEndpoint } : {}) },
);
// do some processing
const output = records
  .flatMap((line) => line.split(' '))
  .map((word): [string, number] => [word, 1])
  .reduceByKey((a, b) => a + b);
output.pprint();

process.once('SIGINT', () => void ssc.stop());
console.error(`counting the words of Kinesis stream ${streamName} at ${endpointUrl} every ${batchArg} s (Ctrl-C stops)`);
await ssc.start();
await ssc.awaitTermination();
