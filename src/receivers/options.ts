import { checkDuration, type Duration } from '../util/duration.js';
import type { PIDOptions } from '../rate/PIDRateEstimator.js';

/**
 * Receiver options a StreamingContext takes (Spark's `spark.streaming.*` settings of the same
 * meaning, as plain options). Every receiver stream of the context uses them unless the stream's
 * own options say otherwise.
 */
export interface ReceiverContextOptions {
  /**
   * How often received records are cut into a block (`spark.streaming.blockInterval`, default
   * 200 ms). The blocks of a batch become the partitions of its RDD.
   */
  blockInterval?: Duration;
  /**
   * Write every received block to a write-ahead log under `<checkpointDir>/receivedData/`
   * before `store()` resolves (`spark.streaming.receiver.writeAheadLog.enable`, default false).
   * Needs a checkpoint directory.
   */
  receiverWriteAheadLog?: boolean;
  /** At most this many records per second per receiver (`spark.streaming.receiver.maxRate`); unlimited when 0 or absent. */
  receiverMaxRate?: number;
  /**
   * Adapt each receiver's rate to how fast batches are processed (`spark.streaming.backpressure.enabled`):
   * a PID estimator fed by every completed batch's processing and scheduling delays.
   */
  backpressure?: boolean;
  /** The rate before the first estimate (`spark.streaming.backpressure.initialRate`); unlimited when absent. */
  backpressureInitialRate?: number;
  /** The PID estimator's gains and floor (`spark.streaming.backpressure.pid.*`). */
  backpressurePID?: PIDOptions;
  /**
   * The longest wait before a failed receiver is started again (`spark.streaming.receiverRestartDelay`,
   * default 2000 ms). Restarts back off: the first comes after min(100 ms, this), then the wait
   * doubles up to this; it falls back to the first once the receiver stores data again.
   */
  receiverRestartDelay?: Duration;
}

/** Per-stream settings of a receiver stream; each overrides the context's. */
export interface ReceiverStreamOptions {
  /** Name shown in receiver events (default: the receiver's class name and the stream id). */
  name?: string;
  blockInterval?: Duration;
  /** Records per second for this receiver (overrides `receiverMaxRate`). */
  maxRate?: number;
  /** The longest restart back-off of this receiver (overrides `receiverRestartDelay`). */
  restartDelay?: Duration;
}

/** The settings a receiver stream runs with, all defaults filled in. */
export interface ResolvedReceiverOptions {
  blockInterval: Duration;
  writeAheadLog: boolean;
  maxRate: number;
  backpressure: boolean;
  initialRate: number;
  pid: Required<PIDOptions>;
  restartDelay: Duration;
}

export const DEFAULT_BLOCK_INTERVAL: Duration = 200;
export const DEFAULT_RESTART_DELAY: Duration = 2000;
export const FIRST_RESTART_DELAY: Duration = 100;
/**
 * How long a stop waits for a receiver's onStart and onStop to return before it goes on without
 * them, with a warning: Spark's ReceiverTracker waits 10 s for its receivers to stop.
 */
export const RECEIVER_STOP_WAIT: Duration = 10_000;
/** An onStart still running after this long gets one warning that it must return quickly. */
export const SLOW_ON_START_WARNING: Duration = 2_000;

/** The supervisor's waits (the constants above; tests make them short). */
export interface ReceiverWaits {
  stopWait: Duration;
  slowStartWarning: Duration;
}
export const RECEIVER_WAITS: Readonly<ReceiverWaits> = { stopWait: RECEIVER_STOP_WAIT, slowStartWarning: SLOW_ON_START_WARNING };

function checkRate(r: unknown, what: string): number {
  if (r === undefined) return Infinity;
  if (typeof r !== 'number' || Number.isNaN(r) || r < 0) {
    throw new RangeError(`${what} must be a non-negative number of records per second, got ${String(r)}`);
  }
  return r === 0 ? Infinity : r;
}

function checkGain(g: unknown, what: string, dflt: number): number {
  if (g === undefined) return dflt;
  if (typeof g !== 'number' || !Number.isFinite(g) || g < 0) {
    throw new RangeError(`backpressurePID.${what} must be a non-negative number, got ${String(g)}`);
  }
  return g;
}

/** Validates the context's receiver options (called by the StreamingContext constructor). */
export function checkReceiverContextOptions(o: ReceiverContextOptions): ReceiverContextOptions {
  if (o.blockInterval !== undefined) checkDuration(o.blockInterval, 'blockInterval');
  if (o.receiverRestartDelay !== undefined) checkDuration(o.receiverRestartDelay, 'receiverRestartDelay');
  checkRate(o.receiverMaxRate, 'receiverMaxRate');
  checkRate(o.backpressureInitialRate, 'backpressureInitialRate');
  if (o.backpressurePID !== undefined) resolvePID(o.backpressurePID);
  return {
    blockInterval: o.blockInterval,
    receiverWriteAheadLog: o.receiverWriteAheadLog === true,
    receiverMaxRate: o.receiverMaxRate,
    backpressure: o.backpressure === true,
    backpressureInitialRate: o.backpressureInitialRate,
    backpressurePID: o.backpressurePID,
    receiverRestartDelay: o.receiverRestartDelay,
  };
}

function resolvePID(p: PIDOptions = {}): Required<PIDOptions> {
  const minRate = checkGain(p.minRate, 'minRate', 100);
  if (minRate <= 0) throw new RangeError(`backpressurePID.minRate must be positive, got ${minRate}`);
  return {
    proportional: checkGain(p.proportional, 'proportional', 1.0),
    integral: checkGain(p.integral, 'integral', 0.2),
    derived: checkGain(p.derived, 'derived', 0),
    minRate,
  };
}

export function resolveReceiverOptions(
  ctx: ReceiverContextOptions,
  stream: ReceiverStreamOptions = {},
): ResolvedReceiverOptions {
  const blockInterval = checkDuration(stream.blockInterval ?? ctx.blockInterval ?? DEFAULT_BLOCK_INTERVAL, 'blockInterval');
  const restartDelay = checkDuration(
    stream.restartDelay ?? ctx.receiverRestartDelay ?? DEFAULT_RESTART_DELAY,
    'restartDelay',
  );
  return {
    blockInterval,
    writeAheadLog: ctx.receiverWriteAheadLog === true,
    maxRate: checkRate(stream.maxRate ?? ctx.receiverMaxRate, 'maxRate'),
    backpressure: ctx.backpressure === true,
    initialRate: checkRate(ctx.backpressureInitialRate, 'backpressureInitialRate'),
    pid: resolvePID(ctx.backpressurePID),
    restartDelay,
  };
}
