/**
 * The rate source: `rowsPerSecond` rows a second of `{ timestamp, value }`, value counting from 0
 * and row v stamped start + v/rowsPerSecond seconds — a pure function of the session clock, so
 * it is replayable: offsets are `{ start, rows }` and a re-run batch gets the same rows.
 */
import type { Clock } from '../../context/Clock.js';
import { AnalysisException } from '../errors.js';
import { StructField, StructType, Types } from '../types.js';
import type { Row } from '../values.js';
import { registerSourceFormat } from './registry.js';
import type { Offset, ReadLimits, Source, SourceProvider } from './Source.js';

interface RateOffset {
  start: number;
  rows: number;
}

const SCHEMA = new StructType([new StructField('timestamp', Types.TIMESTAMP), new StructField('value', Types.LONG)]);

class RateSource implements Source {
  readonly schema = SCHEMA;
  private startTime: number | undefined;
  constructor(
    readonly description: string,
    private readonly rps: number,
    private readonly clock: Clock,
    /** The query's start() on the session clock: row 0's time on a first run. */
    private readonly startedAt: number,
  ) {}

  async start(committed: Offset | undefined): Promise<void> {
    this.startTime = (committed as RateOffset | undefined)?.start ?? this.startedAt;
  }

  async latestOffset(_from?: Offset, limits: ReadLimits = {}): Promise<Offset | undefined> {
    if (limits.upTo) return limits.upTo.end;
    const start = this.startTime!;
    const rows = Math.max(0, Math.floor(((this.clock.getTimeMillis() - start) * this.rps) / 1000));
    return rows === 0 ? undefined : { start, rows };
  }

  async getBatch(from: Offset | undefined, end: Offset): Promise<Row[]> {
    const e = end as RateOffset;
    const first = (from as RateOffset | undefined)?.rows ?? 0;
    const out: Row[] = [];
    for (let v = first; v < e.rows; v++) out.push({ timestamp: new Date(e.start + Math.floor((v * 1000) / this.rps)), value: v });
    return out;
  }
}

registerSourceFormat('rate', ({ options, clock }) => {
  const rps = Number(options.rowsPerSecond ?? 1);
  if (!(rps > 0)) throw new AnalysisException(`Invalid value '${options.rowsPerSecond}'. The option 'rowsPerSecond' must be positive`);
  const description = `RateStreamV2[rowsPerSecond=${rps}, rampUpTimeSeconds=0, numPartitions=default`;
  const provider: SourceProvider & { schema: StructType } = {
    description,
    schema: SCHEMA,
    createSource: ({ startedAt }) => new RateSource(description, rps, clock, startedAt),
  };
  return provider;
});
