/**
 * The netcat wordcount (Spark's NetworkWordCount, the book's first streaming example): counts
 * the words of the lines a TCP server sends, one batch per second.
 *
 *   terminal 1:  nc -lk 9999            (and type lines)
 *           or:  npx tsx src/cli/dstreams.ts feed --file ../shared/data/shakespeare.txt --port 9999 --lines-per-second 10
 *   terminal 2:  npx tsx examples/network-wordcount.ts localhost 9999
 *           or:  npx tsx src/cli/dstreams.ts run network-wordcount localhost 9999
 *
 * Until a server listens on the port the receiver reports connection errors and retries — as
 * the book says, that is normal. Ctrl-C stops.
 */
import { Seconds, StreamingContext } from '../src/index.js';

const [host = 'localhost', portArg = '9999'] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: network-wordcount <host> <port>');
  process.exit(1);
}

const ssc = new StreamingContext({ batchDuration: Seconds(1), appName: 'NetworkWordCount' });
ssc.addStreamingListener({
  onReceiverError: (info) => console.error(`receiver: ${info.lastErrorMessage}${describe(info.lastError)}`),
  onReceiverStarted: (info) => console.error(`receiver ${info.name} started`),
});

const lines = ssc.socketTextStream(host, port);
const wordCounts = lines
  .flatMap((line) => line.split(' '))
  .map((word): [string, number] => [word, 1])
  .reduceByKey((a, b) => a + b);
wordCounts.pprint();

process.once('SIGINT', () => void ssc.stop());
await ssc.start();
await ssc.awaitTermination();

function describe(e: unknown): string {
  return e instanceof Error ? ` (${e.message})` : '';
}
