/** What the two pipeline jobs share: starting a resumed context, stopping it once, and their command-line run loop. */
import {
  kafkaLag,
  type KafkaParams,
  type PostgresConnectionOptions,
  type SinkRetryOptions,
  type StreamingContext,
  type WebUiOptions,
  type WriteMethod,
} from '../index.js';
import type { Resumed } from '../exactlyonce/exactlyOnce.js';
import { describeFailure } from '../util/usage.js';

export type JobLog = (event: Record<string, unknown>) => void;

/** What every Kafka → PostgreSQL job takes (each adds its tables and intervals). */
export interface KafkaToPostgresJobOptions {
  /** Kafka brokers, `host:port[,…]`. */
  brokers: string;
  topic: string;
  /** Checkpoint directory (state and stream position between restarts). */
  checkpointDir: string;
  /** Batch interval in ms. Default 5000. */
  batchDuration?: number;
  /** The sink's name in the bookkeeping tables (each job has its default). */
  sinkId?: string;
  method?: WriteMethod;
  /** Where PostgreSQL is (default: the PG* variables, else 127.0.0.1:5432/test as postgres). */
  postgres?: PostgresConnectionOptions;
  /** The sink's back-off while PostgreSQL is unreachable. Default: retry for ever (the batches wait). */
  retry?: SinkRetryOptions;
  /**
   * The result table was found dropped, truncated or with rows deleted (the sink's table check
   * refuses to go on): rebuild it from the checkpointed state, in one transaction, instead.
   */
  rebuildTable?: boolean;
  /** More Kafka parameters (e.g. `maxRatePerPartition`); the brokers and `auto.offset.reset: earliest` are set. */
  kafkaParams?: KafkaParams;
  /** One JSON-able object per event. Default: a JSON line on stdout. */
  log?: JobLog;
  /** Serve the web UI, REST JSON and /metrics (the context's `ui` option). */
  ui?: boolean | WebUiOptions;
}

/** Log where the job resumed from, start it, and return a stop that runs once: a graceful stop, then `close` (sinks). */
export async function startResumed(
  resumed: Resumed,
  log: JobLog,
  close: () => Promise<unknown>,
): Promise<{ ssc: StreamingContext; stop: () => Promise<void> }> {
  log({
    event: 'start',
    source: resumed.source,
    recoveredFrom: resumed.recoveredFrom ?? null,
    lastCommitted: resumed.lastCommitted ?? null,
    fromOffsets: resumed.fromOffsets ?? null,
    ...(resumed.staleCheckpoint ? { staleCheckpoint: resumed.staleCheckpoint } : {}),
  });
  const { ssc } = resumed;
  // One `progress` line per completed batch: its delays, input rate and the Kafka lag it left.
  ssc.addStreamingListener({
    onBatchCompleted: (info) => {
      const lag = kafkaLag(info.streamIdToInputInfo);
      log({
        event: 'progress',
        time: info.batchTime,
        records: info.numRecords,
        recordsPerSecond: Math.round((info.numRecords * 1000) / ssc.batchDuration),
        schedulingDelay: info.schedulingDelay,
        processingDelay: info.processingDelay,
        totalDelay: info.totalDelay,
        ...(lag !== undefined ? { kafkaLag: lag } : {}),
        ...(info.failureReason !== undefined ? { failed: info.failureReason.split('\n')[0] } : {}),
      });
    },
  });
  await ssc.start();
  if (ssc.uiWebUrl !== undefined) log({ event: 'ui', url: ssc.uiWebUrl });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      try {
        await ssc.stop({ graceful: true });
      } finally {
        await close();
      }
    })());
  return { ssc, stop };
}

/**
 * The jobs' log: one JSON line per event on stdout. Fault injection for the crash tests:
 * DSTREAMS_CRASH_AFTER_COMMITS=n makes the process SIGKILL itself right after its n-th
 * committed `commitEvent` — after the sink's COMMIT, before the checkpoint records the batch:
 * the window where the checkpoint falls one batch behind PostgreSQL.
 */
export function jsonLineLog(commitEvent: string): JobLog {
  const crashAfter = Number(process.env.DSTREAMS_CRASH_AFTER_COMMITS ?? 0);
  let commits = 0;
  return (event) => {
    process.stdout.write(`${JSON.stringify(event)}\n`);
    if (crashAfter > 0 && event.event === commitEvent && event.skipped === false && ++commits >= crashAfter) {
      process.kill(process.pid, 'SIGKILL');
    }
  };
}

/** Run a started job until SIGINT/SIGTERM or a failure (its message and causes on stderr, the stack with DSTREAMS_DEBUG=1; exit code 1), then stop it. */
export async function runUntilStopped(name: string, job: { ssc: StreamingContext; stop(): Promise<void> }): Promise<void> {
  const stop = (): void => void job.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await job.ssc.awaitTermination();
  } catch (e) {
    process.stderr.write(`${name}: failed: ${describeFailure(e)}\n`);
    if (process.env.DSTREAMS_DEBUG === '1' && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  }
  await job.stop();
}
