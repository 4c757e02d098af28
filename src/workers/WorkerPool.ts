/**
 * A pool of worker_threads, each holding the job's graph built again from the job's module
 * (src/context/job.ts; the thread's entry is src/threads/worker.ts).
 *
 * When things happen: `start` spawns the threads and resolves once every one has imported the
 * job module, built its graph and found it equal to the main thread's (stream by stream, by
 * kind and dependencies), or rejects naming the first difference. `run` sends one task (a shuffle of the graph
 * and the bytes of whole lines, transferred, not copied) to an idle thread, queueing it when
 * all are busy; it resolves with the task's combined pairs by partition, or rejects with the
 * error the job's code threw in the thread (made again here from what crossed: errorFromThread). Either answer brings the bytes' buffer back, and
 * the next task's bytes are copied into it (`buffer`, SliceBuffers). A thread that dies fails
 * its task and is replaced; `close` fails the tasks running or queued. `release` (the context
 * stopped) keeps the pool for the next context of the same job and size in this process, as
 * Spark's executors outlive a StreamingContext: its threads keep their compiled code, and
 * `start` sends them the new context's setup to build the graph again from. An idle pool's threads do not keep the process alive; one idle pool is kept,
 * and `close` ends a pool for good.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { threadSource } from '../util/threadSource.js';
import { errorFromThread, firstAltered } from './crossing.js';
import { SliceBuffers } from './SliceBuffers.js';

/** What a thread or process needs to build a job's graph again: where its definition is and its parameters (context/job.ts). */
export interface JobRef {
  /** The defining module's URL (`import.meta.url`). */
  readonly module: string;
  /** The definition's name within the module (default `job`). */
  readonly name: string;
  /** The parameters `create` was given; they cross threads by structured clone. */
  readonly params: unknown;
}

/** What each thread is started with. */
export interface WorkerSetup {
  job: JobRef;
  batchDuration: number;
  defaultParallelism: number;
  /** The main thread's streams' kinds in graph order, to check the thread built the same graph. */
  kinds: string[];
  /** Each of those streams' dependencies, by position (`DStream.id`): the same graph is wired the same way too. */
  dependencies: number[][];
}

/** One shuffle of one slice of a batch: stream `shuffle` of the graph, over the lines in `bytes`. */
export interface ShuffleTask {
  shuffle: number;
  bytes: Uint8Array;
}

/** What the pool sends a thread: a task, or a new context's setup to build the job's graph from again. */
export type ToWorker = { type: 'task'; id: number; shuffle: number; bytes: Uint8Array } | { type: 'setup'; setup: WorkerSetup };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; error: unknown }
  | { type: 'done'; id: number; partitions: unknown[][]; buffer: ArrayBuffer }
  | { type: 'error'; id: number; error: unknown; buffer: ArrayBuffer };

interface Pending {
  id: number;
  task: ShuffleTask;
  resolve: (parts: unknown[][]) => void;
  reject: (e: unknown) => void;
}

/** The number of threads a pool gets when the context does not say: one per core. */
export const defaultWorkers = (): number => availableParallelism();

class Thread {
  readonly worker: Worker;
  current: Pending | undefined;
  /** The thread has built a graph (once: a thread that never does leaves the pool). */
  ready = false;
  /** Waiting for the thread to build the graph (at its start, or after a new setup). */
  building: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  constructor(setup: WorkerSetup) {
    // The thread's entry: src/threads/worker.ts from source, worker.js when built (and a job module in .ts needs tsx).
    const source = threadSource(import.meta.url, '../threads/worker', /\.[cm]?ts$/.test(setup.job.module));
    this.worker = new Worker(source.code, { workerData: setup, eval: source.eval });
  }
}

/** The pool a stopped context released, kept for the next context of its job and size (one at most). */
let idle: WorkerPool | undefined;

/** Which pools can serve a context: the job's module and definition, and the number of threads. */
const reuseKey = (setup: WorkerSetup, size: number): string => `${setup.job.module}#${setup.job.name}#${size}`;

export class WorkerPool {
  private readonly threads: Thread[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;
  /**
   * Told of a thread that threw outside any task (the job's code threw asynchronously after its
   * task answered): the context using the pool fails with it, as one thread would. Cleared when
   * the context releases the pool.
   */
  onError: ((error: unknown) => void) | undefined;
  /** The buffers tasks' bytes are copied into (`buffer`), back from the threads once read. */
  private readonly buffers: SliceBuffers;

  private constructor(
    private setup: WorkerSetup,
    readonly size: number,
  ) {
    // A batch's slices (one a thread) and, while sizes grow, as many smaller ones.
    this.buffers = new SliceBuffers(2 * size);
  }

  /**
   * `size` threads that built the job's graph: the released pool of the same job and size when
   * there is one (its threads build the graph again from `setup`), else new threads. Rejects (and
   * stops them) if one could not build it. A kept pool that fails (a thread that died idle, or a
   * build that fails) is closed, and new threads try: the error, if any, is a new pool's.
   */
  static async start(setup: WorkerSetup, size: number): Promise<WorkerPool> {
    const altered = firstAltered(setup.job.params);
    if (altered !== undefined) {
      throw new TypeError(
        `a job's params reach the worker pool's threads by structured clone: params${altered.path} is ${altered.what}, ` +
          'which would reach them changed (methods and getters gone) or not at all: pass plain data (numbers, strings, ' +
          'arrays, plain objects, Map, Set, Date), or run the job with workers: 1',
      );
    }
    const kept = idle;
    if (kept !== undefined && reuseKey(kept.setup, kept.size) === reuseKey(setup, size)) {
      idle = undefined;
      try {
        await kept.rebuild(setup);
        return kept;
      } catch {
        await kept.close();
      }
    }
    const pool = new WorkerPool(setup, size);
    try {
      await Promise.all(Array.from({ length: size }, () => pool.spawn()));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** A new context's setup: every thread builds the graph again (and keeps the process alive again). */
  private async rebuild(setup: WorkerSetup): Promise<void> {
    this.setup = setup;
    await Promise.all(
      this.threads.map((t) => {
        t.worker.ref();
        const built = new Promise<void>((resolve, reject) => (t.building = { resolve, reject }));
        t.worker.postMessage({ type: 'setup', setup } satisfies ToWorker);
        return built;
      }),
    );
  }

  /**
   * The context stopped: keep the pool for the next context of the same job and size (its
   * threads no longer keep the process alive), ending the pool kept before; a pool with work
   * still queued or a thread short is closed instead.
   */
  async release(): Promise<void> {
    this.onError = undefined;
    if (this.closed) return;
    if (this.queue.length > 0 || this.threads.length < this.size || this.threads.some((t) => !t.ready || t.current || t.building)) {
      await this.close();
      return;
    }
    this.buffers.clear();
    for (const t of this.threads) t.worker.unref();
    const before = idle;
    idle = this;
    await before?.close();
  }

  private spawn(): Promise<void> {
    const t = new Thread(this.setup);
    this.threads.push(t);
    return new Promise<void>((resolve, reject) => {
      t.building = { resolve, reject };
      t.worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          t.ready = true;
          const b = t.building;
          t.building = undefined;
          b?.resolve();
          this.dispatch();
        } else if (m.type === 'failed') {
          const b = t.building;
          t.building = undefined;
          // A thread that never built a graph is of no use: it leaves the pool.
          if (!t.ready) this.drop(t);
          b?.reject(errorFromThread(m.error));
        } else {
          this.buffers.give(m.buffer);
          const p = t.current;
          t.current = undefined;
          if (p && p.id === m.id) {
            if (m.type === 'done') p.resolve(m.partitions);
            else p.reject(errorFromThread(m.error));
          }
          this.dispatch();
        }
      });
      // An answer that cannot be read here: the task it answered fails, and the thread goes on.
      t.worker.on('messageerror', (e) => {
        const p = t.current;
        t.current = undefined;
        p?.reject(e);
        this.dispatch();
      });
      t.worker.on('error', (e) => this.lost(t, e, true));
      t.worker.on('exit', (code) => {
        const doing = !t.ready ? 'before it built the job graph' : t.building ? 'while building the job graph' : 'while running a task';
        this.lost(t, new Error(`a worker thread exited (code ${code}) ${doing}`));
      });
    });
  }

  /** A thread leaves the pool and stops. */
  private drop(t: Thread): void {
    const i = this.threads.indexOf(t);
    if (i !== -1) this.threads.splice(i, 1);
    void t.worker.terminate();
  }

  /**
   * A thread died: its task or build fails, and a new thread takes the place of one that had built
   * the graph. One that threw (`uncaught`) outside any task fails the context (onError); one that
   * only exited is replaced, as Spark replaces a lost executor.
   */
  private lost(t: Thread, error: unknown, uncaught = false): void {
    const i = this.threads.indexOf(t);
    if (i === -1) return;
    this.threads.splice(i, 1);
    const p = t.current;
    t.current = undefined;
    p?.reject(error);
    const b = t.building;
    t.building = undefined;
    b?.reject(error);
    if (!t.ready) return; // its start failed, and says so
    if (uncaught && !p && !b && !this.closed) this.onError?.(error);
    // A kept pool short of a thread is not worth a new one that would keep the process alive.
    if (idle === this) void this.close();
    else if (!this.closed) this.spawn().catch((e: unknown) => this.starved(e));
  }

  /** A thread that was to replace a lost one could not start: the tasks queued fail if no thread is left to run them. */
  private starved(error: unknown): void {
    if (this.threads.length === 0) this.failQueued(error);
  }

  private failQueued(error: unknown): void {
    for (const p of this.queue.splice(0)) p.reject(error);
  }

  /**
   * A view of `size` bytes to copy a task's bytes into: over a buffer a thread gave back when
   * one is large enough (its pages already written, see SliceBuffers), else a new one.
   */
  buffer(size: number): Uint8Array {
    return this.buffers.take(size);
  }

  /** Run one task; its bytes' whole buffer is transferred to the thread (unusable here afterwards) and comes back with the result. */
  run(task: ShuffleTask): Promise<unknown[][]> {
    if (this.closed) return Promise.reject(new Error('the worker pool has been closed'));
    if (this.threads.length === 0) return Promise.reject(new Error('the worker pool has no thread left: the threads died and new ones could not build the job graph'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const t of this.threads) {
      if (this.queue.length === 0) return;
      if (t.current || t.building) continue;
      const p = this.queue.shift()!;
      t.current = p;
      const { shuffle, bytes } = p.task;
      t.worker.postMessage({ type: 'task', id: p.id, shuffle, bytes } satisfies ToWorker, [bytes.buffer as ArrayBuffer]);
    }
  }

  /** End the pool for good: its threads stop, and the tasks queued or running on them fail. */
  async close(): Promise<void> {
    if (idle === this) idle = undefined;
    this.closed = true;
    const error = new Error('the worker pool has been closed');
    this.failQueued(error);
    const threads = this.threads.splice(0);
    // Out of the pool, a thread's exit is no longer heard (lost): what it was doing fails here.
    for (const t of threads) {
      t.current?.reject(error);
      t.current = undefined;
      t.building?.reject(error);
      t.building = undefined;
    }
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}
