// Child process of receiver-latest.test.ts: a job made through getOrCreate whose Kafka receiver
// (createStream) starts at auto.offset.reset latest, counting record values by their text
// (test/helpers/stateCount.ts) on 300 ms batches.
//   args: wal | nowal, brokers, topic, group, checkpoint directory, records expected
// Prints "STARTED", a JSON line of the state per batch, and "DONE" once every record is counted.
import { KafkaUtils, StreamingContext } from '../../src/index.js';
import { printStateCounts } from '../helpers/stateCount.js';

const [mode, brokers, topic, groupId, checkpointDir, expected] = process.argv.slice(2);

const ssc = await StreamingContext.getOrCreate(checkpointDir!, () => {
  const c = new StreamingContext({ batchDuration: 300, appName: 'kafka-receiver-latest', receiverWriteAheadLog: mode === 'wal' });
  c.checkpoint(checkpointDir!);
  const records = KafkaUtils.createStream(c, brokers!, groupId!, { [topic!]: 1 }, { 'auto.offset.reset': 'latest', 'session.timeout.ms': 6000 });
  printStateCounts(c, records.map(([, v]) => v), Number(expected));
  return c;
});
await ssc.start();
process.stdout.write('STARTED\n');
await ssc.awaitTermination();
