/**
 * Parquet files for the file source and sink (`format('parquet')`, Listing 7.13), through the
 * pure-JavaScript hyparquet (read) and hyparquet-writer (write). Types: string → UTF8, integer →
 * INT32, long → INT64, double/float → DOUBLE, boolean, timestamp → TIMESTAMP_MILLIS, binary →
 * BYTE_ARRAY, date → TIMESTAMP_MILLIS, structs and arrays → JSON.
 */
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer, type BasicType } from 'hyparquet-writer';
import { ArrayType, DataType, inferSchema, StructType, Types } from './types.js';
import { castValue, longValue, type Row } from './values.js';

function basicType(t: DataType): BasicType {
  switch (t) {
    case Types.STRING: return 'STRING';
    case Types.INTEGER: return 'INT32';
    case Types.LONG: return 'INT64';
    case Types.DOUBLE:
    case Types.FLOAT: return 'DOUBLE';
    case Types.BOOLEAN: return 'BOOLEAN';
    case Types.TIMESTAMP:
    case Types.DATE: return 'TIMESTAMP';
    case Types.BINARY: return 'BYTE_ARRAY';
  }
  return t instanceof StructType || t instanceof ArrayType ? 'JSON' : 'STRING';
}

export function writeParquet(rows: Row[], schema: StructType): Buffer {
  const columnData = schema.fields.map((f) => {
    const type = basicType(f.dataType);
    const data = rows.map((r) => {
      const v = r[f.name];
      if (v === null || v === undefined) return null;
      if (type === 'INT64') return typeof v === 'bigint' ? BigInt.asIntN(64, v) : BigInt(Math.trunc(Number(v)));
      if (type === 'BYTE_ARRAY') return Buffer.isBuffer(v) ? new Uint8Array(v) : new Uint8Array(Buffer.from(String(v)));
      return v;
    });
    return { name: f.name, data, type };
  });
  return Buffer.from(parquetWriteBuffer({ columnData }));
}

/** The rows of a parquet file, as `schema` types them (the file's own schema when none is given). */
export async function readParquet(buf: Buffer, schema?: StructType): Promise<{ rows: Row[]; schema: StructType }> {
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  const raw = (await parquetReadObjects({ file })) as Row[];
  const norm = raw.map((r) => {
    const out: Row = {};
    // An INT64 is a LONG in its one form (a bigint only past 2^53).
    for (const [k, v] of Object.entries(r)) out[k] = typeof v === 'bigint' ? longValue(v) : v;
    return out;
  });
  const st = schema ?? inferSchema(norm);
  const rows = norm.map((r) => {
    const out: Row = {};
    for (const f of st.fields) {
      const v = r[f.name];
      if (v === null || v === undefined) out[f.name] = null;
      else if (f.dataType === Types.BINARY) out[f.name] = typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.from(v as Uint8Array);
      else if (f.dataType instanceof StructType || f.dataType instanceof ArrayType) out[f.name] = v;
      else out[f.name] = castValue(v, f.dataType);
    }
    return out;
  });
  return { rows, schema: st };
}
