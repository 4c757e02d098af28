// Child process of recovery.test.ts: KafkaUtils.createStream with the receiver write-ahead log,
// made through getOrCreate, on a ManualClock starting at argv[5]. Prints "STARTED", a
// "COMMITTED partition offset" line for every offset commit the receiver makes, and
// "BATCH time [values…]" for every batch; each "advance" line on stdin runs the next batch.
import { createInterface } from 'node:readline';
import { KafkaUtils, ManualClock, StreamingContext, type KafkaReceiver } from '../../src/index.js';

const [brokers, topic, groupId, checkpointDir, startArg] = process.argv.slice(2);
const clock = new ManualClock(Number(startArg ?? 0));

const ssc = await StreamingContext.getOrCreate(checkpointDir!, () => {
  const c = new StreamingContext({ batchDuration: 1000, clock, receiverWriteAheadLog: true });
  const stream = KafkaUtils.createStream(c, brokers!, groupId!, { [topic!]: 2 }, {
    'auto.offset.reset': 'earliest',
    'session.timeout.ms': 6000, // the killed run's member leaves the group sooner
  });
  (stream.receiver as KafkaReceiver).onEvent = (e) => {
    if (e.type === 'committed') process.stdout.write(`COMMITTED ${e.partition} ${e.offset}\n`);
  };
  stream.foreachRDD((rdd, time) => {
    process.stdout.write(`BATCH ${time} ${JSON.stringify(rdd.collect().map(([, v]) => v))}\n`);
  });
  return c;
});
await ssc.start();
process.stdout.write(`STARTED ${ssc.recoveredFrom ?? 'fresh'}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'advance') {
    await clock.advance(1000);
    process.stdout.write(`ADVANCED ${clock.getTimeMillis()}\n`);
  }
}
