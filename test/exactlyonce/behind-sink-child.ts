// Child process of resume-behind-sink.test.ts: runs behindSinkJob.ts until killed. Prints
// `START <json>` (what resumeFromSink decided), `LOG`/`WARN` lines, and — with a kill count —
// `KILLING <time>` then SIGKILLs itself right after the sink committed its `kill`th batch, before
// the checkpoint records that batch as completed (as a crash there would).
import { writeSync } from 'node:fs';
import { resumeJob, sinksOf, type BehindSinkJob } from './behindSinkJob.js';

const job = JSON.parse(process.argv[2]!) as BehindSinkJob;
const killAfterWrites = Number(process.argv[3] ?? 0);
const sinks = sinksOf(job);
let written = 0;
const resumed = await resumeJob(job, sinks, {
  log: (m) => process.stdout.write(`LOG ${m}\n`),
  warn: (m) => process.stdout.write(`WARN ${m}\n`),
  onWritten: (result, time) => {
    if (killAfterWrites === 0 || result.skipped || ++written < killAfterWrites) return;
    writeSync(1, `KILLING ${time}\n`); // synchronous: the line is out before the kill
    process.kill(process.pid, 'SIGKILL');
  },
});
const { ssc, ...decided } = resumed;
process.stdout.write(`START ${JSON.stringify(decided)}\n`);
await ssc.start();
await ssc.awaitTermination();
