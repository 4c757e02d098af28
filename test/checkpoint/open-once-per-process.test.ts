/**
 * One checkpoint directory is open at most once per process, however its path is spelt: LevelDB's
 * own in-process lock is keyed by the path string and its fcntl lock is per process, so a second
 * handle reached by another spelling would open, and closing it would drop the lock the first
 * handle relies on (another process could then open the live store).
 */
import { mkdirSync, symlinkSync, writeFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/index.js';
import { checkpointError, childLine, cleanupTempDirs, startChild, tempDir, waitExit } from './helpers.js';

afterEach(cleanupTempDirs);

/** What a child process gets when it tries to open `dir` (test/checkpoint/fixtures/child.ts `open`). */
async function childOpens(dir: string): Promise<Record<string, unknown>> {
  const child = startChild(['open', dir]);
  try {
    return await childLine(child, (x) => 'ok' in x || 'code' in x || 'other' in x);
  } finally {
    await waitExit(child);
  }
}

describe('a checkpoint directory is opened once per process, however it is spelt', () => {
  it('refuses a second open through a trailing slash, "." and ".." components, a relative path or a symlink', async () => {
    const base = tempDir();
    const dir = path.join(base, 'cp');
    symlinkSync(dir, path.join(base, 'link'));
    const first = await CheckpointStore.open(dir);
    try {
      const spellings = [
        dir,
        `${dir}/`,
        `${base}/./cp`,
        `${base}/../${path.basename(base)}/cp`,
        path.relative(process.cwd(), dir),
        path.join(base, 'link'),
      ];
      for (const other of spellings) {
        const err = await checkpointError(() => CheckpointStore.open(other));
        expect(err.code, other).toBe('LOCKED');
        expect(err.dir).toBe(other);
        expect(err.message).toContain(`checkpoint directory ${other} is already in use by another StreamingContext in this process`);
      }
      // The refused opens dropped nothing: the first store still writes, and another process is still locked out.
      await first.commit({ meta: 'still mine' });
      expect(await childOpens(dir)).toMatchObject({ code: 'LOCKED' });
    } finally {
      await first.close();
    }
    // Closing releases the directory for every spelling.
    const again = await CheckpointStore.open(path.join(base, 'link'));
    expect(await again.readMeta()).toBe('still mine');
    await again.close();
    expect(await childOpens(`${dir}/`)).toEqual({ ok: true });
  });

  it('two concurrent opens of one directory: exactly one succeeds', async () => {
    const dir = path.join(tempDir(), 'cp');
    mkdirSync(dir);
    const results = await Promise.allSettled([CheckpointStore.open(dir), CheckpointStore.open(`${dir}/`)]);
    const opened = results.filter((r): r is PromiseFulfilledResult<CheckpointStore> => r.status === 'fulfilled');
    expect(opened).toHaveLength(1);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect((refused.reason as { code?: unknown }).code).toBe('LOCKED');
    await opened[0]!.value.close();
  });

  it('a failed open does not keep the directory claimed', async () => {
    const dir = path.join(tempDir(), 'cp');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'not a store');
    expect((await checkpointError(() => CheckpointStore.open(dir))).code).toBe('NOT_A_STORE');
    unlinkSync(path.join(dir, 'notes.txt'));
    const store = await CheckpointStore.open(`${dir}/`);
    expect(store.created).toBe(true);
    await store.close();
  });
});
