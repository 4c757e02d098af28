/**
 * Rows → the value arrays that are written: through `toValues`, or an array in column order, or
 * an object keyed by column name (a missing key is NULL); in update mode one row per key.
 * Pure: a bad row is reported through `fail(what, cause)`, which returns the error to throw.
 */

export type RowFailure = (what: string, cause: unknown) => Error;

export function toValueRows<Row>(
  rows: Iterable<Row>,
  columns: readonly string[],
  toValues: ((row: Row) => readonly unknown[]) | undefined,
  fail: RowFailure,
): unknown[][] {
  const ncols = columns.length;
  const out: unknown[][] = [];
  for (const row of rows) {
    let v: readonly unknown[];
    if (toValues) v = toValues(row);
    else if (Array.isArray(row)) v = row;
    else if (row !== null && typeof row === 'object') {
      const obj = row as Record<string, unknown>;
      v = columns.map((c) => obj[c]);
    } else {
      throw fail(`row ${out.length} is neither an array nor an object (give toValues)`, new TypeError(String(row)));
    }
    if (v.length !== ncols) {
      throw fail(`row ${out.length} has ${v.length} values for ${ncols} columns`, new TypeError(JSON.stringify(v)));
    }
    out.push(v as unknown[]);
  }
  return out;
}

/**
 * `INSERT … ON CONFLICT DO UPDATE` cannot touch the same row twice in one statement, so a
 * batch with a key twice keeps the last row for that key (what a sequence of upserts gives).
 */
export function dedupeByKey(values: unknown[][], columns: readonly string[], keyColumns: readonly string[]): unknown[][] {
  const keyIdx = keyColumns.map((k) => columns.indexOf(k));
  const byKey = new Map<string, unknown[]>();
  for (const row of values) {
    const key = JSON.stringify(keyIdx.map((i) => keyPart(row[i])));
    byKey.delete(key); // re-insert so that the surviving row keeps the position of the last one
    byKey.set(key, row);
  }
  return byKey.size === values.length ? values : [...byKey.values()];
}

function keyPart(v: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return v.toString();
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  return v ?? null;
}
