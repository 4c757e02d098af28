/**
 * Rows ↔ the text formats of the file source and sink: JSON lines (PERMISSIVE), CSV (RFC 4180
 * quoting; `header`, `sep`), text (one `value` per line). Shared by readStream, spark.read and
 * the file sink.
 */
import { parseJsonRows } from './json.js';
import { jsonTimestamp, toJsonText } from './jsonWrite.js';
import { DataType, DateValue, StructField, StructType, Types } from './types.js';
import { castValue, typedString, type Row } from './values.js';

export type FileFormat = 'json' | 'csv' | 'text';

export interface FormatOptions {
  header?: boolean;
  sep?: string;
}

export function formatOptions(o: Record<string, string>): FormatOptions {
  return { header: (o.header ?? 'false').toLowerCase() === 'true', sep: o.sep ?? o.delimiter ?? ',' };
}

export const TEXT_SCHEMA = new StructType([new StructField('value', Types.STRING)]);

/** The rows of one file's text. */
export function parseFile(text: string, format: FileFormat, schema: StructType, o: FormatOptions): Row[] {
  if (format === 'text') {
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.map((l) => ({ value: l.endsWith('\r') ? l.slice(0, -1) : l }));
  }
  if (format === 'json') {
    // A line holding an array of objects is a row for each (Spark's reader).
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => parseJsonRows(l, schema));
  }
  const records = parseCsv(text, o.sep ?? ',');
  if (o.header) records.shift();
  return records.map((fields) => {
    const row: Row = {};
    schema.fields.forEach((f, i) => {
      const v = fields[i];
      row[f.name] = v === undefined || v === null ? null : castValue(v, f.dataType);
    });
    return row;
  });
}

/** CSV records; an unquoted empty field is null (Spark's default nullValue). */
export function parseCsv(text: string, sep: string): (string | null)[][] {
  const out: (string | null)[][] = [];
  let rec: (string | null)[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  let i = 0;
  const endField = () => {
    rec.push(field === '' && !wasQuoted ? null : field);
    field = '';
    wasQuoted = false;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      wasQuoted = true;
    } else if (text.startsWith(sep, i)) {
      endField();
      i += sep.length;
      continue;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField();
      out.push(rec);
      rec = [];
    } else field += c;
    i++;
  }
  if (field !== '' || wasQuoted || rec.length > 0) {
    endField();
    out.push(rec);
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
