// Child process of wal.test.ts: a context with the receiver write-ahead log, made through
// getOrCreate. With `after-batch`, batch 1000 runs (records 0-999) and is checkpointed first;
// then the (rest of the) records are stored — "STORED n" is printed once every store()
// resolved — and the process waits to be killed (SIGKILL) before the next batch runs.
import { ManualClock, StreamingContext } from '../../src/index.js';
import { Receiver } from '../../src/receivers/index.js';

const [checkpointDir, countArg, mode = 'after-batch'] = process.argv.slice(2);
const count = Number(countArg);

class Source extends Receiver<string> {
  onStart(): void {}
  onStop(): void {}
  async put(from: number, to: number): Promise<void> {
    for (let i = from; i < to; i += 100) {
      await this.store(Array.from({ length: Math.min(100, to - i) }, (_, j) => `record-${i + j}`));
    }
  }
}

const clock = new ManualClock();
const source = new Source();
const ssc = await StreamingContext.getOrCreate(checkpointDir!, () => {
  const c = new StreamingContext({ batchDuration: 1000, clock, receiverWriteAheadLog: true, blockInterval: 20 });
  c.receiverStream(source).foreachRDD((rdd, time) => {
    process.stdout.write(`BATCH ${time} ${rdd.count()}\n`);
  });
  return c;
});
await ssc.start();
const first = mode === 'after-batch' ? 1000 : 0;
if (first > 0) {
  await source.put(0, first);
  await clock.advance(1000);
}
await source.put(first, count);
process.stdout.write(`STORED ${count}\n`);
setInterval(() => undefined, 1000);
