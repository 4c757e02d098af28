/**
 * Spark's MemoryStream, for tests and teaching: `addData(...)` appends rows; each trigger takes
 * what was added since the last one. Offsets are the index of the last item (0 after the first
 * addData, as Spark's LongOffset). Primitives give one column `value`; objects a column per field.
 * The schema comes from the constructor, else from the data added before `toDF()`, else from the
 * first data added later (see PendingStructType).
 */
import { DataFrame, type DataFrameSession } from '../DataFrame.js';
import { StreamScan } from '../plan.js';
import { DataType, inferSchema, parseDataType, PendingStructType, StructField, StructType, toSchema } from '../types.js';
import type { Row } from '../values.js';
import type { Offset, ReadLimits, Source, SourceProvider } from './Source.js';

let nextMemoryStreamId = 0;

interface SessionLike extends DataFrameSession {}

export class MemoryStream<T = unknown> implements SourceProvider, Source {
  readonly id = nextMemoryStreamId++;
  private readonly items: Row[] = [];
  private explicit: StructType | undefined;
  private fixed: StructType | undefined;
  private primitive: boolean | undefined;

  /** `schema`: a StructType or DDL (object items), or a type for primitives (`'integer'`). */
  constructor(
    private readonly session: SessionLike,
    schema?: StructType | DataType | string,
  ) {
    if (session === null || typeof session !== 'object') throw new TypeError('new MemoryStream(spark) needs the SparkSession');
    if (schema instanceof StructType) this.explicit = schema;
    else if (schema instanceof DataType) this.explicit = new StructType([new StructField('value', schema)]);
    else if (typeof schema === 'string') {
      this.explicit = /[\s,:]/.test(schema.trim()) ? toSchema(schema) : new StructType([new StructField('value', parseDataType(schema))]);
    }
  }

  get description(): string {
    return `MemoryStream[${this.schema.fieldNames.join(',')}]`;
  }

  get schema(): StructType {
    if (this.fixed) return this.fixed;
    if (this.explicit) return (this.fixed = this.explicit);
    if (this.items.length > 0) return (this.fixed = inferSchema(this.items));
    // toDF() before any data: the schema is whatever the data will be.
    return (this.fixed = new PendingStructType(() => (this.items.length > 0 ? (this.inferredLate ??= inferSchema(this.items)) : undefined)));
  }
  private inferredLate: StructType | undefined;

  /** Appends items; returns the offset they end at. */
  addData(...items: (T | T[])[]): number {
    const flat = items.length === 1 && Array.isArray(items[0]) ? (items[0] as T[]) : (items as T[]);
    for (const item of flat) {
      const primitive = item === null || typeof item !== 'object' || item instanceof Date || Buffer.isBuffer(item);
      this.primitive ??= primitive;
      if (this.primitive !== primitive) throw new TypeError('MemoryStream: mix of primitive values and objects');
      this.items.push(primitive ? { value: item } : ({ ...(item as object) } as Row));
    }
    return this.items.length - 1;
  }

  toDF(): DataFrame {
    return new DataFrame(this.session, new StreamScan(this.schema, this as SourceProvider, this.description));
  }

  createSource(): Source {
    return this;
  }

  async latestOffset(_start?: Offset, limits: ReadLimits = {}): Promise<Offset | undefined> {
    const last = this.items.length === 0 ? undefined : this.items.length - 1;
    return limits.upTo && last !== undefined ? (limits.upTo.end as number | undefined) : last;
  }

  async getBatch(start: Offset | undefined, end: Offset): Promise<Row[]> {
    const from = start === undefined || start === null ? 0 : (start as number) + 1;
    const names = this.schema.fieldNames;
    // Every row carries every column (null when an object lacks a field).
    return this.items.slice(from, (end as number) + 1).map((r) => {
      const out: Row = {};
      for (const n of names) out[n] = r[n] ?? null;
      return out;
    });
  }
}
