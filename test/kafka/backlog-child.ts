// Child process of backlog.test.ts: a direct Kafka stream read from
// earliest with the default settings (or the kafkaParams given as JSON), on a real clock, until
// `expected` records were counted. Each record's value is "<n> <padding>"; the job counts the
// records and sums the n, per batch. Run with --max-old-space-size so that a batch too large
// for memory kills it. Prints one JSON line per completed batch, then "DONE <json>" with the
// totals, the peak RSS (process.resourceUsage().maxRSS) and the scheduling delay of the first
// batch after the backlog was drained whose delay is under a batch interval (at most 60 batches on).
import { KafkaUtils, StreamingContext, type CompletedBatchInfo } from '../../src/index.js';

const [brokers, topic, expectedArg, batchMsArg, paramsJson] = process.argv.slice(2);
const expected = Number(expectedArg);
const extra = paramsJson ? (JSON.parse(paramsJson) as Record<string, string | number | boolean>) : {};

const ssc = new StreamingContext({ batchDuration: Number(batchMsArg ?? 1000), appName: 'backlog' });
const stream = KafkaUtils.createDirectStream(ssc, [topic!], {
  'metadata.broker.list': brokers!,
  'auto.offset.reset': 'earliest',
  ...extra,
});
let records = 0;
let sum = 0;
let result: Record<string, number> | undefined;
let after = 0;
const startedAt = Date.now();
// The job: parse each record's number (a map, as a job would), then count and sum per batch.
stream
  .map(([, value]) => Number(value.slice(0, value.indexOf(' '))))
  .foreachRDD((rdd, time) => {
    let n = 0;
    let s = 0;
    for (let p = 0; p < rdd.getNumPartitions(); p++) {
      for (const v of rdd.partition(p)) {
        n++;
        s += v;
      }
    }
    records += n;
    sum += s;
    const cap = stream.capOf(time);
    process.stdout.write(`${JSON.stringify({ time, n, cap })}\n`);
  });
ssc.addStreamingListener({
  onBatchCompleted(info: CompletedBatchInfo) {
    process.stdout.write(
      `${JSON.stringify({
        batch: info.batchTime,
        numRecords: info.numRecords,
        numBytes: info.numBytes,
        backlog: info.backlog,
        schedulingDelay: info.schedulingDelay,
        processingDelay: info.processingDelay,
      })}\n`,
    );
    if (records >= expected && result === undefined) {
      result = {
        records,
        sum,
        ms: Date.now() - startedAt,
        cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
      };
    } else if (result !== undefined) {
      // After catching up the scheduling delay falls back under a batch interval: end at the
      // first batch where it did (the batches queued behind the last big one can take a few on a
      // busy machine), or after 60 batches with the delay it still has.
      after++;
      if (info.schedulingDelay < ssc.batchDuration || after >= 60) {
        const done = {
          ...result,
          peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
          tailSchedulingDelay: info.schedulingDelay,
          batchesAfterCatchUp: after,
        };
        process.stdout.write(`DONE ${JSON.stringify(done)}\n`);
        void ssc.stop();
      }
    }
  },
});
await ssc.start();
await ssc.awaitTermination();
