import { describe, expect, it } from 'vitest';
import { compactionDue } from '../../src/checkpoint/compactionPacing.js';

describe('compaction pacing', () => {
  it('the first compaction is always due', () => {
    expect(compactionDue(undefined, 0)).toBe(true);
  });

  it('after one that took 20 ms, the next waits until compactions have taken a tenth of the time since', () => {
    const last = { began: 1000, took: 20 };
    expect(compactionDue(last, 1020)).toBe(false); // just ended
    expect(compactionDue(last, 1199)).toBe(false);
    expect(compactionDue(last, 1200)).toBe(true);
  });

  it('quick compactions stay due at every checkpoint interval of short batches', () => {
    // A 0.1 ms compaction, batches every 2 ms: due again at the next interval.
    expect(compactionDue({ began: 0, took: 0.1 }, 2)).toBe(true);
  });
});
