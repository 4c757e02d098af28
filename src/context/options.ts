/**
 * What a StreamingContext is created and resumed with: its options (the receivers' part is
 * ReceiverContextOptions, src/receivers/options.ts), the web UI's, and getOrCreate's.
 */
import { described } from '../rdd/checks.js';
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

/**
 * Every option a StreamingContext takes: typed as a record of the options' keys, so an option
 * added to StreamingContextOptions (or ReceiverContextOptions) without being listed here fails to compile.
 */
const OPTION_NAMES: Record<keyof StreamingContextOptions, true> = {
  batchDuration: true,
  clock: true,
  appName: true,
  checkpointDir: true,
  defaultParallelism: true,
  overlapCheckpointWrites: true,
  gracefulStopTimeout: true,
  applicationId: true,
  standbyReplicas: true,
  ui: true,
  workers: true,
  job: true,
  blockInterval: true,
  receiverWriteAheadLog: true,
  receiverMaxRate: true,
  backpressure: true,
  backpressureInitialRate: true,
  backpressurePID: true,
  receiverRestartDelay: true,
};

/** Levenshtein distance, for the suggestion of a misspelt option's name. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The known option a misspelt `name` most likely meant (a few letters off, or another case), if any. */
function closeOptionName(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const known of Object.keys(OPTION_NAMES)) {
    const d = known.toLowerCase() === name.toLowerCase() ? 0 : editDistance(known, name);
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return bestDistance <= 1 + Math.floor(name.length / 4) ? best : undefined;
}

/**
 * Refuses what the constructor would otherwise ignore: an option it does not know (a misspelt
 * `defaultParalellism` would silently keep the default), a boolean option given as anything but
 * a boolean, and a clock without `getTimeMillis()`, the one method the engine calls on a clock
 * (it failed only at start()).
 */
export function checkOptionNames(options: object): void {
  const unknown = Object.keys(options).filter((k) => !Object.hasOwn(OPTION_NAMES, k));
  if (unknown.length > 0) {
    const named = unknown.map((k) => {
      const close = closeOptionName(k);
      return close === undefined ? `'${k}'` : `'${k}' (did you mean '${close}'?)`;
    });
    throw new TypeError(
      `new StreamingContext: unknown option${unknown.length > 1 ? 's' : ''} ${named.join(', ')}; ` +
        `the options are ${Object.keys(OPTION_NAMES).join(', ')}`,
    );
  }
  // A boolean given as text ('true', as Kafka's params take it) would silently read as off.
  for (const name of ['overlapCheckpointWrites', 'receiverWriteAheadLog', 'backpressure'] as const) {
    const v = (options as Record<string, unknown>)[name];
    if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`new StreamingContext: ${name} must be true or false, got ${described(v)}`);
  }
  const clock = (options as { clock?: unknown }).clock;
  if (clock !== undefined && typeof (clock as { getTimeMillis?: unknown } | null)?.getTimeMillis !== 'function') {
    throw new TypeError(
      'new StreamingContext: clock must have a getTimeMillis() method returning milliseconds (a ManualClock, a SystemClock, ' +
        `or { getTimeMillis: () => number }), got ${described(clock)}`,
    );
  }
}
