/**
 * Preloaded (`node --import`) into the job `dstreams run` starts, so that a failure the job does
 * not handle — a rejected `awaitTermination()`, an error thrown at its top level — ends it as the
 * README says: its message and causes on one line, exit code 1 (`DSTREAMS_DEBUG=1` adds the
 * stack). A TypeScript job that tsx compiles as CommonJS (no `"type": "module"`) cannot use
 * top-level await, which every job in the docs does: that failure says so and how to fix it.
 * A job with its own 'uncaughtException' handler keeps it: this one then stays out of the way.
 */
import { describeFailure } from '../util/usage.js';

const COMPILED_AS_CJS = /Top-level await is currently not supported with the "cjs" output format|ERR_REQUIRE_ASYNC_MODULE/;

process.on('uncaughtException', (e: unknown) => {
  if (process.listenerCount('uncaughtException') > 1) return;
  const text = e instanceof Error ? `${e.message} ${(e as NodeJS.ErrnoException).code ?? ''}` : String(e);
  const line = COMPILED_AS_CJS.test(text)
    ? 'the job is compiled as CommonJS, where top-level await is not allowed: add "type": "module" to its package.json, or name the file .mts'
    : describeFailure(e);
  process.stderr.write(`error: ${line}\n`);
  if (process.env.DSTREAMS_DEBUG === '1' && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
