/**
 * A reading position in one shard that survives its iterator: it keeps the live shard iterator
 * between reads (no GetShardIterator per read) and, when the iterator has expired (5 minutes
 * unused) or was never made, makes one from the last position — after the last record read, or
 * the start position before any.
 */
import { awsErrorName } from './errors.js';
import { MAX_RECORDS_PER_CALL, type KinesisRecord, type KinesisStreamClient, type StartPosition } from './client.js';

export class ShardCursor {
  private iterator: string | undefined;
  /** Where the next read starts. */
  position: StartPosition;
  /** The shard is closed and every record of it has been read. */
  ended = false;
  /** MillisBehindLatest of the last read. */
  millisBehindLatest = 0;

  constructor(
    private readonly client: KinesisStreamClient,
    readonly shardId: string,
    start: StartPosition,
  ) {
    this.position = start;
  }

  /** One GetRecords call: at most `limit` records after the position (none once ended). */
  async read(limit = MAX_RECORDS_PER_CALL): Promise<KinesisRecord[]> {
    if (this.ended) return [];
    for (let attempt = 0; ; attempt++) {
      this.iterator ??= await this.client.iterator(this.shardId, this.position);
      try {
        const r = await this.client.getRecords(this.shardId, this.iterator, limit);
        this.iterator = r.nextIterator;
        this.millisBehindLatest = r.millisBehindLatest;
        const last = r.records[r.records.length - 1];
        if (last) this.position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last.sequenceNumber };
        if (r.nextIterator === undefined) this.ended = true;
        return r.records;
      } catch (e) {
        this.iterator = undefined;
        if (attempt === 0 && /ExpiredIterator/.test(awsErrorName((e as { cause?: unknown }).cause ?? e))) continue;
        throw e;
      }
    }
  }

  /**
   * Reads on until `limit` records or `maxBytes` of data (passed by at most one call's worth),
   * the shard's end, the deadline, or caught up (a read returned fewer than asked and
   * MillisBehindLatest is 0, or returned nothing).
   */
  async readUpTo(limit: number, deadline = Infinity, maxBytes = Infinity): Promise<{ records: KinesisRecord[]; bytes: number }> {
    const records: KinesisRecord[] = [];
    let bytes = 0;
    while (records.length < limit && bytes < maxBytes && !this.ended) {
      const ask = Math.min(MAX_RECORDS_PER_CALL, limit - records.length);
      const recs = await this.read(ask);
      for (const r of recs) {
        records.push(r);
        bytes += r.data.byteLength;
      }
      if (recs.length === 0 || (recs.length < ask && this.millisBehindLatest === 0) || Date.now() >= deadline) break;
    }
    return { records, bytes };
  }
}
