/**
 * Rows → the value arrays that are written: through `toValues`, or an array in column order, or
 * an object keyed by column name (a missing key is NULL); in update mode one row per key.
 * Pure: a bad row is reported through `fail(what, cause)`, which returns the error to throw.
 */

export type RowFailure = (what: string, cause: unknown) => Error;

/**
 * A row as the sink takes it without `toValues`: an array of values in column order, or an object
 * keyed by column name. The default row type of `new PostgresSink(…)`, so both work without a cast.
 */
export type SinkRow = Readonly<Record<string, unknown>> | readonly unknown[];

/** bigint (int8) and numeric text → a number when exact, else a bigint (integers) or a double. */
function readNumber(text: string): number | bigint {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  return Number(text); // a fraction, NaN, ±Infinity: a double, as node-postgres reads float8
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * node-postgres reads int8 and numeric as strings (they may not fit a double); `readRows` gives
 * numbers — or a bigint for an integer past 2^53 — for the state a job restarts from.
 */
export function readTypes(base: { getTypeParser(oid: number, format?: 'text' | 'binary'): unknown }) {
  return {
    getTypeParser(oid: number, format?: 'text' | 'binary'): unknown {
      if ((format ?? 'text') === 'text' && (oid === INT8_OID || oid === NUMERIC_OID)) return readNumber;
      return base.getTypeParser(oid, format);
    },
  };
}

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
 * A first pass only: keys told apart here may still be equal to PostgreSQL (numeric rounding,
 * jsonb key order, 5 and 5n), which write.ts leaves to the database.
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

/** A key value as JSON that tells apart what PostgreSQL tells apart (JSON writes NaN and ±Infinity as null). */
function keyPart(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : ['number', String(v)];
  if (v instanceof Date) return ['date', String(v.getTime())];
  if (typeof v === 'bigint') return ['bigint', v.toString()];
  if (ArrayBuffer.isView(v)) return ['bytes', Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')];
  return v ?? null;
}
