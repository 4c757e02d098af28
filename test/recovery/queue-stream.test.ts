// A queueStream under getOrCreate: Spark refuses queueStream with checkpointing (its queue cannot
// be saved). Here it runs, and a restart says that the queue is read again from its start.
import { afterEach, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from './helpers.js';

afterEach(cleanupTempDirs);

function job(dir: string, out: string[]): { ssc: StreamingContext; clock: ManualClock } {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  ssc.checkpoint(dir);
  ssc.queueStream([['a'], ['b'], ['c']]).foreachRDD((rdd, time) => void out.push(`${time}:${rdd.collect().join()}`));
  return { ssc, clock };
}

it('a restart of a job with a queueStream logs that its queue is read again from the start, and reads it so', async () => {
  const dir = tempDir();
  const first: string[] = [];
  const one = job(dir, first);
  await one.ssc.start();
  await one.clock.advance(2000);
  await one.ssc.stop();
  expect(first).toEqual(['1000:a', '2000:b']);

  const second: string[] = [];
  const log: string[] = [];
  let two!: { ssc: StreamingContext; clock: ManualClock };
  const ssc = await StreamingContext.getOrCreate(dir, () => (two = job(dir, second)).ssc, { log: (line) => void log.push(line) });
  expect(log.filter((l) => l.includes('queueStream'))).toEqual([
    'a queueStream is not checkpointed: after this restart it reads its queue from the start, as the create function gave it again',
  ]);
  await ssc.start();
  await two.clock.advance(3000);
  await ssc.stop();
  expect(second[0]).toBe('3000:a');
});
