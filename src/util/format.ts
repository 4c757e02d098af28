/** Python-repr style quoting, as PySpark prints strings inside tuples. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + quote;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return out + quote;
}

/** One value as pprint shows it: strings quoted, other values as JSON (undefined as `None`, as Python would). */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return pyRepr(v);
  if (v === undefined) return 'None';
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Map) return jsonText([...v])!;
  if (v instanceof Set) return jsonText([...v])!;
  return jsonText(v) ?? String(v);
}

/** One element as pprint shows it: a pair as `('key', value)`, anything else as {@link formatValue}. */
export function formatElement(e: unknown): string {
  if (Array.isArray(e) && e.length === 2) return `(${formatValue(e[0])}, ${formatValue(e[1])})`;
  return formatValue(e);
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * `YYYY-MM-DD HH:mm:ss` in local time, and `.ffffff` (microseconds) when there is a fraction of a
 * second: str() of the Python datetime PySpark's pprint prints, so batches under a second apart
 * have distinct headers.
 */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  const fraction = d.getMilliseconds() === 0 ? '' : `.${pad(d.getMilliseconds(), 3)}000`;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${fraction}`
  );
}

/** JSON, a bigint anywhere inside written as its digits, as a number (JSON.stringify throws on one). */
function jsonText(v: unknown): string | undefined {
  let big = false;
  const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? ((big = true), `\u0000${x}\u0000`) : x));
  return big ? text?.replace(/"\\u0000(-?\d+)\\u0000"/g, '$1') : text;
}
