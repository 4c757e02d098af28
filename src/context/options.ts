/**
 * What a StreamingContext is created and resumed with: its options (the receivers' part is
 * ReceiverContextOptions, src/receivers/options.ts), the web UI's, and getOrCreate's.
 */
import type { ReceiverContextOptions } from '../receivers/index.js';
import type { Duration } from '../util/duration.js';
import type { JobRef } from '../workers/WorkerPool.js';
import type { Clock } from './Clock.js';

/** Receiver options (blockInterval, receiverWriteAheadLog, receiverMaxRate, backpressure, …): see ReceiverContextOptions. */
export interface StreamingContextOptions extends ReceiverContextOptions {
  batchDuration: Duration;
  clock?: Clock;
  appName?: string;
  checkpointDir?: string;
  /** Partitions of an RDD made from a plain array, and of shuffles (default 2). */
  defaultParallelism?: number;
  /**
   * Group commit (default true): write each batch's checkpoint while the next batches run, as
   * Spark writes its checkpoints asynchronously — the commits queued while a write and its fsync
   * are in progress go to disk together in the next one, and a batch waits only when 4 commits
   * are queued. A crash then loses the commits not yet written: recovery resumes from the last
   * written one and runs the batches after it again, outputs included (sinks idempotent by batch
   * time write nothing twice). Inputs that decide their data before a batch runs (direct Kafka and
   * Kinesis streams) still make their decision durable before the batch reads. false: strict — a
   * batch completes only once its checkpoint is durable (see docs/reliability.md).
   */
  overlapCheckpointWrites?: boolean;
  /**
   * How long a graceful stop may take (Spark's `spark.streaming.gracefulStopTimeout`, default
   * 10 × batchDuration). When it has passed, the context stops generating, with a warning: the
   * batches generated still run (their input was taken), those still waiting for their inputs (a
   * direct stream whose source does not answer) are dropped — a job restarted from its checkpoint
   * runs them — and the inputs stop, which cuts their reads short.
   */
  gracefulStopTimeout?: Duration;
  /**
   * Scale-out: every copy of the job started with this id shares the work through Kafka — it is
   * the consumer group of the direct Kafka streams and the prefix of the internal topics (see
   * docs/scale-out.md). Without it the job is one process, as before.
   */
  applicationId?: string;
  /**
   * Scale-out: standby replicas per task (Kafka Streams' `num.standby.replicas`, default 0). Each
   * copy also follows the changelogs of that many tasks it does not own (on copies other than
   * their owners), so a task that moves to it restores only the changelog's tail.
   */
  standbyReplicas?: number;
  /**
   * Serve the web UI (Spark's Streaming tab), its REST JSON and `/metrics` while the context
   * runs (default off). `true`: on 127.0.0.1:4040 (the next free port up to 4056 when taken).
   */
  ui?: boolean | WebUiOptions;
  /**
   * Threads that run the batches' shuffles of a job defined with defineJob (default: one per
   * core; 1 runs everything on this thread, as a job without a module always does). See docs/jobs.md.
   */
  workers?: number;
  /** Set by a job definition's create(): the module that builds this job's graph again (docs/jobs.md). */
  job?: JobRef;
}

export interface WebUiOptions {
  /** Default 4040; 0 picks a free port. A taken port is retried with the next ones, as Spark does. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Completed batches the UI remembers (default 1000, Spark's spark.streaming.ui.retainedBatches). */
  retainedBatches?: number;
}

export type StreamingContextState = 'initialized' | 'active' | 'stopped';

export interface GetOrCreateOptions {
  /**
   * Skip the batches whose time passed while the job was down and go on from now (default
   * false: run them, as Spark does). The batches the checkpoint had generated but not
   * completed still run again first. Inputs have no data for a skipped batch (stateful and
   * windowed streams move through it as through an empty one); inputs with a position (Kafka,
   * files, receivers) lose nothing: the first batch after the restart takes everything since
   * the last completed one.
   */
  skipMissedBatches?: boolean;
  /**
   * Where the lines about named state go when the job's graph changed (a state restored into
   * the new graph, started empty, or dropped). Default: console.warn.
   */
  log?: (line: string) => void;
}
