// The default batch cap every input with a backlog uses (src/rate/BatchCap.ts): a conservative
// start, then about one batch interval of the rate the job has shown, bounded in records and bytes.
import { describe, expect, it } from 'vitest';
import { BatchCap, DEFAULT_BATCH_CAP, shareByLag } from '../../src/rate/BatchCap.js';

describe('BatchCap', () => {
  it('starts conservative: 100 000 records and 16 MiB until a batch completed', () => {
    const cap = new BatchCap(1000);
    expect(cap.current).toEqual({ records: DEFAULT_BATCH_CAP.startRecords, bytes: DEFAULT_BATCH_CAP.startBytes });
    expect(cap.records()).toBe(100_000);
    expect(cap.bytes()).toBe(16 * 1024 * 1024);
  });

  it('then takes what the job processes in one batch interval, within [minRecords, maxRecords]', () => {
    const cap = new BatchCap(2000);
    cap.observe(100_000, undefined, 500, 100_000); // 200 000 records/s
    expect(cap.rate).toBe(200_000);
    expect(cap.recordsLimit).toBe(400_000);
    cap.observe(400_000, undefined, 400, 400_000); // 1 M records/s: bounded by maxRecords
    expect(cap.recordsLimit).toBe(DEFAULT_BATCH_CAP.maxRecords);
    cap.observe(400_000, undefined, 8_000_000, 400_000); // 50 records/s: at least minRecords
    expect(cap.recordsLimit).toBe(DEFAULT_BATCH_CAP.minRecords);
  });

  it('a small batch says nothing about the rate (per-batch overhead dominates it)', () => {
    const cap = new BatchCap(1000);
    cap.observe(10, undefined, 50, 100_000);
    expect(cap.rate).toBeUndefined();
    expect(cap.recordsLimit).toBe(100_000);
  });

  it('the bytes limit, read through the bytes per record seen, bounds records (Kafka) and records bound bytes (files)', () => {
    const cap = new BatchCap(1000);
    cap.sample(1, 1024 * 1024); // 1 MiB records, from a sample before the first batch
    expect(cap.records()).toBe(16); // 16 MiB at first
    cap.observe(16, 16 * 1024 * 1024, 100, 16);
    expect(cap.bytesLimit).toBe(64 * 1024 * 1024);
    expect(cap.records()).toBeLessThanOrEqual(64);
    const small = new BatchCap(1000);
    small.observe(200_000, 200_000 * 10, 1000, 200_000); // 10-byte records, 200 000 records/s
    expect(small.bytes()).toBe(2_000_000);
  });

  it('limits given replace the defaults; a maximum bounds the start too', () => {
    const cap = new BatchCap(1000, { maxRecords: 5000, maxBytes: 1e6 });
    expect(cap.current).toEqual({ records: 5000, bytes: 1e6 });
    expect(() => new BatchCap(1000, { maxRecords: -1 })).toThrow(/maxRecords must be a positive number/);
    expect(() => new BatchCap(0)).toThrow(/batch duration must be positive/);
  });
});

describe('shareByLag', () => {
  it('shares in proportion to lag, summing to at most the total', () => {
    expect(shareByLag(100, new Map([['a', 300], ['b', 100]]))).toEqual(new Map([['a', 75], ['b', 25]]));
    const s = shareByLag(10, new Map([['a', 1], ['b', 1], ['c', 1]]));
    expect([...s.values()].reduce((x, y) => x + y)).toBe(10);
    expect(shareByLag(10, new Map([['a', 0], ['b', 0]]))).toEqual(new Map([['a', 5], ['b', 5]]));
  });
});
