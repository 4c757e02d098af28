/**
 * JSON ↔ rows, as Spark's JSON data source and from_json/to_json read and write them.
 * PERMISSIVE: a malformed document gives a row whose fields are all null; a field whose value
 * does not convert to its type is null. A string field takes any JSON value as its text
 * (`"mtime": 1629054000000` read as `"1629054000000"`, as Spark's parser does).
 */
import { ArrayType, DataType, StructType, Types } from './types.js';
import { castValue, formatTimestamp, parseTimestampText, type Row } from './values.js';

/** The row a malformed document gives. */
export function nullRow(schema: StructType): Row {
  const out: Row = {};
  for (const f of schema.fields) out[f.name] = null;
  return out;
}

/** Parses one JSON document into a row of `schema` (PERMISSIVE). */
export function parseJsonRow(text: string | null, schema: StructType): Row | null {
  if (text === null || text === undefined) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return nullRow(schema);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return nullRow(schema);
  return convertStruct(doc as Row, schema);
}

function convertStruct(o: Row, schema: StructType): Row {
  const out: Row = {};
  for (const f of schema.fields) out[f.name] = convert(o[f.name], f.dataType);
  return out;
}

/** A parsed JSON value as a value of type `t`, or null. */
export function convert(v: unknown, t: DataType): unknown {
  if (v === null || v === undefined) return null;
  if (t instanceof StructType) return typeof v === 'object' && !Array.isArray(v) ? convertStruct(v as Row, t) : null;
  if (t instanceof ArrayType) return Array.isArray(v) ? v.map((x) => convert(x, t.elementType)) : null;
  switch (t) {
    case Types.STRING:
      return typeof v === 'string' ? v : JSON.stringify(v);
    case Types.INTEGER:
    case Types.LONG:
      return typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' ? castValue(v, t) : null;
    case Types.DOUBLE:
    case Types.FLOAT:
      return typeof v === 'number' ? v : typeof v === 'string' ? castValue(v, t) : null;
    case Types.BOOLEAN:
      return typeof v === 'boolean' ? v : null;
    case Types.TIMESTAMP:
    case Types.DATE: {
      if (typeof v === 'number') return castValue(v, t);
      if (typeof v !== 'string') return null;
      const ms = parseTimestampText(v);
      return ms === null ? null : castValue(new Date(ms), t);
    }
    case Types.BINARY:
      return typeof v === 'string' ? Buffer.from(v, 'base64') : null;
  }
  return null;
}

/** A value as JSON (to_json, the json file sink, the kafka sink's default). */
export function toJsonValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return formatTimestamp(v).replace(' ', 'T') + (v.getUTCMilliseconds() === 0 ? '.000Z' : 'Z');
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (typeof v === 'object') {
    const out: Row = {};
    // Spark omits null fields when writing JSON.
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = toJsonValue(x);
    return out;
  }
  return v;
}

export function toJsonText(v: unknown): string {
  return JSON.stringify(toJsonValue(v));
}
