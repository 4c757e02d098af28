/**
 * Spark's text table (`df.show()`, the console sink): cells right-aligned, longer than 20
 * characters cut to 17 + `...`, `NULL` for NULL (Spark 3.5's text, inside arrays and structs too), doubles with a decimal point (`1.0`), arrays
 * `[a, b]`, structs `{a, b}`, timestamps `yyyy-MM-dd HH:mm:ss`, dates `yyyy-MM-dd`; control
 * characters escaped (`\n`) and CJK characters counted two columns wide, as Spark does.
 */
import { ArrayType, DataType, DateValue, StructType, Types } from './types.js';
import { formatDate, formatTimestamp } from './datetime.js';
import { doubleText, floatText, type Row } from './values.js';

export function cellText(v: unknown, t: DataType | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  if (t === Types.DOUBLE && typeof v === 'number') return doubleText(v);
  if (t === Types.FLOAT && typeof v === 'number') return floatText(v);
  if (v instanceof Date) return t === Types.DATE || (t !== Types.TIMESTAMP && v instanceof DateValue) ? formatDate(v) : formatTimestamp(v);
  if (Buffer.isBuffer(v)) return `[${[...v].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ')}]`;
  if (Array.isArray(v)) {
    const el = t instanceof ArrayType ? t.elementType : undefined;
    return `[${v.map((x) => cellText(x, el)).join(', ')}]`;
  }
  if (typeof v === 'object') {
    const fields = t instanceof StructType ? t.fields : undefined;
    return `{${Object.values(v as Row).map((x, i) => cellText(x, fields?.[i]?.dataType)).join(', ')}}`;
  }
  return String(v);
}

/** Spark's SchemaUtils.escapeMetaCharacters: control characters that would break the table, written as escapes. */
const META: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\f': '\\f', '\b': '\\b', '\u000b': '\\v', '\u0007': '\\a' };

function escapeMeta(s: string): string {
  return s.replace(/[\n\r\t\f\b\u000b\u0007]/g, (c) => META[c]!);
}

/** Spark's Utils.stringHalfWidth's full-width characters (CJK, Hangul, full-width forms): each takes two columns. */
const FULL_WIDTH = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE10-\uFE19\uFE30-\uFE6F\uFF00-\uFF60\uFFE0-\uFFE6]/g;

/** The columns a string takes in the table: its UTF-16 length plus one for each full-width character. */
export function displayWidth(s: string): number {
  return s.length + (s.match(FULL_WIDTH)?.length ?? 0);
}

/**
 * The table `show(n, truncate)` prints (without the trailing newline Spark's println adds).
 * Headers are never cut; cells longer than `truncate` are; columns are padded by display width.
 */
export function showString(schema: StructType, rows: Row[], numRows = 20, truncate: boolean | number = true): string {
  const width = truncate === true ? 20 : truncate === false ? 0 : truncate;
  const cut = (s: string) => (width > 0 && s.length > width ? (width < 4 ? s.slice(0, width) : s.slice(0, width - 3) + '...') : s);
  const names = schema.fieldNames.map(escapeMeta);
  const shown = rows.slice(0, numRows);
  const cells = shown.map((r) =>
    schema.fields.map((f) => {
      const v = r[f.name];
      const text = cellText(v, f.dataType);
      return cut(Buffer.isBuffer(v) ? text : escapeMeta(text));
    }),
  );
  const widths = names.map((n, i) => Math.max(3, displayWidth(n), ...cells.map((c) => displayWidth(c[i]!))));
  const sep = '+' + widths.map((w) => '-'.repeat(w)).join('+') + '+';
  const pad = (v: string, i: number) => {
    const fill = ' '.repeat(Math.max(0, widths[i]! - displayWidth(v)));
    return width > 0 ? fill + v : v + fill;
  };
  const line = (vals: string[]) => '|' + vals.map(pad).join('|') + '|';
  const out = [sep, line(names), sep, ...cells.map(line), sep];
  if (rows.length > numRows) out.push(`only showing top ${numRows} row${numRows === 1 ? '' : 's'}`);
  return out.join('\n') + '\n';
}
