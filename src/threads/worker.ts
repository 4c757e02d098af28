/**
 * A worker thread of the pool (src/workers/WorkerPool.ts). An entry point, like the CLI: it
 * builds a StreamingContext from the job's module, so it sits above the context in the layers.
 *
 * When things happen: at start it imports the job module, builds the graph on a context that is
 * never started (no input connects, no batch runs), checks the graph has the main thread's
 * streams in the same order, and says `ready`. Each task then names a shuffle stream by its
 * graph position and brings the bytes of whole lines: the lines become the RDD of the input
 * under that shuffle's chain, the shuffle's own compute combines them map-side (the fused stage
 * of src/rdd), and only the combined pairs go back, with the bytes' buffer for the next task's
 * copy. An error the job's code throws goes back with the task and fails it. A `setup` (a new
 * context of the same job took the released pool) builds the graph again the same way, and the
 * thread says `ready` (or `failed`) again.
 */
import { parentPort, workerData } from 'node:worker_threads';
import '../index.js';
import { loadJob } from '../context/job.js';
import { StreamingContext } from '../context/StreamingContext.js';
import type { DStream } from '../dstream/DStream.js';
import { LineBlock, LinesRDD } from '../rdd/LinesRDD.js';
import type { RDD } from '../rdd/RDD.js';
import { inputUnder } from '../workers/shuffles.js';
import type { FromWorker, ToWorker, WorkerSetup } from '../workers/WorkerPool.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const post = (m: FromWorker): void => port.postMessage(m);

/** Errors cross threads by structured clone; what cannot be cloned goes as its text. */
function cloneable(e: unknown): unknown {
  try {
    structuredClone(e);
    return e;
  } catch {
    return new Error(String(e));
  }
}

/** Prototypes a structured clone keeps; an object of any other class crosses as a plain object, its methods gone. */
const CLONED_AS_THEMSELVES = new Set<unknown>(
  [Object, Array, Map, Set, Date, RegExp, ArrayBuffer, DataView, Uint8Array, Uint8ClampedArray, Int8Array, Uint16Array, Int16Array,
    Uint32Array, Int32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, Boolean, Number, String,
    Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError].map((c) => c.prototype),
).add(null);

/**
 * The combined pairs go back by structured clone, which would turn a key or combiner of a class
 * of the job's own (combineByKey's `new Stats(v)`) into a plain object that has lost its methods,
 * where one thread keeps the instance: such a task fails, naming the class.
 */
function checkCrossing(partitions: unknown[][]): void {
  for (const part of partitions) {
    for (const kc of part as [unknown, unknown][]) {
      for (const v of kc) {
        if (typeof v !== 'object' || v === null || CLONED_AS_THEMSELVES.has(Object.getPrototypeOf(v))) continue;
        const name = (v as { constructor?: { name?: string } }).constructor?.name || 'a class of its own';
        const what = v === kc[0] ? 'key' : 'combined value';
        throw new TypeError(
          `a shuffle (combineByKey, reduceByKey, groupByKey) on a worker pool: a ${what} is an instance of ${name}, ` +
            'which a structured clone cannot carry between threads (it keeps plain objects, arrays, Map, Set, Date, ' +
            'typed arrays, and drops class prototypes): use plain data, or run the job with workers: 1',
        );
      }
    }
  }
}

/** The graph built from one setup: its streams, by position, its batch duration and the time of the last task. */
interface Built {
  streams: DStream<unknown>[];
  clearMetadata(time: number): void;
  batchDuration: number;
  time: number;
}

/** Each task's lines: the input's RDD at the task's time (every input of the graph reads them). */
let current: RDD<unknown> | undefined;

async function build(setup: WorkerSetup): Promise<Built> {
  const def = await loadJob(setup.job);
  const ssc = new StreamingContext({
    batchDuration: setup.batchDuration,
    defaultParallelism: setup.defaultParallelism,
    workers: 1,
  });
  def.build(ssc, setup.job.params);
  const streams = ssc.graph.streams;
  const kinds = streams.map((s) => s.kind);
  const n = Math.max(kinds.length, setup.kinds.length);
  for (let i = 0; i < n; i++) {
    if (kinds[i] !== setup.kinds[i]) {
      throw new Error(
        `the job module ${setup.job.module} built a different graph in a worker thread: stream ${i} is ` +
          `${kinds[i] ?? 'missing'} there but ${setup.kinds[i] ?? 'missing'} in the main thread ` +
          '(the build function must make the same streams in the same order for the same parameters)',
      );
    }
  }
  ssc.graph.start(0);
  for (const input of ssc.graph.inputs) input.getOrCompute = () => current;
  return {
    streams: streams as DStream<unknown>[],
    clearMetadata: (t) => ssc.graph.clearMetadata(t),
    batchDuration: setup.batchDuration,
    time: 0,
  };
}

async function main(): Promise<void> {
  let built = await build(setup);

  port.on('message', (m: ToWorker) => {
    if (m.type === 'setup') {
      // A new context of the same job (the pool was released and taken again): build its graph.
      build(m.setup).then(
        (b) => {
          built = b;
          post({ type: 'ready' });
        },
        (e: unknown) => post({ type: 'failed', error: cloneable(e) }),
      );
      return;
    }
    // The bytes' buffer goes back with the answer, for the pool's next task (SliceBuffers): the
    // lines were decoded into strings of this thread's own by then.
    const buffer = m.bytes.buffer as ArrayBuffer;
    const b = built;
    try {
      const shuffle = b.streams[m.shuffle]!;
      if (!inputUnder(shuffle)) throw new Error(`stream ${m.shuffle} (${shuffle.kind}) is not a shuffle the pool can run`);
      b.time += b.batchDuration;
      current = new LinesRDD([[new LineBlock(m.bytes, 0)]]);
      const rdd = shuffle.compute(b.time);
      const partitions: unknown[][] = [];
      if (rdd) for (let i = 0; i < rdd.numPartitions; i++) partitions.push(rdd.partition(i));
      checkCrossing(partitions);
      port.postMessage({ type: 'done', id: m.id, partitions, buffer } satisfies FromWorker, [buffer]);
    } catch (e) {
      port.postMessage({ type: 'error', id: m.id, error: cloneable(e), buffer } satisfies FromWorker, [buffer]);
    } finally {
      current = undefined;
      b.clearMetadata(b.time);
    }
  });
  post({ type: 'ready' });
}

main().catch((e: unknown) => post({ type: 'failed', error: cloneable(e) }));
