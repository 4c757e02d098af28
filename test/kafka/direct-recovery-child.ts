// Child process of recovery.test.ts: a direct Kafka stream counted into updateStateByKey state,
// made through getOrCreate, on a real clock (200 ms batches). Prints "STARTED" (with the batch
// it recovered from), a JSON line of the state per batch, and "DONE" once every one of the
// `expected` records is in the state; it is killed (SIGKILL) at random moments in between.
import { KafkaUtils, StreamingContext } from '../../src/index.js';
import { printStateCounts } from '../helpers/stateCount.js';

const [brokers, topic, checkpointDir, expectedArg] = process.argv.slice(2);
const expected = Number(expectedArg);

const ssc = await StreamingContext.getOrCreate(checkpointDir!, () => {
  const c = new StreamingContext({ batchDuration: 200, appName: 'kafka-direct-recovery' });
  const stream = KafkaUtils.createDirectStream(c, [topic!], {
    'metadata.broker.list': brokers!,
    'auto.offset.reset': 'earliest',
    maxRatePerPartition: 2500, // 500 records per partition per batch: the topic takes many batches
  });
  printStateCounts(c, stream.map(([, value]) => value), expected);
  return c;
});
await ssc.start();
process.stdout.write(`STARTED ${ssc.recoveredFrom ?? 'fresh'}\n`);
await ssc.awaitTermination();
