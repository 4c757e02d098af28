// pprint's header time: str() of the Python datetime PySpark prints — `.ffffff` only when the
// batch time has a fraction of a second, so batches under a second apart print distinct headers.
import { describe, expect, it } from 'vitest';
import { pprintBatch } from '../../src/dstream/operators/pprint.js';
import { formatLocalTime } from '../../src/util/format.js';

const at = (ms: number): number => new Date(2026, 11, 5, 6, 18, 14, ms).getTime();

describe('formatLocalTime (pprint’s batch time)', () => {
  it('a whole second prints as before, without a fraction', () => {
    expect(formatLocalTime(at(0))).toBe('2026-12-05 06:18:14');
  });

  it('a fraction of a second prints as Python’s datetime does: six digits', () => {
    expect(formatLocalTime(at(500))).toBe('2026-12-05 06:18:14.500000');
    expect(formatLocalTime(at(5))).toBe('2026-12-05 06:18:14.005000');
    expect(formatLocalTime(at(999))).toBe('2026-12-05 06:18:14.999000');
  });

  it('two batches 500 ms apart have distinct pprint headers', () => {
    expect(pprintBatch(at(0), [], 10).split('\n')[1]).toBe('Time: 2026-12-05 06:18:14');
    expect(pprintBatch(at(500), [], 10).split('\n')[1]).toBe('Time: 2026-12-05 06:18:14.500000');
  });
});
