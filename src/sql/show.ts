/**
 * Spark's text table (`df.show()`, the console sink): cells right-aligned, longer than 20
 * characters cut to 17 + `...`, `null` for NULL, doubles with a decimal point (`1.0`), arrays
 * `[a, b]`, structs `{a, b}`, timestamps `yyyy-MM-dd HH:mm:ss`.
 */
import { ArrayType, DataType, StructType, Types } from './types.js';
import { doubleText, formatDate, formatTimestamp, type Row } from './values.js';

export function cellText(v: unknown, t: DataType | undefined): string {
  if (v === null || v === undefined) return 'null';
  if ((t === Types.DOUBLE || t === Types.FLOAT) && typeof v === 'number') return doubleText(v);
  if (t === Types.DATE && v instanceof Date) return formatDate(v);
  if (v instanceof Date) return formatTimestamp(v);
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

/** The table `show(n, truncate)` prints (without the trailing newline Spark's println adds). */
export function showString(schema: StructType, rows: Row[], numRows = 20, truncate: boolean | number = true): string {
  const width = truncate === true ? 20 : truncate === false ? 0 : truncate;
  const cut = (s: string) => (width > 0 && s.length > width ? (width < 4 ? s.slice(0, width) : s.slice(0, width - 3) + '...') : s);
  const names = schema.fieldNames;
  const shown = rows.slice(0, numRows);
  const cells = shown.map((r) => schema.fields.map((f) => cut(cellText(r[f.name], f.dataType))));
  const widths = names.map((n, i) => Math.max(3, cut(n).length, ...cells.map((c) => c[i]!.length)));
  const sep = '+' + widths.map((w) => '-'.repeat(w)).join('+') + '+';
  const line = (vals: string[]) => '|' + vals.map((v, i) => (width > 0 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('|') + '|';
  const out = [sep, line(names.map(cut)), sep, ...cells.map(line), sep];
  if (rows.length > numRows) out.push(`only showing top ${numRows} row${numRows === 1 ? '' : 's'}`);
  return out.join('\n') + '\n';
}
