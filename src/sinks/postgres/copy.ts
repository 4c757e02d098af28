/**
 * Encoding of rows for `COPY … FROM STDIN WITH (FORMAT csv)`.
 *
 * Every non-NULL value is written quoted (`"…"`, with `"` doubled), so commas, quotes,
 * newlines, backslashes and a lone `\.` line are all data; NULL is the unquoted empty field,
 * which CSV mode never confuses with the quoted empty string `""`. Values are converted to
 * text exactly as node-postgres converts query parameters (Dates, arrays, JSON objects,
 * `toPostgres()`), except binary buffers, which become bytea hex (`\x…`).
 */
import pg from 'pg';

type PrepareValue = (value: unknown) => unknown;
const prepareValue: PrepareValue = (pg as unknown as { utils: { prepareValue: PrepareValue } }).utils.prepareValue;

/** The text form of a value for COPY, or null for SQL NULL. */
export function copyText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (ArrayBuffer.isView(value)) {
    const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return '\\x' + buf.toString('hex');
  }
  const prepared = prepareValue(value);
  if (prepared === null || prepared === undefined) return null;
  if (Buffer.isBuffer(prepared)) return '\\x' + prepared.toString('hex');
  return String(prepared);
}

export function csvField(value: unknown): string {
  const text = copyText(value);
  if (text === null) return '';
  return '"' + text.replace(/"/g, '""') + '"';
}

export function csvLine(values: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    line += csvField(values[i]);
  }
  return line + '\n';
}

/** CSV text for the rows, in chunks of roughly `chunkBytes` characters. */
export function* csvChunks(rows: readonly (readonly unknown[])[], chunkChars = 256 * 1024): Generator<string> {
  let buf = '';
  for (const row of rows) {
    buf += csvLine(row);
    if (buf.length >= chunkChars) {
      yield buf;
      buf = '';
    }
  }
  if (buf.length > 0) yield buf;
}
