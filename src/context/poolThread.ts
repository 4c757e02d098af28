/**
 * Whether this thread is one of a worker pool's (src/threads/worker.ts marks it before it imports
 * the job's module). A global symbol, not a module variable: the job module may import dstreams
 * by another path (the package name) than the thread did, which would be another module instance.
 */
const POOL_THREAD = Symbol.for('dstreams.poolThread');

export function markPoolThread(): void {
  (globalThis as Record<symbol, unknown>)[POOL_THREAD] = true;
}

export function isPoolThread(): boolean {
  return (globalThis as Record<symbol, unknown>)[POOL_THREAD] === true;
}
