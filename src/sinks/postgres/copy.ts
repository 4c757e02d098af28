/**
 * Encoding of rows for `COPY … FROM STDIN WITH (FORMAT csv)`.
 *
 * Every non-NULL value is written quoted (`"…"`, with `"` doubled), so commas, quotes,
 * newlines, backslashes and a lone `\.` line are all data; NULL is the unquoted empty field,
 * which CSV mode never confuses with the quoted empty string `""`. Values are converted to
 * text exactly as node-postgres converts query parameters (Dates, arrays, JSON objects,
 * `toPostgres()`), except binary buffers, which become bytea hex (`\x…`) — or, in a string or
 * json column, their UTF-8 text (`buffersAsInsertStores`).
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
  return csvFields(values) + '\n';
}

function csvFields(values: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    line += csvField(values[i]);
  }
  return line;
}

/**
 * CSV text for the rows, in chunks of roughly `chunkChars` characters. `numbered`: each line ends
 * with one more field, the row's position (the staging table's last column).
 */
export function* csvChunks(rows: readonly (readonly unknown[])[], chunkChars = 256 * 1024, numbered = false): Generator<string> {
  let buf = '';
  for (let i = 0; i < rows.length; i++) {
    buf += numbered ? `${csvFields(rows[i]!)},${i}\n` : csvLine(rows[i]!);
    if (buf.length >= chunkChars) {
      yield buf;
      buf = '';
    }
  }
  if (buf.length > 0) yield buf;
}

/** What a Buffer written to a column becomes, by the column's type (statements.ts's `bufferKinds`). */
export type BufferKind = 'bytea' | 'text' | 'other';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * INSERT sends a Buffer as a binary parameter: a bytea column stores the bytes, a string or json
 * column the bytes read as UTF-8, any other type its binary form. COPY's CSV is text, so a Buffer
 * for a string or json column becomes that UTF-8 text here (bytea hex stays `copyText`'s), and
 * one for any other type is refused: CSV cannot carry a binary form. Rows without a buffer are
 * kept as they are.
 */
export function buffersAsInsertStores(
  values: readonly unknown[][],
  columns: readonly string[],
  kinds: ReadonlyMap<string, BufferKind>,
): unknown[][] {
  return values.map((row) => {
    let out = row;
    for (let c = 0; c < row.length; c++) {
      const v = row[c];
      const kind = kinds.get(columns[c]!);
      if (!ArrayBuffer.isView(v) || kind === undefined || kind === 'bytea') continue;
      if (kind === 'other') {
        throw new TypeError(
          `column ${JSON.stringify(columns[c])} got a binary buffer: COPY writes buffers only to bytea, string and json columns ` +
            "(give the value as text, or use method 'insert', which sends the buffer as the type's binary form)",
        );
      }
      if (out === row) out = [...row];
      try {
        out[c] = utf8.decode(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      } catch {
        throw new TypeError(`column ${JSON.stringify(columns[c])} got a binary buffer that is not UTF-8 text`);
      }
    }
    return out;
  });
}
