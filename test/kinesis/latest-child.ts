// Child process of latest-before-leases.test.ts: a job made through getOrCreate whose Kinesis
// receiver starts at LATEST, counting records by their text (test/helpers/stateCount.ts) on
// 300 ms batches. Its lease table is reached through the test's proxy, which may refuse it.
//   wal | nowal: the receiver's write-ahead log on or off
// Prints "STARTED", a JSON line of the state per batch, and "DONE" once `expected` distinct
// records are in the state.
import { InitialPositionInStream, KinesisUtils, StorageLevel, StreamingContext } from '../../src/index.js';
import { printStateCounts } from '../helpers/stateCount.js';

const [mode, kinesisEndpoint, dynamoDBEndpoint, stream, app, checkpointDir, expectedArg] = process.argv.slice(2);

const ssc = await StreamingContext.getOrCreate(checkpointDir!, () => {
  const c = new StreamingContext({ batchDuration: 300, appName: 'kinesis-latest', receiverWriteAheadLog: mode === 'wal' });
  c.checkpoint(checkpointDir!);
  const records = KinesisUtils.createStream(c, app!, stream!, kinesisEndpoint!, 'us-east-1', InitialPositionInStream.LATEST, 200,
    StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined,
    { dynamoDBEndpoint: dynamoDBEndpoint!, leaseTimeout: 1500, idleReadInterval: 100, retryTimeout: 500 });
  printStateCounts(c, records, Number(expectedArg));
  return c;
});
await ssc.start();
process.stdout.write('STARTED\n');
await ssc.awaitTermination();
