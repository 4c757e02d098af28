/**
 * KPL aggregation: the Kinesis Producer Library packs several user records into one Kinesis
 * record — the magic bytes F3 89 9A C2, a protobuf `AggregatedRecord`, then the MD5 of that
 * protobuf. The KCL (and so Spark's Kinesis inputs) hands the user records to the application one
 * by one, each with the Kinesis record's sequence number and its index in it (subSequenceNumber);
 * so does this reader (kinesis/client.ts getRecords). A record whose checksum does not match is
 * not an aggregate (the KCL's rule): it is handed over as it is.
 *
 * Wire format (the KPL's messages.proto):
 *   AggregatedRecord { repeated string partition_key_table = 1; repeated string explicit_hash_key_table = 2;
 *                      repeated Record records = 3; }
 *   Record { uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
 *            bytes data = 3; repeated Tag tags = 4; }
 *
 * An aggregate always comes whole in one GetRecords answer, so its user records are in the same
 * batch, read again together by a re-run that starts at its sequence number.
 */
import { createHash } from 'node:crypto';

const MAGIC = [0xf3, 0x89, 0x9a, 0xc2];
const DIGEST = 16;

/** One user record of an aggregate. */
export interface UserRecord {
  partitionKey: string;
  data: Uint8Array;
}

/** Reads protobuf fields: varints and length-delimited values (the only wire types the format uses, besides skipping others). */
class ProtoReader {
  private i: number;
  constructor(
    private readonly b: Uint8Array,
    from: number,
    private readonly end: number,
  ) {
    this.i = from;
  }

  get done(): boolean {
    return this.i >= this.end;
  }

  varint(): number {
    let v = 0;
    let scale = 1;
    for (let n = 0; n < 10; n++) {
      if (this.i >= this.end) throw new Error('truncated varint');
      const byte = this.b[this.i++]!;
      v += (byte & 0x7f) * scale;
      if (byte < 0x80) return v;
      scale *= 128;
    }
    throw new Error('varint too long');
  }

  bytes(): Uint8Array {
    const n = this.varint();
    if (this.i + n > this.end) throw new Error('truncated field');
    const out = this.b.subarray(this.i, this.i + n);
    this.i += n;
    return out;
  }

  /** Skips a field of `wireType` (0 varint, 1 64-bit, 2 length-delimited, 5 32-bit). */
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.bytes();
    else if (wireType === 1 || wireType === 5) this.i += wireType === 1 ? 8 : 4;
    else throw new Error(`unknown wire type ${wireType}`);
    if (this.i > this.end) throw new Error('truncated field');
  }
}

const text = new TextDecoder();

/** The user records of `data` when it is a KPL aggregate (magic bytes, a valid checksum), else undefined. */
export function deaggregate(data: Uint8Array): UserRecord[] | undefined {
  if (data.length < MAGIC.length + DIGEST || MAGIC.some((m, k) => data[k] !== m)) return undefined;
  const end = data.length - DIGEST;
  const digest = createHash('md5').update(data.subarray(MAGIC.length, end)).digest();
  if (!digest.equals(data.subarray(end))) return undefined;
  try {
    const keys: string[] = [];
    const records: Array<{ key: number; data: Uint8Array }> = [];
    const r = new ProtoReader(data, MAGIC.length, end);
    while (!r.done) {
      const tag = r.varint();
      const field = Math.floor(tag / 8);
      if (field === 1 && tag % 8 === 2) keys.push(text.decode(r.bytes()));
      else if (field === 3 && tag % 8 === 2) {
        const body = r.bytes();
        const rec = new ProtoReader(body, 0, body.length);
        let key = 0;
        let payload: Uint8Array = new Uint8Array(0);
        while (!rec.done) {
          const t = rec.varint();
          if (t === 8) key = rec.varint();
          else if (t === 26) payload = rec.bytes().slice(); // its own copy: the aggregate's buffer is not kept
          else rec.skip(t % 8);
        }
        records.push({ key, data: payload });
      } else r.skip(tag % 8);
    }
    return records.map((x) => ({ partitionKey: keys[x.key] ?? '', data: x.data }));
  } catch {
    return undefined; // not the format after all: the record as it is
  }
}
