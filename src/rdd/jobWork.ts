/**
 * The async work of actions inside an output operation. Spark's foreach and foreachPartition
 * block until every partition ran; here their functions may be async and a foreachRDD function
 * may drop the promise they return, so the output operation they run in waits for that work
 * itself: the batch completes only once it settled, and a failure of it fails the batch.
 * The same holds for a batch's generation (runTracking): a transform function that runs an action
 * runs it then, and its batch waits for that work as Spark's generation blocks on the action.
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
  await settle(work);
  error ??= work.failure;
  if (error) throw error.error;
}

/** Waits for every piece of work registered (work registering more included), then closes it. */
async function settle(work: JobWork): Promise<void> {
  for (let i = 0; i < work.pending.length; i++) await work.pending[i].then(ignore, ignore);
  work.open = false;
}

/**
 * Runs `run` at once (synchronously: a batch's generation, whose transform functions may run
 * actions) and returns what it returned, with the promise of the work its actions started — as
 * runAsJob's, it settles once that work has and rejects with the work's first failure. That
 * promise is handled already (a batch a stop drops never awaits it); await it to see the failure.
 */
export function runTracking<T>(run: () => T): { value: T; work: Promise<void> } {
  const work: JobWork = { pending: [], open: true };
  const settled = (): Promise<void> =>
    settle(work).then(() => {
      if (work.failure) throw work.failure.error;
    });
  let value: T;
  try {
    value = currentJob.run(work, run);
  } catch (e) {
    // `run` failed, which fails its batch: the work it started is still waited for and closed, its failure handled.
    void settled().catch(ignore);
    throw e;
  }
  const done = settled();
  done.catch(ignore);
  return { value, work: done };
}

/** True inside an output operation run by runAsJob, or a generation run by runTracking, that has not finished yet. */
export function insideJob(): boolean {
  return currentJob.getStore()?.open === true;
}

/**
 * Makes the output operation (or generation) running, if any, wait for `p` and fail with its failure. The
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
