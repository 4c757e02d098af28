/**
 * A damaged batch record (meta/batch: valid JSON, wrong shape — a key renamed, a field of the wrong
 * type) is refused as damage: a CheckpointError CORRUPT naming the directory and the field, not a
 * TypeError from the graph check or a restore that misreads it.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/index.js';
import { StreamingContext } from '../../src/index.js';
import { makeUpgradeJob } from '../fixtures/upgrade-job.js';
import { checkpointError, cleanupTempDirs, tempDir } from './helpers.js';

afterEach(cleanupTempDirs);

type Meta = { [field: string]: unknown };

/** A checkpoint of 3 batches of the upgrade job, its batch record then changed by `damage`. */
async function damagedCheckpoint(damage: (meta: Meta) => void): Promise<string> {
  const dir = path.join(tempDir(), 'cp');
  const job = makeUpgradeJob(dir);
  await job.ssc.start();
  await job.clock.advance(3000);
  await job.ssc.stop();
  const store = await CheckpointStore.open(dir);
  const meta = (await store.readMeta<Meta>())!;
  damage(meta);
  await store.commit({ meta });
  await store.close();
  return dir;
}

const rename = (from: string, to: string) => (m: Meta) => {
  m[to] = m[from];
  delete m[from];
};

describe('a damaged batch record', () => {
  const cases: Array<[string, (m: Meta) => void, string]> = [
    ['"graph" renamed', rename('graph', 'grapx'), 'no "graph" field (expected an array of strings)'],
    ['"graph" holding a number', (m) => void ((m.graph as unknown[])[0] = 7), 'an invalid "graph" field'],
    ['"lastCompletedTime" renamed', rename('lastCompletedTime', 'lastCompletedTimx'), 'no "lastCompletedTime" field'],
    ['"lastCompletedTime" as text', (m) => void (m.lastCompletedTime = '3000'), 'an invalid "lastCompletedTime" field'],
    ['"zeroTime" renamed', rename('zeroTime', 'zeroTimx'), 'no "zeroTime" field'],
    ['"batchDuration" zero', (m) => void (m.batchDuration = 0), 'an invalid "batchDuration" field'],
    ['"pendingTimes" not an array', (m) => void (m.pendingTimes = {}), 'an invalid "pendingTimes" field'],
    ['"streams" null', (m) => void (m.streams = null), 'an invalid "streams" field (expected an object)'],
    ['"states" with a record without shape', (m) => void ((m.states as Meta)[Object.keys(m.states as Meta)[0]!] = {}), 'an invalid "states" field'],
    ['"states" as an array', (m) => void (m.states = []), 'an invalid "states" field'],
  ];
  it.each(cases)('%s: getOrCreate fails with CORRUPT naming the directory and the field', async (_, damage, says) => {
    const dir = await damagedCheckpoint(damage);
    const err = await checkpointError(() => StreamingContext.getOrCreate(dir, () => makeUpgradeJob(dir).ssc));
    expect(err.code).toBe('CORRUPT');
    expect(err.dir).toBe(dir);
    expect(err.message).toContain(`checkpoint directory ${dir} holds a damaged checkpoint store`);
    expect(err.message).toContain(`its batch record (meta/batch) has ${says}`);
    // The refusal closed the store: the directory opens again (and is left as it was).
    const store = await CheckpointStore.open(dir);
    await store.close();
  });

  it('an intact record still resumes', async () => {
    const dir = await damagedCheckpoint(() => {});
    let made: ReturnType<typeof makeUpgradeJob> | undefined;
    const ssc = await StreamingContext.getOrCreate(dir, () => (made = makeUpgradeJob(dir)).ssc);
    expect(ssc.recoveredFrom).toBe(3000);
    await ssc.start();
    await made!.clock.advance(4000);
    await ssc.stop();
    expect([...made!.out.keys()]).toEqual([4000]);
  });
});
