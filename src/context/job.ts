/**
 * A job is a module. JavaScript cannot ship closures, so wherever a job's graph must exist again
 * — after a crash (getOrCreate), in each worker thread of the pool, in each copy of a scaled-out
 * job — it is built again by the job's own code: the module that defines it is imported and its
 * build function run. See docs/jobs.md.
 *
 *   // wordcount.job.ts — defines, never starts (importing it must have no other effect)
 *   export const job = defineJob(import.meta.url, (ssc, p: { host: string; port: number }) => {
 *     ssc.socketTextStream(p.host, p.port).flatMap((l) => l.split(' ')) …
 *   });
 *
 *   // main.ts
 *   const ssc = job.create({ batchDuration: 1000 }, { host, port });   // or inside getOrCreate
 */
import type { JobRef } from '../workers/WorkerPool.js';
import type { StreamingContextOptions } from './options.js';
import { StreamingContext } from './StreamingContext.js';

export type { JobRef };


const DEFINITION = Symbol.for('dstreams.jobDefinition');

export interface JobDefinition<P = undefined> {
  readonly [DEFINITION]: true;
  readonly module: string;
  readonly name: string;
  /** Builds the graph on a fresh context: the same streams in the same order for the same parameters. */
  readonly build: (ssc: StreamingContext, params: P) => void;
  /** A new context running this job: `options` plus the job's identity, its graph built. */
  create(options: StreamingContextOptions, params?: P): StreamingContext;
}

/**
 * Define a job: `module` is the defining module's `import.meta.url`; `build` adds the job's
 * streams and outputs to the context it is given and must not start it. Export the definition
 * (as `job`, or under the name given here) so other threads find it.
 */
export function defineJob<P = undefined>(
  module: string,
  build: (ssc: StreamingContext, params: P) => void,
  options: { name?: string } = {},
): JobDefinition<P> {
  if (typeof module !== 'string' || !/^[a-z][a-z0-9+.-]*:/i.test(module)) {
    throw new TypeError(`defineJob needs the module's URL (import.meta.url) first, got ${String(module)}`);
  }
  if (typeof build !== 'function') throw new TypeError('defineJob needs a function that builds the job graph');
  const name = options.name ?? 'job';
  return {
    [DEFINITION]: true,
    module,
    name,
    build,
    create(ctxOptions: StreamingContextOptions, params?: P): StreamingContext {
      const ssc = new StreamingContext({ ...ctxOptions, job: { module, name, params } });
      build(ssc, params as P);
      return ssc;
    },
  };
}

export function isJobDefinition(x: unknown): x is JobDefinition<unknown> {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[DEFINITION] === true;
}

/** Import `ref.module` and find its definition named `ref.name`, failing with what was found instead. */
export async function loadJob(ref: JobRef): Promise<JobDefinition<unknown>> {
  const mod = (await import(ref.module)) as Record<string, unknown>;
  const defs = Object.values(mod).filter(isJobDefinition);
  const def = defs.find((d) => d.name === ref.name && d.module === ref.module);
  if (!def) {
    const found = defs.map((d) => d.name).join(', ') || 'none';
    throw new Error(
      `job module ${ref.module} exports no job definition named "${ref.name}" (found: ${found}); ` +
        'export the value defineJob(import.meta.url, …) returns',
    );
  }
  return def;
}
