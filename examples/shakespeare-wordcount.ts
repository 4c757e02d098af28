/**
 * The book's exercise "Getting Started with Spark Streaming": Shakespeare's text arrives over a
 * socket, one line at a time; every batch its words are counted (split on non-word characters,
 * lower-cased, as in the book's solution), and running totals since the start are kept with
 * updateStateByKey (Listing 7.8's update function). The top words of the batch and of the
 * totals are printed, each under its own header (`Words in this batch:` / `Running totals:`, in
 * pprint's layout).
 *
 *   terminal 1:  npx tsx src/cli/dstreams.ts feed --file ../shared/data/shakespeare.txt --port 9999 --lines-per-second 100
 *                (the book: while read line; do echo -e "$line\n"; sleep 1; done < shakespeare.txt | nc -lk 9999)
 *   terminal 2:  npx tsx examples/shakespeare-wordcount.ts [host=localhost] [port=9999] [batchSeconds=5] [top=10]
 *           or:  npx tsx src/cli/dstreams.ts run shakespeare-wordcount localhost 9999
 *
 * updateStateByKey needs a checkpoint directory: a fresh temporary one per run, removed at exit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Seconds, StreamingContext, type DStream } from '../src/index.js';

const [host = 'localhost', portArg = '9999', batchArg = '5', topArg = '10'] = process.argv.slice(2);
const port = Number(portArg);
const top = Number(topArg);

const checkpointDir = mkdtempSync(path.join(tmpdir(), 'shakespeare-wordcount-'));
const ssc = new StreamingContext({ batchDuration: Seconds(Number(batchArg)), appName: 'ShakespeareWordCount', checkpointDir });
ssc.addStreamingListener({
  onReceiverError: (info) => console.error(`receiver: ${info.lastErrorMessage}`),
});

const wordCounts = ssc
  .socketTextStream(host, port)
  .filter((line) => line.length > 0)
  .flatMap((line) => line.split(/\W+/))
  .filter((word) => word.length > 0)
  .map((word): [string, number] => [word.toLowerCase(), 1])
  .reduceByKey((a, b) => a + b);

const byCount = (kv: [string, number]): number => kv[1];
const pad = (n: number): string => String(n).padStart(2, '0');
const localTime = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

/** pprint's layout under a header saying what is printed, so the two outputs cannot be confused. */
function printTop(stream: DStream<[string, number]>, header: string): void {
  stream.foreachRDD((rdd, time) => {
    const first = rdd.sortBy(byCount, false).take(top + 1);
    const rule = '-------------------------------------------';
    const lines = [rule, `${header}: ${localTime(time)}`, rule, ...first.slice(0, top).map(([w, n]) => `('${w}', ${n})`)];
    if (first.length > top) lines.push('...');
    console.log(lines.join('\n') + '\n');
  });
}

// This batch: the most frequent words.
console.log(`top ${top} words per batch ("Words in this batch"), then the running totals ("Running totals")`);
printTop(wordCounts, 'Words in this batch');

// Running totals since the start (the book's updateFunc: sum(new_values) + (last_sum or 0)).
const totals = wordCounts.updateStateByKey<number>(
  (newValues, lastSum) => newValues.reduce((a, b) => a + b, 0) + (lastSum ?? 0),
);
printTop(totals, 'Running totals');

process.once('SIGINT', () => void ssc.stop());
await ssc.start();
try {
  await ssc.awaitTermination();
} finally {
  rmSync(checkpointDir, { recursive: true, force: true });
}
