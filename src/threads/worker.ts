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
 * copy. An error the job's code throws goes back with the task and fails it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import '../index.js';
import { loadJob } from '../context/job.js';
import { StreamingContext } from '../context/StreamingContext.js';
import type { DStream } from '../dstream/DStream.js';
import { LineBlock, LinesRDD } from '../rdd/LinesRDD.js';
import type { RDD } from '../rdd/RDD.js';
import { inputUnder } from '../workers/shuffles.js';
import type { FromWorker, WorkerSetup } from '../workers/WorkerPool.js';

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

async function main(): Promise<void> {
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

  // Each task's lines are the input's RDD at a time of its own, on the batch grid.
  let current: RDD<unknown> | undefined;
  let time = 0;
  for (const input of ssc.graph.inputs) input.getOrCompute = () => current;

  port.on('message', (m: { type: 'task'; id: number; shuffle: number; bytes: Uint8Array }) => {
    // The bytes' buffer goes back with the answer, for the pool's next task (SliceBuffers): the
    // lines were decoded into strings of this thread's own by then.
    const buffer = m.bytes.buffer as ArrayBuffer;
    try {
      const shuffle = streams[m.shuffle]!;
      if (!inputUnder(shuffle)) throw new Error(`stream ${m.shuffle} (${shuffle.kind}) is not a shuffle the pool can run`);
      time += setup.batchDuration;
      current = new LinesRDD([[new LineBlock(m.bytes, 0)]]);
      const rdd = (shuffle as DStream<unknown>).compute(time);
      const partitions: unknown[][] = [];
      if (rdd) for (let i = 0; i < rdd.numPartitions; i++) partitions.push(rdd.partition(i));
      port.postMessage({ type: 'done', id: m.id, partitions, buffer } satisfies FromWorker, [buffer]);
    } catch (e) {
      port.postMessage({ type: 'error', id: m.id, error: cloneable(e), buffer } satisfies FromWorker, [buffer]);
    } finally {
      current = undefined;
      ssc.graph.clearMetadata(time);
    }
  });
  post({ type: 'ready' });
}

main().catch((e: unknown) => post({ type: 'failed', error: cloneable(e) }));
