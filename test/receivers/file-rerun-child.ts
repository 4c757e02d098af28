// Child of file-rerun.test.ts: a textFileStream job with checkpoints, on a ManualClock. Args:
// <root> <run: first|recover> <crashAt: batch time> <writes: strict|group> <newFilesOnly: yes|no> <empty: yes|no>
// First run: a.txt is moved in before batch 1000, b.txt before batch 2000 (unless `empty`); while
// batch <crashAt>'s output runs, c.txt is moved in and the process SIGKILLs itself. Recover:
// getOrCreate over the same checkpoint, three batches. Each batch's lines go to stdout as JSON.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ManualClock, StreamingContext } from '../../src/index.js';

const [root, run, crashAtArg, writes, newFiles, empty] = process.argv.slice(2);
const crashAt = Number(crashAtArg);
const dir = path.join(root!, 'in');
const staging = path.join(root!, 'staging');
mkdirSync(dir, { recursive: true });
mkdirSync(staging, { recursive: true });
const moveIn = (name: string): void => {
  writeFileSync(path.join(staging, name), `${name}-1\n${name}-2\n`);
  renameSync(path.join(staging, name), path.join(dir, name));
};
const clock = new ManualClock();
const ssc = await StreamingContext.getOrCreate(path.join(root!, 'cp'), () => {
  const c = new StreamingContext({ batchDuration: 1000, clock, overlapCheckpointWrites: writes !== 'strict' });
  c.textFileStream(dir, { newFilesOnly: newFiles === 'yes' }).foreachRDD((rdd, time) => {
    process.stdout.write(`${JSON.stringify({ run, batch: time, lines: rdd.collect() })}\n`);
    if (run === 'first' && time === crashAt) {
      moveIn('c.txt');
      process.kill(process.pid, 'SIGKILL');
    }
  });
  return c;
});
await ssc.start();
process.stdout.write(`${JSON.stringify({ run, recoveredFrom: ssc.recoveredFrom ?? null })}\n`);
if (run === 'first') {
  moveIn('a.txt');
  await clock.advance(1000);
  if (empty !== 'yes') moveIn('b.txt');
  await clock.advance(1000);
  process.stdout.write(`${JSON.stringify({ run, error: 'not killed' })}\n`);
} else {
  await clock.advance(3000);
  await ssc.stop();
}
