// `dstreams run`'s progress line: the batch time shows its milliseconds when it has any, so
// batches under a second apart are told apart; whole seconds print as before.
import { describe, expect, it } from 'vitest';
import type { CompletedBatchInfo } from '../../src/context/StreamingListener.js';
import { formatProgressLine } from '../../src/ui/progress.js';

function batchAt(batchTime: number): CompletedBatchInfo {
  return {
    batchTime,
    submissionTime: batchTime,
    numRecords: 5,
    streamIdToInputInfo: {},
    processingStartTime: batchTime,
    processingEndTime: batchTime + 3,
    schedulingDelay: 0,
    processingDelay: 3,
    totalDelay: 3,
  };
}

const at = (ms: number): number => new Date(2026, 11, 5, 6, 18, 14, ms).getTime();

describe('formatProgressLine', () => {
  it('a batch on a whole second shows HH:mm:ss', () => {
    expect(formatProgressLine(batchAt(at(0)), 500)).toBe('batch 06:18:14 | 5 records | 10 records/s | processing 3 ms | total delay 3 ms');
  });

  it('a batch off a whole second shows its milliseconds', () => {
    expect(formatProgressLine(batchAt(at(500)), 500).split(' | ')[0]).toBe('batch 06:18:14.500');
    expect(formatProgressLine(batchAt(at(50)), 50).split(' | ')[0]).toBe('batch 06:18:14.050');
  });
});
