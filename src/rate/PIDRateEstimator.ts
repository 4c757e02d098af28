/** The PID estimator's gains and floor (`spark.streaming.backpressure.pid.*`). */
export interface PIDOptions {
  /** Default 1.0. */
  proportional?: number;
  /** Default 0.2. */
  integral?: number;
  /** Default 0. */
  derived?: number;
  /** Default 100 records/s. */
  minRate?: number;
}

/**
 * Spark's PIDRateEstimator: after each completed batch, a new ingestion rate (records/s) from
 * how fast the batch was processed and how far behind the scheduler is.
 *
 *   processingRate  = records / processingDelay
 *   error           = latestRate - processingRate            (we ingest faster than we process)
 *   historicalError = schedulingDelay * processingRate / batchInterval   (backlog, in records/s)
 *   newRate         = max(minRate, latestRate - kp * error - ki * historicalError - kd * dError/dt)
 *
 * The first usable batch only sets the starting point (its processing rate) and yields no
 * estimate, as in Spark; batches with no records or no processing time are ignored.
 */
export class PIDRateEstimator {
  private firstRun = true;
  private latestTime = -1;
  private latestRate = -1;
  private latestError = -1;
  private readonly kp: number;
  private readonly ki: number;
  private readonly kd: number;
  private readonly minRate: number;

  constructor(
    private readonly batchIntervalMs: number,
    pid: PIDOptions = {},
  ) {
    this.kp = pid.proportional ?? 1.0;
    this.ki = pid.integral ?? 0.2;
    this.kd = pid.derived ?? 0;
    this.minRate = pid.minRate ?? 100;
    if (!(batchIntervalMs > 0)) throw new RangeError(`batch interval must be positive, got ${batchIntervalMs}`);
  }

  /**
   * @param time when the batch finished (ms)
   * @param numElements records of the batch from this input
   * @param processingDelay ms
   * @param schedulingDelay ms
   * @returns the new rate, or undefined when there is none yet
   */
  compute(time: number, numElements: number, processingDelay: number, schedulingDelay: number): number | undefined {
    if (!(time > this.latestTime && numElements > 0 && processingDelay > 0)) return undefined;
    const delaySinceUpdate = (time - this.latestTime) / 1000;
    const processingRate = (numElements / processingDelay) * 1000;
    const error = this.latestRate - processingRate;
    const historicalError = (schedulingDelay * processingRate) / this.batchIntervalMs;
    const dError = (error - this.latestError) / delaySinceUpdate;
    const newRate = Math.max(
      this.latestRate - this.kp * error - this.ki * historicalError - this.kd * dError,
      this.minRate,
    );
    this.latestTime = time;
    if (this.firstRun) {
      this.latestRate = processingRate;
      this.latestError = 0;
      this.firstRun = false;
      return undefined;
    }
    this.latestRate = newRate;
    this.latestError = error;
    return newRate;
  }
}
