/**
 * The demo `npm start` runs: a streaming wordcount with no external service. A built-in input
 * (the book's Shakespeare text when ../shared/data is there, else generated lines, or a file
 * given as the first argument) is fed through queueStream, a few hundred lines per one-second
 * batch; each batch's ten most frequent words are printed with pprint.
 *
 *   npx tsx examples/wordcount-demo.ts [file] [batches=5] [linesPerBatch=500]
 */
import { existsSync, readFileSync } from 'node:fs';
import { Seconds, StreamingContext } from '../src/index.js';
import { generatedLines, SHAKESPEARE } from '../bench/input.js';

const [file, batchesArg, linesArg] = process.argv.slice(2);
/** A bad argument is one line and exit code 2, as the dstreams command does it. */
function usage(message: string): never {
  process.stderr.write(`error: ${message}\nusage: wordcount-demo.ts [file] [batches=5] [linesPerBatch=500]\n`);
  process.exit(2);
}
function count(text: string | undefined, dflt: number, what: string): number {
  const n = Number(text ?? dflt);
  if (!Number.isInteger(n) || n < 1) usage(`${what} must be a whole number ≥ 1, got ${text}`);
  return n;
}
const batches = count(batchesArg, 5, 'batches');
const linesPerBatch = count(linesArg, 500, 'linesPerBatch');
if (file !== undefined && !existsSync(file)) usage(`no such file: ${file}`);
const source = file ?? SHAKESPEARE;
const lines = existsSync(source) ? readFileSync(source, 'utf8').split('\n') : generatedLines(batches * linesPerBatch);
console.log(`dstreams wordcount demo: ${existsSync(source) ? source : 'generated text'}, ${linesPerBatch} lines per 1 s batch`);

const queue: string[][] = [];
for (let i = 0; i < batches; i++) queue.push(lines.slice(i * linesPerBatch, (i + 1) * linesPerBatch));

const ssc = new StreamingContext({ batchDuration: Seconds(1), appName: 'wordcount-demo' });
ssc
  .queueStream(queue)
  .flatMap((line) => line.toLowerCase().split(/[^a-z0-9']+/))
  .filter((w) => w.length > 0)
  .map((w): [string, number] => [w, 1])
  .reduceByKey((a, b) => a + b)
  .transform((rdd) => rdd.sortBy((kv) => kv[1], false))
  .pprint(10);

let done = 0;
ssc.addStreamingListener({
  onBatchCompleted: (info) => {
    // A batch generated while the graceful stop drains (the queue is empty by then) is not the demo's.
    if (done >= batches) return;
    console.log(`batch ${new Date(info.batchTime).toISOString()}: ${info.numRecords} lines, processed in ${info.processingDelay} ms`);
    if (++done === batches) void ssc.stop({ graceful: true });
  },
});

await ssc.start();
await ssc.awaitTermination();
