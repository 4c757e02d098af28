/**
 * What a malformed record becomes, as Spark's FailureSafeParser decides for the JSON and CSV
 * readers and from_json (option `mode`, its value case-insensitive):
 *
 * - PERMISSIVE (the default): a row is kept — the fields that parsed (a partial result) and nulls
 *   for the rest — and, when the schema has a string column named by `columnNameOfCorruptRecord`
 *   (default `_corrupt_record`), the record's text goes there (null for a good record);
 * - DROPMALFORMED: the record gives no row;
 * - FAILFAST: the read fails (a streaming query terminates) with MALFORMED_RECORD_IN_PARSING.
 *
 * A record is malformed when the format's parser says so (json.ts, csv.ts); the parsers only
 * report it, this module decides what follows.
 */
import { AnalysisException } from './errors.js';
import { StructType, Types } from './types.js';
import type { Row } from './values.js';

export type ParseMode = 'PERMISSIVE' | 'DROPMALFORMED' | 'FAILFAST';

/** A failure while running a job (Spark's org.apache.spark.SparkException): here, a malformed record under FAILFAST. */
export class SparkException extends Error {
  override name = 'SparkException';
}

export const DEFAULT_CORRUPT_RECORD_COLUMN = '_corrupt_record';

/** The `mode` option's value; an unknown one is PERMISSIVE with Spark's warning (ParseMode.fromString). */
export function parseMode(value: string | undefined): ParseMode {
  if (value === undefined) return 'PERMISSIVE';
  const mode = value.toUpperCase();
  if (mode === 'PERMISSIVE' || mode === 'DROPMALFORMED' || mode === 'FAILFAST') return mode;
  console.warn(`${value} is not a valid parse mode. Using PERMISSIVE.`);
  return 'PERMISSIVE';
}

/**
 * The corrupt-record column, when `schema` has a field so named (matched case-sensitively, as
 * Spark's getFieldIndex). Spark refuses one that is not a nullable string
 * (verifyColumnNameOfCorruptRecord); from_json makes its schema nullable first, so it checks the type only.
 */
export function corruptRecordColumn(schema: StructType, name: string, mustBeNullable = true): string | undefined {
  const field = schema.fields.find((f) => f.name === name);
  if (field === undefined) return undefined;
  if (field.dataType !== Types.STRING || (mustBeNullable && !field.nullable)) {
    throw new AnalysisException('The field for corrupt records must be string type and nullable');
  }
  return name;
}

/** How one reader treats malformed records. */
export interface RecordPolicy {
  mode: ParseMode;
  /** The corrupt-record column when the schema has one. */
  corrupt: string | undefined;
}

/** The options' policy for `schema` (the mode warns here, so once per reader). */
export function recordPolicy(options: Readonly<Record<string, string | undefined>>, schema: StructType): RecordPolicy {
  const corrupt = corruptRecordColumn(schema, options.columnNameOfCorruptRecord ?? DEFAULT_CORRUPT_RECORD_COLUMN);
  return { mode: parseMode(options.mode), corrupt };
}

/** Whether the policy changes anything: PERMISSIVE without a corrupt column keeps a reader's plain path. */
export function plainPolicy(p: RecordPolicy): boolean {
  return p.mode === 'PERMISSIVE' && p.corrupt === undefined;
}

// A whole multiLine file can be the record: the message shows its start.
const SHOWN = 1000;

export function malformedRecordError(record: string): SparkException {
  const shown = record.length > SHOWN ? `${record.slice(0, SHOWN)}…` : record;
  return new SparkException(
    `[MALFORMED_RECORD_IN_PARSING] Malformed records are detected in record parsing: ${shown}. Parse Mode: FAILFAST. ` +
      "To process malformed records as null result, try setting the option 'mode' as 'PERMISSIVE'.",
  );
}

/**
 * Adds one record's rows to `out` as the policy says. `rows` are what parsed (for a malformed
 * record its partial result, possibly none: then one row of nulls, from `nulls`); `text` is the
 * record (the corrupt column's value).
 */
export function emitRecord(out: Row[], rows: Row[], malformed: boolean, text: string, p: RecordPolicy, nulls: () => Row): void {
  const corrupt = p.corrupt;
  if (!malformed) {
    for (const r of rows) {
      if (corrupt !== undefined) r[corrupt] = null;
      out.push(r);
    }
    return;
  }
  if (p.mode === 'FAILFAST') throw malformedRecordError(text);
  if (p.mode === 'DROPMALFORMED') return;
  if (rows.length === 0) rows = [nulls()];
  for (const r of rows) {
    if (corrupt !== undefined) r[corrupt] = text;
    out.push(r);
  }
}
