// createStream's workerId is this worker's name in the lease table (each lease's owner), a
// non-empty string as the KCL's: a number or "" was accepted without a word.
import { afterEach, describe, expect, it } from 'vitest';
import { InitialPositionInStream, KinesisConfigError, KinesisUtils, StorageLevel, StreamingContext } from '../../src/index.js';
import { REGION } from '../helpers/kinesis.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('createStream workerId', () => {
  it('a workerId that is not a non-empty string fails at once, naming the argument', () => {
    const ssc = new StreamingContext({ batchDuration: 500 });
    cleanups.push(() => ssc.stop());
    const create = (workerId: unknown) => () =>
      KinesisUtils.createStream(ssc, 'app', 'words', 'http://127.0.0.1:4567', REGION, InitialPositionInStream.LATEST, 2000,
        StorageLevel.MEMORY_AND_DISK_2, undefined, undefined, undefined, { workerId: workerId as string });
    expect(create(42)).toThrow(new KinesisConfigError("options.workerId must be a non-empty string (this worker's name in the lease table), got 42"));
    expect(create('')).toThrow(new KinesisConfigError(`options.workerId must be a non-empty string (this worker's name in the lease table), got ""`));
    expect(create(null)).toThrow(KinesisConfigError);
    expect(create('worker-1')).not.toThrow();
    expect(create(undefined)).not.toThrow();
  });
});
