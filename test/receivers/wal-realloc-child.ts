// Child process of wal-recovery.test.ts: a receiver with the write-ahead log, through getOrCreate.
// The records r<from>..r<to-1> are stored (store() resolved: durable in the log) by `put`.
//  - `inside-second`: batch 1000 takes r0-r99 and completes; batch 2000 takes r100-r199; while
//    its output runs r200-r299 are stored, then the process kills itself (SIGKILL) before batch
//    2000 completes.
//  - `inside-first`: batch 1000 takes r0-r99; while its output runs r100-r199 are stored, then
//    SIGKILL — no batch ever completed (only the start record is in the store).
// Every batch's records are printed as `BATCH <time> <first>..<last> <count>` first.
// argv: checkpointDir mode strict|group
import { ManualClock, StreamingContext } from '../../src/index.js';
import { Receiver } from '../../src/receivers/index.js';

const [dir, mode, commits] = process.argv.slice(2);

class Source extends Receiver<string> {
  onStart(): void {}
  onStop(): void {}
  put(from: number, to: number): Promise<void> {
    return this.store(Array.from({ length: to - from }, (_, i) => `r${from + i}`));
  }
}

const crashAt = mode === 'inside-first' ? 1000 : 2000;
const clock = new ManualClock();
const source = new Source();
const ssc = await StreamingContext.getOrCreate(dir!, () => {
  const c = new StreamingContext({
    batchDuration: 1000,
    clock,
    receiverWriteAheadLog: true,
    blockInterval: 20,
    overlapCheckpointWrites: commits !== 'strict' ? undefined : false,
  });
  c.receiverStream(source).foreachRDD(async (rdd, time) => {
    const recs = rdd.collect();
    process.stdout.write(`BATCH ${time} ${recs[0]}..${recs[recs.length - 1]} ${recs.length}\n`);
    if (time === crashAt) {
      await source.put(crashAt / 10, crashAt / 10 + 100);
      process.stdout.write('CRASH\n');
      process.kill(process.pid, 'SIGKILL');
    }
  });
  return c;
});
await ssc.start();
await source.put(0, 100);
await clock.advance(1000);
if (crashAt === 2000) {
  await source.put(100, 200);
  await clock.advance(1000);
}
setInterval(() => undefined, 1000);
