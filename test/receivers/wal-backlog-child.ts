// Child process of backlog.test.ts: a receiver stream with the write-ahead log, made through
// getOrCreate on a ManualClock.
//  - `log`: batch 1000 takes records 0-999 and is checkpointed; then records up to `count` are
//    stored (5 000 per store(), each resolved once logged) — "STORED n" — and the process waits
//    to be killed (SIGKILL) before another batch runs.
//  - `replay`: the same job recovered; batch after batch until every logged record was counted.
//    Prints one JSON line per batch (records, the cap it was cut with, backlog), then
//    "DONE <json>" with the count, the sum of the record numbers and the peak RSS.
import { ManualClock, StreamingContext, type CompletedBatchInfo, type ReceiverInputDStream } from '../../src/index.js';
import { Receiver } from '../../src/receivers/index.js';

const [checkpointDir, countArg, mode] = process.argv.slice(2);
const count = Number(countArg);

class Source extends Receiver<string> {
  onStart(): void {}
  onStop(): void {}
  async put(from: number, to: number): Promise<void> {
    for (let i = from; i < to; i += 5000) {
      await this.store(Array.from({ length: Math.min(5000, to - i) }, (_, j) => `record-${i + j}`));
    }
  }
}

const clock = new ManualClock(mode === 'replay' ? 1000 : 0);
const source = new Source();
let records = 0;
let sum = 0;
let stream!: ReceiverInputDStream<string>;
const caps = new Map<number, number | undefined>();
const ssc = await StreamingContext.getOrCreate(checkpointDir!, () => {
  const c = new StreamingContext({ batchDuration: 1000, clock, receiverWriteAheadLog: true, blockInterval: 20 });
  stream = c.receiverStream(source);
  stream.foreachRDD((rdd, time) => {
    caps.set(time, stream.replayCapOf(time));
    for (const r of rdd.collect()) {
      records++;
      sum += Number(r.slice('record-'.length));
    }
  });
  return c;
});
ssc.addStreamingListener({
  onBatchCompleted(info: CompletedBatchInfo) {
    const { batchTime, numRecords, numBytes, backlog } = info;
    process.stdout.write(`${JSON.stringify({ batch: batchTime, numRecords, numBytes, backlog, cap: caps.get(batchTime) })}\n`);
  },
});
await ssc.start();
if (mode === 'log') {
  await source.put(0, 1000);
  await clock.advance(1000);
  await source.put(1000, count);
  process.stdout.write(`STORED ${count}\n`);
  setInterval(() => undefined, 1000);
} else {
  process.stdout.write(`REPLAYING ${stream.replayedRecords}\n`);
  for (let i = 0; i < 1000 && records < count - 1000; i++) await clock.advance(1000);
  const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`DONE ${JSON.stringify({ records, sum, peakRssMB })}\n`);
  await ssc.stop();
}
