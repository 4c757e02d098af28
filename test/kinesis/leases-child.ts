// Child process of leases.test.ts: a job with one Kinesis receiver of application `app`
// (lease timeout 2 s; a fixed worker id if given). Prints "SHARDS <ids>" whenever the shards it reads change, and each
// batch's records as "BATCH <json array>".
import { InitialPositionInStream, KinesisUtils, StorageLevel, StreamingContext, type KinesisReceiver } from '../../src/index.js';

const [kinesisEndpoint, dynamoDBEndpoint, stream, app, workerId] = process.argv.slice(2);
const ssc = new StreamingContext({ batchDuration: 200 });
const records = KinesisUtils.createStream(ssc, app!, stream!, kinesisEndpoint!, 'us-east-1', InitialPositionInStream.TRIM_HORIZON, 200,
  StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined,
  { dynamoDBEndpoint: dynamoDBEndpoint!, leaseTimeout: 2000, idleReadInterval: 100, ...(workerId ? { workerId } : {}) });
const receiver = records.receiver as KinesisReceiver<string>;
let last = '';
receiver.onEvent = (e) => {
  if (e.type !== 'taken' && e.type !== 'lost') return;
  const now = receiver.shards.join(',');
  if (now !== last) process.stdout.write(`SHARDS ${now} ${Date.now()}\n`);
  last = now;
};
records.foreachRDD((rdd) => {
  const rs = rdd.collect();
  if (rs.length > 0) process.stdout.write(`BATCH ${JSON.stringify(rs)}\n`);
});
await ssc.start();
process.stdout.write('STARTED\n');
await ssc.awaitTermination();
