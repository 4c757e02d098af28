/**
 * The slides' streaming wordcount (seed 002, Listing 7.12) in Structured Streaming, in each output
 * mode: lines from a socket, words with explode(split(...)), a running count per word printed by
 * the console sink (`Batch: N` and the table).
 *
 *   terminal 1:  npx tsx src/cli/dstreams.ts feed --file ../shared/data/shakespeare.txt --port 9999 --lines-per-second 20
 *                (the slides: ncat -l -k -p 9999, then type lines)
 *   terminal 2:  npx tsx examples/structured/wordcount.ts [complete|update|append] [host=localhost] [port=9999]
 *   or, with a built-in feeder:  npx tsx examples/structured/wordcount.ts update --demo
 *
 * complete prints the whole table every batch; update only the words whose count changed;
 * append prints a row once it can no longer change — which an unbounded count never reaches,
 * so append counts words per 10-second window of arrival time, closed by a 10-second watermark
 * (Spark refuses append on an aggregation without one).
 */
import { createServer } from 'node:net';
import { SparkSession, functions as F } from '../../src/index.js';

const args = process.argv.slice(2).filter((a) => a !== '--demo');
const demo = process.argv.includes('--demo');
const [mode = 'complete', host = 'localhost', portArg = '9999'] = args;
if (!['complete', 'update', 'append'].includes(mode)) throw new Error(`mode must be complete, update or append, got ${mode}`);
let port = Number(portArg);

if (demo) {
  const text = ['to be or not to be', 'that is the question', 'whether tis nobler in the mind to suffer', 'the slings and arrows of outrageous fortune'];
  const server = createServer((s) => {
    let i = 0;
    const t = setInterval(() => s.write(`${text[i++ % text.length]}\n`), 700);
    s.on('close', () => clearInterval(t));
    s.on('error', () => clearInterval(t));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  server.unref();
}

const spark = SparkSession.builder.appName('StructuredNetworkWordCount').getOrCreate();

// Create DataFrame representing the stream of input lines from connection to host:port
const lines = spark.readStream
  .format('socket')
  .option('host', demo ? '127.0.0.1' : host)
  .option('port', port)
  .option('includeTimestamp', mode === 'append')
  .load();

// Split the lines into words
const words = lines.select(F.explode(F.split(lines.col('value'), ' ')).alias('word'), ...(mode === 'append' ? ['timestamp'] : []));

// Generate running word count
const wordCounts =
  mode === 'append'
    ? words.withWatermark('timestamp', '10 seconds').groupBy(F.window('timestamp', '10 seconds'), 'word').count()
    : words.groupBy('word').count();

// Start running the query that prints the running counts to the console
const query = await wordCounts.writeStream.outputMode(mode).format('console').trigger({ processingTime: '2 seconds' }).start();

process.once('SIGINT', () => void query.stop());
await query.awaitTermination();
