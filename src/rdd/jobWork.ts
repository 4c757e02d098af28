/**
 * The async work of actions inside an output operation. Spark's foreach and foreachPartition
 * block until every partition ran; here their functions may be async and a foreachRDD function
 * may drop the promise they return, so the output operation they run in waits for that work
 * itself: the batch completes only once it settled, and a failure of it fails the batch.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface JobWork {
  pending: Promise<unknown>[];
  /** The first failure of the work, in time order. */
  failure?: { error: unknown };
  /** False once the job finished: work started later (a timer of the job's) is the caller's again. */
  open: boolean;
}

const currentJob = new AsyncLocalStorage<JobWork>();

const ignore = (): undefined => undefined;

/**
 * Runs `run` as one output operation: settles once it and every piece of work registered while it
 * ran have settled (work that registers more work included); rejects with `run`'s error, else the
 * first failure of that work.
 */
export async function runAsJob(run: () => void | Promise<void>): Promise<void> {
  const work: JobWork = { pending: [], open: true };
  let error: { error: unknown } | undefined;
  try {
    await currentJob.run(work, run);
  } catch (e) {
    error = { error: e };
  }
  // Even when `run` failed: its partitions still being written must not outlive the batch.
  for (let i = 0; i < work.pending.length; i++) await work.pending[i].then(ignore, ignore);
  work.open = false;
  error ??= work.failure;
  if (error) throw error.error;
}

/** True inside an output operation run by runAsJob that has not finished yet. */
export function insideJob(): boolean {
  return currentJob.getStore()?.open === true;
}

/**
 * Makes the output operation running, if any, wait for `p` and fail with its failure. The
 * rejection is handled here at once either way: a partition failing while others still run (or
 * a caller that awaits only their whole) leaves nothing unhandled.
 */
export function registerJobWork(p: Promise<unknown>): void {
  const work = currentJob.getStore();
  if (work?.open !== true) {
    p.catch(ignore);
    return;
  }
  work.pending.push(p);
  p.catch((error: unknown) => {
    work.failure ??= { error };
  });
}

/**
 * The promise an action returns for the work it started (undefined when none was async): inside a
 * job it is handled already, since the job reports the failure (a foreachRDD function may drop it);
 * outside one it is the caller's, as any promise.
 */
export function allStarted(pending: readonly Promise<unknown>[]): Promise<void> | undefined {
  if (pending.length === 0) return undefined;
  const all = Promise.all(pending).then(ignore);
  if (insideJob()) all.catch(ignore);
  return all;
}
