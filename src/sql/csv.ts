/**
 * CSV text → rows (the file source and spark.read), as Spark's CSV reader (univocity) with its
 * defaults: `"` quotes a field, `""` inside quotes is a quote, an unquoted empty field is null,
 * blank lines are skipped, and with `header` the first record is.
 *
 * Records are lines, as Spark's default `multiLine=false` reads a file line by line: a quote
 * cannot span lines, and one left open takes the rest of its line only (one stray quote must not
 * swallow the rest of the file). With `multiLine` a quoted field holds line breaks, and a quote
 * still open at the end of the file makes its record malformed.
 *
 * A record is malformed when it has more or fewer fields than the schema (without the
 * corrupt-record column), or when a non-empty field does not parse as its field's type (an
 * integral one as an integer, a boolean as true or false: Spark's toInt/toBoolean); the parse
 * mode (parseMode.ts) decides what follows. PERMISSIVE keeps the fields that did cast, nulls for
 * the rest (a missing field is null, an extra one dropped).
 */
import { emitRecord, type RecordPolicy } from './parseMode.js';
import { Types, type DataType, type StructType } from './types.js';
import { castValue, type Row } from './values.js';

export interface CsvReadOptions {
  sep: string;
  header: boolean;
  multiLine: boolean;
  policy: RecordPolicy;
}

/**
 * Calls `record` for each record of `text`: its fields, where its text starts and ends, and
 * whether it ended inside a quote (multiLine: at the end of the file).
 */
function scanRecords(
  text: string,
  sep: string,
  multiLine: boolean,
  record: (fields: (string | null)[], start: number, end: number, open: boolean) => void,
): void {
  let fields: (string | null)[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  let start = 0;
  const endField = (): void => {
    fields.push(field === '' && !wasQuoted ? null : field);
    field = '';
    wasQuoted = false;
  };
  const endRecord = (end: number): void => {
    // A blank line is no record (univocity's skipEmptyLines; a line of spaces too, as Spark's
    // filterCommentAndEmpty, when records are lines).
    const blank = fields.length === 0 && !wasQuoted && (multiLine ? field === '' : field.trim() === '');
    if (!blank) {
      endField();
      record(fields, start, end, multiLine && quoted);
    }
    fields = [];
    field = '';
    wasQuoted = false;
    quoted = false;
  };
  let i = 0;
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
        i++;
        continue;
      }
      // Records are lines: an open quote ends with its line.
      if (multiLine || (c !== '\n' && c !== '\r')) {
        field += c;
        i++;
        continue;
      }
      quoted = false;
    }
    if (c === '"' && field === '') {
      quoted = true;
      wasQuoted = true;
    } else if (text.startsWith(sep, i)) {
      endField();
      i += sep.length;
      continue;
    } else if (c === '\n' || c === '\r') {
      endRecord(i);
      if (c === '\r' && text[i + 1] === '\n') i++;
      start = i + 1;
    } else field += c;
    i++;
  }
  if (start < text.length || quoted) endRecord(text.length);
}

// Spark's CSV reader parses an integral field with toInt/toLong and a boolean with toBoolean,
// stricter than CAST (which reads '1.5' as INT 1 and 'yes' as true): those are malformed here too.
const INTEGRAL = /^\s*[+-]?\d+\s*$/;
const BOOLEAN = /^\s*(true|false)\s*$/i;

function fitsStrictly(token: string, t: DataType): boolean {
  if (t === Types.INTEGER || t === Types.LONG) return INTEGRAL.test(token);
  if (t === Types.BOOLEAN) return BOOLEAN.test(token);
  return true;
}

/** The rows of one CSV file's text, under the parse mode. */
export function parseCsvRows(text: string, schema: StructType, o: CsvReadOptions): Row[] {
  const { policy } = o;
  const corrupt = policy.corrupt;
  const fields = schema.fields;
  // The tokens fill the schema's fields but the corrupt-record column.
  const expected = corrupt === undefined ? fields.length : fields.length - 1;
  const out: Row[] = [];
  let header = o.header;
  scanRecords(text, o.sep, o.multiLine, (tokens, start, end, open) => {
    if (header) {
      header = false;
      return;
    }
    let malformed = open || tokens.length !== expected;
    const row: Row = {};
    let j = 0;
    for (const f of fields) {
      if (f.name === corrupt) {
        row[f.name] = null;
        continue;
      }
      const token = tokens[j++];
      if (token === undefined || token === null) {
        row[f.name] = null;
        continue;
      }
      const v = fitsStrictly(token, f.dataType) ? castValue(token, f.dataType) : null;
      // An empty quoted field is Spark's nullValue for a non-string: null, not malformed.
      if (v === null && token !== '') malformed = true;
      row[f.name] = v;
    }
    if (!malformed && corrupt === undefined) out.push(row);
    else emitRecord(out, [row], malformed, text.slice(start, end), policy, () => row);
  });
  return out;
}
