// Child process of backlog.test.ts: textFileStream over a folder that holds thousands of files
// at start (newFilesOnly: false), default settings, real clock, run with --max-old-space-size.
// Each line is "<n> <padding>"; the job counts the lines and sums the n. Prints one JSON line per
// completed batch (records, bytes, backlog, the cap it was read with), then "DONE <json>" with
// the totals and the peak RSS.
import { StreamingContext, type CompletedBatchInfo, type FileInputDStream } from '../../src/index.js';

const [dir, expectedArg, batchMsArg] = process.argv.slice(2);
const expected = Number(expectedArg);
const ssc = new StreamingContext({ batchDuration: Number(batchMsArg ?? 1000), appName: 'file-backlog' });
const stream = ssc.textFileStream(dir!, { newFilesOnly: false }) as FileInputDStream;
let records = 0;
let sum = 0;
const caps = new Map<number, number | undefined>();
stream
  .map((line) => Number(line.slice(0, line.indexOf(' '))))
  .foreachRDD((rdd, time) => {
    caps.set(time, stream.capOf(time));
    for (let p = 0; p < rdd.getNumPartitions(); p++) {
      for (const v of rdd.partition(p)) {
        records++;
        sum += v;
      }
    }
  });
ssc.addStreamingListener({
  onBatchCompleted(info: CompletedBatchInfo) {
    const { batchTime, numRecords, numBytes, backlog, processingDelay } = info;
    process.stdout.write(`${JSON.stringify({ batch: batchTime, numRecords, numBytes, backlog, processingDelay, cap: caps.get(batchTime) })}\n`);
    if (records >= expected) {
      const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
      process.stdout.write(`DONE ${JSON.stringify({ records, sum, peakRssMB })}\n`);
      void ssc.stop();
    }
  },
});
await ssc.start();
await ssc.awaitTermination();
