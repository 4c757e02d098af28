import { isThenable } from '../util/thenable.js';

/**
 * A state function's result, checked: TypeScript accepts an async function where a state
 * function is expected, but its promise would be stored or output as a value, the state it
 * changes after an `await` lost, and its rejection unhandled. The batch fails instead.
 */
export function synchronous<R>(operation: string, result: R): R {
  if (isThenable(result)) {
    // Its rejection is this same mistake: the batch fails with the error below, not the process.
    result.then(undefined, () => undefined);
    throw new TypeError(`${operation}'s function returned a promise: it must be synchronous (an async function's state changes after an await are lost)`);
  }
  return result;
}
