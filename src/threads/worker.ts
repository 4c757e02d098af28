/**
 * A worker thread of the pool (src/workers/WorkerPool.ts). An entry point, like the CLI: it
 * builds a StreamingContext from the job's module, so it sits above the context in the layers.
 *
 * When things happen: at start it imports the job module, builds the graph on a context that is
 * never started (no input connects, no batch runs), checks the graph has the main thread's
 * streams in the same order, each reading the same streams, and says `ready`. Each task then
 * names a shuffle stream by its graph position and brings the bytes of whole lines: the lines
 * become the RDD of the input under that shuffle's chain, the shuffle's own compute combines
 * them map-side (the fused stage of src/rdd), and only the combined pairs go back, with the
 * bytes' buffer for the next task's copy. An error the job's code throws goes back with the task
 * and fails it (as plain data the pool makes the same Error of again: errorForThread). A `setup`
 * (a new context of the same job took the released pool) builds the graph again the same way,
 * and the thread says `ready` (or `failed`) again.
 */
import { parentPort, workerData } from 'node:worker_threads';
import '../index.js';
import { loadJob } from '../context/job.js';
import { markPoolThread } from '../context/poolThread.js';
import { StreamingContext } from '../context/StreamingContext.js';
import type { DStream } from '../dstream/DStream.js';
import { LineBlock, LinesRDD } from '../rdd/LinesRDD.js';
import type { RDD } from '../rdd/RDD.js';
import { errorForThread, firstAltered } from '../workers/crossing.js';
import { inputUnder } from '../workers/shuffles.js';
import type { FromWorker, ToWorker, WorkerSetup } from '../workers/WorkerPool.js';

markPoolThread();
const setup = workerData as WorkerSetup;
const port = parentPort!;
const post = (m: FromWorker): void => port.postMessage(m);

/**
 * The combined pairs go back by structured clone, which would turn a key or combiner of a class
 * of the job's own (combineByKey's `new Stats(v)`, a group of them) into plain objects that have
 * lost their methods, where one thread keeps the instances: such a task fails, naming the class.
 */
function checkCrossing(partitions: unknown[][]): void {
  for (const part of partitions) {
    for (const kc of part as [unknown, unknown][]) {
      for (let j = 0; j < 2; j++) {
        const altered = firstAltered(kc[j]);
        if (altered === undefined) continue;
        const which = j === 0 ? 'key' : 'combined value';
        const what = altered.path === '' ? `a ${which} is ${altered.what}` : `a ${which} holds ${altered.what} (at ${altered.path})`;
        throw new TypeError(
          `a shuffle (combineByKey, reduceByKey, groupByKey) on a worker pool: ${what}, ` +
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

const streamList = (ids: number[]): string => (ids.length === 0 ? 'no stream' : `stream${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`);

/**
 * The first difference between the graph this thread built (its streams' kinds and the positions
 * of each one's dependencies, in graph order) and the main thread's (`setup`), or undefined.
 */
function graphDifference(kinds: string[], dependencies: number[][], setup: WorkerSetup): string | undefined {
  const n = Math.max(kinds.length, setup.kinds.length);
  for (let i = 0; i < n; i++) {
    const here = kinds[i];
    const there = setup.kinds[i];
    if (here !== there) return `stream ${i} is ${here ?? 'missing'} there but ${there ?? 'missing'} in the main thread`;
    const hereDeps = dependencies[i]!;
    const thereDeps = setup.dependencies[i]!;
    if (hereDeps.length !== thereDeps.length || hereDeps.some((d, j) => d !== thereDeps[j])) {
      return `stream ${i} (${here}) reads ${streamList(hereDeps)} there but ${streamList(thereDeps)} in the main thread`;
    }
  }
  return undefined;
}

async function build(setup: WorkerSetup): Promise<Built> {
  const def = await loadJob(setup.job);
  const ssc = new StreamingContext({
    batchDuration: setup.batchDuration,
    defaultParallelism: setup.defaultParallelism,
    workers: 1,
  });
  def.build(ssc, setup.job.params);
  const streams = ssc.graph.streams;
  const difference = graphDifference(
    streams.map((s) => s.kind),
    streams.map((s) => s.dependencies.map((d) => d.id)),
    setup,
  );
  if (difference !== undefined) {
    throw new Error(
      `the job module ${setup.job.module} built a different graph in a worker thread: ${difference} ` +
        '(the build function must make the same streams in the same order for the same parameters)',
    );
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
        (e: unknown) => post({ type: 'failed', error: errorForThread(e) }),
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
      port.postMessage({ type: 'error', id: m.id, error: errorForThread(e), buffer } satisfies FromWorker, [buffer]);
    } finally {
      current = undefined;
      b.clearMetadata(b.time);
    }
  });
  post({ type: 'ready' });
}

main().catch((e: unknown) => post({ type: 'failed', error: errorForThread(e) }));
