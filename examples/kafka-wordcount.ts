/**
 * The book's exercise "Using Spark with Kafka" (steps 16–20): Shakespeare's lines arrive on a
 * Kafka topic; a direct stream (no receiver) counts the words of every batch and prints them —
 * the book's PySpark statements of step 18, in TypeScript:
 *
 *   stream = KafkaUtils.createDirectStream(ssc, [topic], {"metadata.broker.list": brokers})
 *   lines = stream.map(lambda x: x[1])
 *   counts = lines.flatMap(lambda line: line.split(" ")).map(lambda word: (word, 1)).reduceByKey(lambda a, b: a+b)
 *   counts.pprint()
 *
 *   export KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:9092}
 *   terminal 1:  npm run kafka:up                                   (a local broker on 127.0.0.1:9092)
 *   terminal 2:  npx tsx examples/kafka-wordcount.ts "$KAFKA_BROKERS" shakespeare
 *           or:  npx tsx src/cli/dstreams.ts run kafka-wordcount "$KAFKA_BROKERS" shakespeare
 *   terminal 3:  npx tsx src/cli/dstreams.ts feed --file ../shared/data/shakespeare.txt --kafka-topic shakespeare --lines-per-second 10
 *
 * Arguments: brokers topic [batchSeconds=5 (the book: 30)] [auto.offset.reset=latest|earliest].
 * The topic is created first when missing (the book's step 16), so that the stream's start
 * position is decided on it. With `latest` (the default, as in the book) every line written after
 * the job printed `ready` is counted; `earliest` counts the topic from its beginning. Ctrl-C
 * stops. See docs/kafka.md.
 */
import { Kafka, logLevel } from 'kafkajs';
import { KafkaUtils, Seconds, ServiceUnreachableError, StreamingContext, waitForKafka } from '../src/index.js';

const [brokers, topic, batchArg = '5', reset = 'latest'] = process.argv.slice(2);
if (!brokers || !topic || !(Number(batchArg) > 0)) {
  console.error('usage: kafka-wordcount <brokers host:port[,…]> <topic> [batchSeconds=5] [latest|earliest]');
  process.exit(1);
}

// A broker that does not answer: one line at once, one per retry, then the reason and exit 1.
try {
  await waitForKafka(brokers, { hint: 'pass the brokers as the first argument, e.g. "$KAFKA_BROKERS"' });
} catch (e) {
  if (!(e instanceof ServiceUnreachableError)) throw e;
  console.error(e.message);
  process.exit(1);
}

// Step 16: the topic, when missing (one partition, as kafka-topics.sh --create would by default).
const admin = new Kafka({ clientId: 'kafka-wordcount', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
await admin.disconnect();

const ssc = new StreamingContext({ batchDuration: Seconds(Number(batchArg)), appName: 'KafkaWordCount' });
const stream = KafkaUtils.createDirectStream(ssc, [topic], {
  'metadata.broker.list': brokers,
  'auto.offset.reset': reset,
});
const lines = stream.map(([, value]) => value);
const counts = lines
  .flatMap((line) => line.split(' '))
  .map((word): [string, number] => [word, 1])
  .reduceByKey((a, b) => a + b);
counts.pprint();

process.once('SIGINT', () => void ssc.stop());
// start() decides where the stream begins (`latest`: the end of the topic now); from here on
// every line written to the topic is counted.
await ssc.start();
console.error(`ready: counting the words of ${topic} at ${brokers} every ${batchArg} s, from the ${reset === 'earliest' ? 'beginning of the topic' : 'lines written from now on'} (Ctrl-C stops)`);
await ssc.awaitTermination();
