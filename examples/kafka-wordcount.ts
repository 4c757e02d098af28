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
 *   terminal 1:  npm run kafka:up                                   (a local broker on 127.0.0.1:9092)
 *   terminal 2:  npx tsx examples/kafka-wordcount.ts 127.0.0.1:9092 shakespeare
 *           or:  npx tsx src/cli/dstreams.ts run kafka-wordcount 127.0.0.1:9092 shakespeare
 *   terminal 3:  npx tsx src/cli/dstreams.ts feed --file ../shared/data/shakespeare.txt --kafka-topic shakespeare --lines-per-second 10
 *
 * Arguments: brokers topic [batchSeconds=5 (the book: 30)] [auto.offset.reset=latest|earliest].
 * With `latest` (the default, as in the book) only lines written after the start are counted;
 * `earliest` counts the topic from its beginning. Ctrl-C stops. See docs/kafka.md.
 */
import { KafkaUtils, Seconds, StreamingContext } from '../src/index.js';

const [brokers, topic, batchArg = '5', reset = 'latest'] = process.argv.slice(2);
if (!brokers || !topic || !(Number(batchArg) > 0)) {
  console.error('usage: kafka-wordcount <brokers host:port[,…]> <topic> [batchSeconds=5] [latest|earliest]');
  process.exit(1);
}

const ssc = new StreamingContext({ batchDuration: Seconds(Number(batchArg)), appName: 'KafkaWordCount' });
const stream = KafkaUtils.createDirectStream(ssc, [topic], {
  'metadata.broker.list': brokers,
  'auto.offset.reset': reset,
  // The topic may not exist yet (it is created by the feed): wait for it a minute.
  'topic.wait.ms': 60_000,
});
const lines = stream.map(([, value]) => value);
const counts = lines
  .flatMap((line) => line.split(' '))
  .map((word): [string, number] => [word, 1])
  .reduceByKey((a, b) => a + b);
counts.pprint();

process.once('SIGINT', () => void ssc.stop());
console.error(`counting the words of ${topic} at ${brokers} every ${batchArg} s (Ctrl-C stops)`);
await ssc.start();
await ssc.awaitTermination();
