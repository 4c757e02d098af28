/**
 * from_json's options (Spark's JsonToStructs): `mode` PERMISSIVE (the default) or FAILFAST — a
 * malformed document fails the query with MALFORMED_RECORD_IN_PARSING; DROPMALFORMED is refused,
 * as a function must give one value per row — and `columnNameOfCorruptRecord` (default
 * `_corrupt_record`): a string field so named gets a malformed document's text (null for a good one).
 * Option names are case-insensitive. Checked when the call is bound.
 */
import { AnalysisException } from './errors.js';
import { parseJsonRow, readJsonDocument } from './json.js';
import { nullRow } from './jsonValues.js';
import { corruptRecordColumn, DEFAULT_CORRUPT_RECORD_COLUMN, emitRecord, parseMode, type RecordPolicy } from './parseMode.js';
import { caseInsensitiveOptions } from './streaming/options.js';
import type { StructType } from './types.js';
import type { Row } from './values.js';

/** The document's row for `schema` under `options`: null for blank text. */
export function fromJsonReader(schema: StructType, options: Readonly<Record<string, unknown>> = {}): (text: string) => Row | null {
  const o = caseInsensitiveOptions(Object.fromEntries(Object.entries(options).map(([k, v]) => [k, String(v)])));
  const mode = parseMode(o.mode);
  if (mode === 'DROPMALFORMED') {
    throw new AnalysisException("from_json() doesn't support the DROPMALFORMED mode. Acceptable modes are PERMISSIVE and FAILFAST.");
  }
  const corrupt = corruptRecordColumn(schema, o.columnNameOfCorruptRecord ?? DEFAULT_CORRUPT_RECORD_COLUMN, false);
  if (mode === 'PERMISSIVE' && corrupt === undefined) return (text) => parseJsonRow(text, schema);
  const policy: RecordPolicy = { mode, corrupt };
  const nulls = () => nullRow(schema);
  return (text) => {
    const { rows, malformed } = readJsonDocument(text, schema);
    if (rows.length === 0 && !malformed) return null;
    const out: Row[] = [];
    emitRecord(out, rows, malformed, text, policy, nulls);
    return out[0]!;
  };
}
