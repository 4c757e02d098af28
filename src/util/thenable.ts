/** Whether `x` is awaitable (a promise or any object with a `then` method): what a function typed to return a value may return when it is async. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}
