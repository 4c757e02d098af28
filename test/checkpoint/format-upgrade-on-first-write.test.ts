/**
 * An older format's store (1 or 2) is marked as the current format by its first write, in the same
 * atomic LevelDB batch, not when it is opened: a store only opened and read, or a getOrCreate
 * refused for a different job, stays readable by the dstreams that wrote it.
 */
import { cpSync } from 'node:fs';
import path from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT_VERSION, CheckpointStore, decodeValue } from '../../src/checkpoint/index.js';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { makeUpgradeJob } from '../fixtures/upgrade-job.js';
import { cleanupTempDirs, formatTwoStore, projectRoot, tempDir } from './helpers.js';

afterEach(cleanupTempDirs);

/** The store's meta/format version, read with LevelDB directly. */
async function formatVersion(dir: string): Promise<unknown> {
  const db = new Level<string, string>(dir);
  await db.open();
  try {
    return (JSON.parse((await db.get('meta/format'))!) as { version?: unknown }).version;
  } finally {
    await db.close();
  }
}

function v1Store(): string {
  const dir = path.join(tempDir(), 'v1-store');
  cpSync(path.join(projectRoot, 'test/checkpoint/fixtures/v1-store'), dir, { recursive: true });
  return dir;
}

describe('an older format is upgraded by the first write, not by opening', () => {
  it('a format-1 store opened, read and closed keeps format 1', async () => {
    const dir = v1Store();
    const store = await CheckpointStore.open(dir);
    expect(await store.readMeta()).toMatchObject({ lastCompletedTime: 3000 });
    expect((await store.loadState('s2')).length).toBeGreaterThan(0);
    await store.close();
    expect(await formatVersion(dir)).toBe(1);
  });

  it('a getOrCreate refused for a different job leaves a format-1 store at format 1', async () => {
    const dir = v1Store();
    const other = (): StreamingContext => {
      const ssc = new StreamingContext({ batchDuration: 2000, clock: new ManualClock(0) });
      ssc.rateStream<string>({ rowsPerBatch: 1, generate: () => 'x' }).foreachRDD(() => {});
      return ssc;
    };
    await expect(StreamingContext.getOrCreate(dir, other)).rejects.toThrow('the graph does not match the checkpoint');
    expect(await formatVersion(dir)).toBe(1);
    // The same job still resumes it, and its first commit marks it as the current format.
    let made: ReturnType<typeof makeUpgradeJob> | undefined;
    const ssc = await StreamingContext.getOrCreate(dir, () => (made = makeUpgradeJob(dir)).ssc);
    expect(ssc.recoveredFrom).toBe(3000);
    await ssc.start();
    await made!.clock.advance(4000);
    await ssc.stop();
    expect(await formatVersion(dir)).toBe(CHECKPOINT_FORMAT_VERSION);
  });

  it('the marker goes in the same write as the first commit', async () => {
    const dir = v1Store();
    const store = await CheckpointStore.open(dir);
    const seq = store.commitCount;
    await store.commit({ meta: { n: 1 } });
    await store.close();
    // One LevelDB batch per commit: the version changed with the commit count.
    const db = new Level<string, string>(dir);
    await db.open();
    const format = JSON.parse((await db.get('meta/format'))!) as { version: unknown };
    const count = await db.get('meta/seq');
    await db.close();
    expect(format.version).toBe(CHECKPOINT_FORMAT_VERSION);
    expect(decodeValue(count!)).toBe(seq + 1);
  });

  it('a format-2 store is marked by its first snapshot write', async () => {
    const dir = tempDir();
    await formatTwoStore(dir);

    const again = await CheckpointStore.open(dir);
    expect(await again.writeSnapshot('s1', 2000, [{ keys: ['c'], values: [3] }])).toBe(true);
    await again.close();
    expect(await formatVersion(dir)).toBe(CHECKPOINT_FORMAT_VERSION);
  });
});
