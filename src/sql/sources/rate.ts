/**
 * The rate source, as Spark's RateStreamProvider / RateStreamMicroBatchStream: rows of
 * `{ timestamp, value }`, value counting from 0, a pure function of the session clock so it is
 * replayable. Options (validated at load(), with Spark's messages):
 *  - `rowsPerSecond` (default 1): a positive whole number.
 *  - `rampUpTime` (default 0s): a time string as Spark's JavaUtils.timeStringAsSec ('5s', '2m',
 *    '1h', '1d', '500ms', a plain number is seconds; finer than seconds is truncated), not
 *    negative. Second s ends at value `valueAtSecond(s, rowsPerSecond, rampUpTimeSeconds)`: the
 *    rate grows linearly to rowsPerSecond over the ramp-up, then stays there.
 *  - `numPartitions` (default: "default", the session's parallelism): a positive whole number.
 *    It is validated and shown in the description, but this DataFrame layer has no partitions a
 *    user can see (no spark_partition_id, no df.rdd), so a batch's rows come in value order.
 *
 * Offsets are Spark's: whole seconds since the query first started, `{ start, seconds }` with
 * `start` the first start on the session clock (Spark keeps it in the source's own metadata
 * log). A batch from second s0 to s1 holds the values valueAtSecond(s0) until valueAtSecond(s1),
 * spread evenly over those seconds: value v is stamped start + s0·1000 +
 * round((v − valueAtSecond(s0)) · msPerValue), as Spark's partition reader.
 */
import type { Clock } from '../../context/Clock.js';
import { AnalysisException } from '../errors.js';
import { StructField, StructType, Types } from '../types.js';
import type { Row } from '../values.js';
import { registerSourceFormat } from './registry.js';
import type { Offset, ReadLimits, Source, SourceProvider } from './Source.js';

interface RateOffset {
  /** The query's first start on the session clock (Spark's creationTimeMs). */
  start: number;
  /** Whole seconds since `start` (Spark's LongOffset). */
  seconds: number;
}

const SCHEMA = new StructType([new StructField('timestamp', Types.TIMESTAMP), new StructField('value', Types.LONG)]);

/** Spark's RateStreamProvider.valueAtSecond: the end value (exclusive) emitted by time `seconds`. */
export function valueAtSecond(seconds: number, rowsPerSecond: number, rampUpTimeSeconds: number): number {
  // rampUpTimeSeconds 4, rowsPerSecond 10: speed grows by 2 a second, so seconds 0..6 end at
  // 0 2 6 12 20 30 40.
  const speedDeltaPerSecond = Math.floor(rowsPerSecond / (rampUpTimeSeconds + 1));
  if (seconds <= rampUpTimeSeconds) {
    // (speedDeltaPerSecond · seconds) · (seconds + 1) / 2, halving the even factor first.
    return seconds % 2 === 1 ? ((seconds + 1) / 2) * speedDeltaPerSecond * seconds : (seconds / 2) * speedDeltaPerSecond * (seconds + 1);
  }
  return valueAtSecond(rampUpTimeSeconds, rowsPerSecond, rampUpTimeSeconds) + (seconds - rampUpTimeSeconds) * rowsPerSecond;
}

/** Seconds in each of Spark's time suffixes (JavaUtils.timeSuffixes). */
const TIME_SUFFIXES: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, min: 60, h: 3600, d: 86_400 };

/**
 * Spark's JavaUtils.timeStringAsSec: `<integer><suffix?>`, no suffix meaning seconds; a finer
 * unit truncates toward zero (TimeUnit.convert). Throws Spark's message otherwise.
 */
export function timeStringAsSec(str: string): number {
  const fail = (why: string): never => {
    throw new AnalysisException(
      'Time must be specified as seconds (s), milliseconds (ms), microseconds (us), minutes (m or min), hour (h), or day (d). ' +
        `E.g. 50s, 100ms, or 250us.\n${why}`,
    );
  };
  const m = /^(-?[0-9]+)([a-z]+)?$/.exec(str.toLowerCase().trim());
  if (!m) return fail(`Failed to parse time string: ${str}`);
  const val = Number(m[1]);
  if (!Number.isSafeInteger(val)) return fail(`For input string: "${m[1]}"`);
  const suffix = m[2];
  if (suffix !== undefined && !Object.hasOwn(TIME_SUFFIXES, suffix)) return fail(`Invalid suffix: "${suffix}"`);
  const perUnit = suffix === undefined ? 1 : TIME_SUFFIXES[suffix]!;
  // Exact for the sub-second units: divide by 1000 or 10^6 rather than multiply by a fraction.
  const secs = perUnit >= 1 ? val * perUnit : Math.trunc(val / Math.round(1 / perUnit));
  return secs === 0 ? 0 : secs; // no -0
}

/** Java's Long.parseLong / Integer.parseInt: an optional sign and digits, in range. */
function parseWhole(option: string, text: string, max: number): number {
  const n = /^[+-]?[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || Math.abs(n) > max) {
    throw new AnalysisException(`Invalid value '${text}'. The option '${option}' must be a positive whole number (For input string: "${text}")`);
  }
  return n === 0 ? 0 : n;
}

/** A rate offset, checked: offsets from before rampUpTime counted rows, not seconds. */
function rateOffset(o: Offset | undefined): RateOffset | undefined {
  const r = o as Partial<RateOffset> | undefined;
  if (r !== undefined && (typeof r.start !== 'number' || typeof r.seconds !== 'number')) {
    throw new AnalysisException(
      `The rate source cannot resume from the offset ${JSON.stringify(o)}: its offsets are now { start, seconds } (whole seconds, as Spark's); use a new checkpointLocation`,
    );
  }
  return r as RateOffset | undefined;
}

class RateSource implements Source {
  readonly schema = SCHEMA;
  private startTime: number | undefined;
  private readonly maxSeconds: number;
  constructor(
    readonly description: string,
    private readonly rps: number,
    private readonly rampUpSeconds: number,
    private readonly clock: Clock,
    /** The query's start() on the session clock: second 0 on a first run. */
    private readonly startedAt: number,
  ) {
    // Spark: Long.MaxValue / rowsPerSecond; here the largest value a double holds exactly.
    this.maxSeconds = Math.floor(Number.MAX_SAFE_INTEGER / rps);
    if (rampUpSeconds > this.maxSeconds) {
      throw new RangeError(`Integer overflow. Max offset with ${rps} rowsPerSecond is ${this.maxSeconds}, but 'rampUpTimeSeconds' is ${rampUpSeconds}.`);
    }
  }

  async start(committed: Offset | undefined): Promise<void> {
    this.startTime = rateOffset(committed)?.start ?? this.startedAt;
  }

  /**
   * The time line is the one of the offset read from (a restart goes on from the first run's
   * second 0), and offsets never go back (Spark's lastTimeMs): a clock behind the committed
   * second reads nothing new.
   */
  async latestOffset(from?: Offset, limits: ReadLimits = {}): Promise<Offset | undefined> {
    if (limits.upTo) return limits.upTo.end;
    const f = rateOffset(from);
    const start = f?.start ?? this.startTime ?? this.startedAt;
    const elapsed = Math.floor((this.clock.getTimeMillis() - start) / 1000);
    const seconds = Math.max(elapsed, f?.seconds ?? 0);
    return seconds === 0 ? undefined : { start, seconds };
  }

  async getBatch(from: Offset | undefined, end: Offset): Promise<Row[]> {
    const e = rateOffset(end)!;
    const startSeconds = rateOffset(from)?.seconds ?? 0;
    const endSeconds = e.seconds;
    if (startSeconds > endSeconds) throw new Error(`startSeconds(${startSeconds}) > endSeconds(${endSeconds})`);
    if (endSeconds > this.maxSeconds) {
      throw new RangeError(`Integer overflow. Max offset with ${this.rps} rowsPerSecond is ${this.maxSeconds}, but it's ${endSeconds} now.`);
    }
    const rangeStart = valueAtSecond(startSeconds, this.rps, this.rampUpSeconds);
    const rangeEnd = valueAtSecond(endSeconds, this.rps, this.rampUpSeconds);
    if (rangeStart === rangeEnd) return [];
    const localStartTimeMs = e.start + startSeconds * 1000;
    const relativeMsPerValue = ((endSeconds - startSeconds) * 1000) / (rangeEnd - rangeStart);
    const out: Row[] = [];
    for (let v = rangeStart; v < rangeEnd; v++) {
      out.push({ timestamp: new Date(localStartTimeMs + Math.round((v - rangeStart) * relativeMsPerValue)), value: v });
    }
    return out;
  }
}

registerSourceFormat('rate', ({ options, clock }) => {
  const rps = parseWhole('rowsPerSecond', options.rowsPerSecond ?? '1', Number.MAX_SAFE_INTEGER);
  if (rps <= 0) throw new AnalysisException(`Invalid value '${rps}'. The option 'rowsPerSecond' must be positive`);

  let rampUpSeconds = 0;
  if (options.rampUpTime !== undefined) {
    try {
      rampUpSeconds = timeStringAsSec(options.rampUpTime);
    } catch (e) {
      throw new AnalysisException(`Invalid value '${options.rampUpTime}' for the option 'rampUpTime'. ${(e as Error).message}`);
    }
  }
  if (rampUpSeconds < 0) throw new AnalysisException(`Invalid value '${rampUpSeconds}'. The option 'rampUpTime' must not be negative`);

  let numPartitions: number | undefined;
  if (options.numPartitions !== undefined) {
    numPartitions = parseWhole('numPartitions', options.numPartitions, 2 ** 31 - 1);
    if (numPartitions <= 0) throw new AnalysisException(`Invalid value '${numPartitions}'. The option 'numPartitions' must be positive`);
  }

  // Spark's RateStreamMicroBatchStream.toString, its missing ']' included.
  const description = `RateStreamV2[rowsPerSecond=${rps}, rampUpTimeSeconds=${rampUpSeconds}, numPartitions=${numPartitions ?? 'default'}`;
  const provider: SourceProvider & { schema: StructType } = {
    description,
    schema: SCHEMA,
    createSource: ({ startedAt }) => new RateSource(description, rps, rampUpSeconds, clock, startedAt),
  };
  return provider;
});
