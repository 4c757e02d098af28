// Child process of recovery.test.ts: a job made through getOrCreate that counts Kinesis records
// by their text into updateStateByKey state, on a real clock (200 ms batches).
//   direct:   createDirectStream from TRIM_HORIZON, 500 records a shard a batch at most
//   receiver: createStream with the write-ahead log, lease timeout 1.5 s
// Prints "STARTED <recovered batch | fresh>", a JSON line of the state per batch, and "DONE"
// once `expected` distinct records are in the state. The test kills it (SIGKILL) in between.
import { InitialPositionInStream, KinesisUtils, StorageLevel, StreamingContext, type DStream } from '../../src/index.js';
import { printStateCounts } from '../helpers/stateCount.js';

const [mode, kinesisEndpoint, dynamoDBEndpoint, stream, app, checkpointDir, expectedArg] = process.argv.slice(2);
const expected = Number(expectedArg);

const ssc = await StreamingContext.getOrCreate(checkpointDir!, () => {
  const c = new StreamingContext({ batchDuration: 200, appName: `kinesis-${mode}-recovery`, receiverWriteAheadLog: mode === 'receiver' });
  c.checkpoint(checkpointDir!);
  let records: DStream<string>;
  if (mode === 'direct') {
    records = KinesisUtils.createDirectStream(c, stream!, {
      endpointUrl: kinesisEndpoint!,
      regionName: 'us-east-1',
      initialPosition: InitialPositionInStream.TRIM_HORIZON,
      maxRatePerShard: 2500,
    });
  } else {
    records = KinesisUtils.createStream(c, app!, stream!, kinesisEndpoint!, 'us-east-1', InitialPositionInStream.TRIM_HORIZON, 200,
      StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined,
      { dynamoDBEndpoint: dynamoDBEndpoint!, leaseTimeout: 1500, idleReadInterval: 100, maxRecordsPerRead: 1000 });
  }
  printStateCounts(c, records, expected);
  return c;
});
await ssc.start();
process.stdout.write(`STARTED ${ssc.recoveredFrom ?? 'fresh'}\n`);
await ssc.awaitTermination();
