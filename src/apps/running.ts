/** What the two pipeline jobs share: starting a resumed context, stopping it once, and their command-line run loop. */
import type { StreamingContext } from '../context/StreamingContext.js';
import type { Resumed } from '../exactlyonce/exactlyOnce.js';

export type JobLog = (event: Record<string, unknown>) => void;

/** Log where the job resumed from, start it, and return a stop that runs once: a graceful stop, then `close` (sinks). */
export async function startResumed(
  resumed: Resumed,
  log: JobLog,
  close: () => Promise<unknown>,
): Promise<{ ssc: StreamingContext; stop: () => Promise<void> }> {
  log({
    event: 'start',
    source: resumed.source,
    recoveredFrom: resumed.recoveredFrom ?? null,
    lastCommitted: resumed.lastCommitted ?? null,
    fromOffsets: resumed.fromOffsets ?? null,
    ...(resumed.staleCheckpoint ? { staleCheckpoint: resumed.staleCheckpoint } : {}),
  });
  const { ssc } = resumed;
  await ssc.start();
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      try {
        await ssc.stop({ graceful: true });
      } finally {
        await close();
      }
    })());
  return { ssc, stop };
}

/**
 * The jobs' log: one JSON line per event on stdout. Fault injection for the crash tests:
 * DSTREAMS_CRASH_AFTER_COMMITS=n makes the process SIGKILL itself right after its n-th
 * committed `commitEvent` — after the sink's COMMIT, before the checkpoint records the batch:
 * the window where the checkpoint falls one batch behind PostgreSQL.
 */
export function jsonLineLog(commitEvent: string): JobLog {
  const crashAfter = Number(process.env.DSTREAMS_CRASH_AFTER_COMMITS ?? 0);
  let commits = 0;
  return (event) => {
    process.stdout.write(`${JSON.stringify(event)}\n`);
    if (crashAfter > 0 && event.event === commitEvent && event.skipped === false && ++commits >= crashAfter) {
      process.kill(process.pid, 'SIGKILL');
    }
  };
}

/** Run a started job until SIGINT/SIGTERM or a failure (reported on stderr, exit code 1), then stop it. */
export async function runUntilStopped(name: string, job: { ssc: StreamingContext; stop(): Promise<void> }): Promise<void> {
  const stop = (): void => void job.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await job.ssc.awaitTermination();
  } catch (e) {
    process.stderr.write(`${name}: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
  await job.stop();
}
