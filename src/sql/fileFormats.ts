/**
 * Rows ↔ the text formats of the file source and sink: JSON lines (or a document per file with
 * `multiLine`), CSV (csv.ts reads it; `header`, `sep`, `multiLine`), text (one `value` per line).
 * Reading JSON and CSV follows the parse mode (`mode`, `columnNameOfCorruptRecord`: parseMode.ts).
 * Shared by readStream, spark.read and the file sink.
 */
import { parseCsvRows } from './csv.js';
import { IllegalArgumentException } from './errors.js';
import { parseJsonRows, readJsonRecord } from './json.js';
import { nullRow } from './jsonValues.js';
import { jsonTimestamp, toJsonText } from './jsonWrite.js';
import { emitRecord, plainPolicy, recordPolicy, type RecordPolicy } from './parseMode.js';
import { DataType, DateValue, StructField, StructType, Types } from './types.js';
import { typedString, type Row } from './values.js';

export type FileFormat = 'json' | 'csv' | 'text';

export interface FormatOptions {
  header?: boolean;
  sep?: string;
  /** Reading: JSON a document per file, CSV quoted fields across lines (Spark's `multiLine`, default false). */
  multiLine?: boolean;
  /** Reading JSON/CSV: what a malformed record becomes; absent, PERMISSIVE without a corrupt-record column. */
  policy?: RecordPolicy;
}

/** The options both sides share (the file sink's). */
export function formatOptions(o: Record<string, string>): FormatOptions {
  return { header: (o.header ?? 'false').toLowerCase() === 'true', sep: delimiter(o.sep ?? o.delimiter ?? ',') };
}

/** Escapes a CSV separator may hold, read as the character they name (`\\t`, typed as two characters: a tab). */
const ESCAPED: Record<string, string> = { t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', "'": "'", n: '\n', '\\': '\\' };

/**
 * The CSV separator `sep` names, as Spark's CSVExprUtils.toDelimiterStr: one or more characters,
 * each escape (`\\t`) read as its character; an empty one refused (splitting at '' never moved
 * on: the reader looped, the writer quoted every field into one).
 */
function delimiter(sep: string): string {
  if (sep === '') throw new IllegalArgumentException('Delimiter cannot be empty string');
  if (sep === '\\u0000') return '\u0000';
  let out = '';
  for (let i = 0; i < sep.length; i++) {
    if (sep[i] !== '\\') {
      out += sep[i];
      continue;
    }
    if (i === sep.length - 1) {
      throw new IllegalArgumentException(
        'Single backslash is prohibited. It has special meaning as beginning of an escape sequence. To get the backslash character, pass a string with two backslashes as the delimiter.',
      );
    }
    const c = ESCAPED[sep[++i]!];
    if (c === undefined) throw new IllegalArgumentException(`Unsupported special character for delimiter: \\${sep[i]}`);
    out += c;
  }
  return out;
}

/**
 * A reader's options for `schema` (`o` is case-insensitive: streaming/options.ts), checked when the
 * reader is made, as Spark's: a corrupt-record column that is not a nullable string is refused, an
 * unknown mode warns once, and `multiLine` must be true or false (Scala's toBoolean).
 */
export function readOptions(o: Record<string, string>, format: FileFormat | 'parquet', schema: StructType): FormatOptions {
  const read = formatOptions(o);
  if (format !== 'json' && format !== 'csv') return read;
  const multiLine = (o.multiLine ?? 'false').toLowerCase();
  if (multiLine !== 'true' && multiLine !== 'false') throw new IllegalArgumentException(`For input string: "${o.multiLine}"`);
  return { ...read, multiLine: multiLine === 'true', policy: recordPolicy(o, schema) };
}

export const TEXT_SCHEMA = new StructType([new StructField('value', Types.STRING)]);

const PLAIN: RecordPolicy = { mode: 'PERMISSIVE', corrupt: undefined };

/** The rows of one file's text. */
export function parseFile(text: string, format: FileFormat, schema: StructType, o: FormatOptions): Row[] {
  if (format === 'text') {
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.map((l) => ({ value: l.endsWith('\r') ? l.slice(0, -1) : l }));
  }
  const policy = o.policy ?? PLAIN;
  if (format === 'csv') return parseCsvRows(text, schema, { sep: o.sep ?? ',', header: o.header ?? false, multiLine: o.multiLine ?? false, policy });
  if (!o.multiLine && plainPolicy(policy)) {
    // A line holding an array of objects is a row for each (Spark's reader).
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => parseJsonRows(l, schema));
  }
  // A record is a line, or with multiLine the whole file (its text is the corrupt-record value).
  const records = o.multiLine ? [text] : text.split('\n').filter((l) => l.trim() !== '').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const out: Row[] = [];
  const nulls = () => nullRow(schema);
  for (const record of records) {
    const { rows, malformed } = readJsonRecord(record, schema);
    emitRecord(out, rows, malformed, record, policy, nulls);
  }
  return out;
}

/**
 * A value as Spark's CSV writer writes it: a DATE `2017-01-01`, a TIMESTAMP as
 * `yyyy-MM-dd'T'HH:mm:ss.SSSXXX` (`2017-01-01T10:00:00.500Z`), a DOUBLE `2.0`, others as CAST.
 */
function csvField(v: unknown, sep: string, t: DataType = Types.STRING): string {
  if (v === null || v === undefined) return '';
  const timestamp = v instanceof Date && (t === Types.TIMESTAMP || (t !== Types.DATE && !(v instanceof DateValue)));
  const s = timestamp ? jsonTimestamp(v) : typedString(v, t);
  return s === '' || s.includes(sep) || /["\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A file's text for rows (the file sink). */
export function formatFile(rows: Row[], format: FileFormat, schema: StructType, o: FormatOptions): string {
  const names = schema.fieldNames;
  if (format === 'json') return rows.map((r) => toJsonText(r, schema) + '\n').join('');
  if (format === 'text') return rows.map((r) => typedString(r[names[0]!], schema.fields[0]!.dataType) + '\n').join('');
  const sep = o.sep ?? ',';
  const types = schema.fields.map((f) => f.dataType);
  const lines = rows.map((r) => names.map((n, i) => csvField(r[n], sep, types[i])).join(sep));
  if (o.header) lines.unshift(names.map((n) => csvField(n, sep)).join(sep));
  return lines.map((l) => l + '\n').join('');
}
