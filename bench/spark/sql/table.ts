// The table t, shared by both sides: every cell a string (or null) cast to the column's type.
export const COLS: [string, string][] = [['s', 'STRING'], ['i', 'INT'], ['l', 'BIGINT'], ['d', 'DOUBLE'], ['dt', 'DATE'], ['ts', 'TIMESTAMP']];
export const ROWS: (string | null)[][] = [
  ['Hello World', '1', '10000000000', '1.5', '2020-02-29', '2020-02-29 12:34:56.789'],
  ['  padded  ', '-7', '-9223372036854775808', '-2.5', '1969-12-31', '1969-12-31 23:59:59.999999'],
  ['2024-12-31', '2147483647', '9223372036854775807', '0.1', '2024-12-31', '2024-12-31 23:59:59'],
  ['Ünïcödé ß', '0', '0', '-0.0', '1900-03-01', '1900-01-01 00:00:00'],
  [null, null, null, null, null, null],
  ['a,b,,c', '-2147483648', '-1', '1e-7', '0001-01-01', '2021-01-03 00:00:00.5'],
];
export function sparkTableSql(): string {
  const lit = (v: string | null) => (v === null ? 'NULL' : `'${v.replace(/'/g, "\\'")}'`);
  return `SELECT ${COLS.map(([n, t], k) => `CAST(c${k} AS ${t}) AS ${n}`).join(', ')} FROM VALUES ${ROWS.map((r) => `(${r.map(lit).join(', ')})`).join(', ')} AS v(${COLS.map((_, k) => `c${k}`).join(', ')})`;
}
