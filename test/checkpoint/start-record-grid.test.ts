// Which start records put a restarted job back on its first run's grid (checkpoint/startRecord.ts):
// only those that say the run's zero time and batch duration, and name batches it generated.
import { describe, expect, it } from 'vitest';
import { firstRunGrid, type StartRecord } from '../../src/checkpoint/index.js';

const record = (fields: Partial<StartRecord>): StartRecord => ({ format: 'dstreams-start', appName: 'a', streams: {}, writtenAt: 0, ...fields });

describe('firstRunGrid', () => {
  it('a first run that generated batches: its zero time, as if completed there, with those batches pending', () => {
    expect(firstRunGrid(record({ zeroTime: 5000, batchDuration: 1000, pendingTimes: [6000, 7000] }), 1000)).toEqual({
      zeroTime: 5000,
      lastCompletedTime: 5000,
      pendingTimes: [6000, 7000],
    });
  });

  it('none generated, a record of an older version (no zero time), or another batch duration: a new grid', () => {
    expect(firstRunGrid(record({ zeroTime: 5000, batchDuration: 1000, pendingTimes: [] }), 1000)).toBeUndefined();
    expect(firstRunGrid(record({}), 1000)).toBeUndefined();
    expect(firstRunGrid(record({ zeroTime: 5000, pendingTimes: [6000] }), 1000)).toBeUndefined();
    expect(firstRunGrid(record({ zeroTime: 5000, batchDuration: 1000, pendingTimes: [6000] }), 500)).toBeUndefined();
  });

  it('times that are not batches after the zero time on its grid are not batches of that run', () => {
    expect(firstRunGrid(record({ zeroTime: 5000, batchDuration: 1000, pendingTimes: [5000, 6500, 7000] }), 1000)?.pendingTimes).toEqual([7000]);
    expect(firstRunGrid(record({ zeroTime: 5000, batchDuration: 1000, pendingTimes: [4000, 6500] }), 1000)).toBeUndefined();
  });
});
