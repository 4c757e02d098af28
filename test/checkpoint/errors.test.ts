import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore, CLOSE_MARKER_FILE } from '../../src/checkpoint/index.js';
import { checkpointError, childLine, cleanupTempDirs, startChild, tempDir, waitExit } from './helpers.js';

afterEach(cleanupTempDirs);

/** A closed store in a new directory with `keys` keys of state, compacted into table files when asked. */
async function makeStore(keys: number, compact = false): Promise<string> {
  const dir = path.join(tempDir(), 'cp');
  const store = await CheckpointStore.open(dir);
  for (let start = 0; start < keys; start += 5000) {
    const puts: Array<[string, unknown]> = [];
    for (let i = start; i < Math.min(keys, start + 5000); i++) puts.push([`k${i}`, { v: i, pad: 'x'.repeat(40) }]);
    await store.commit({ meta: { start }, state: { s1: { puts } } });
  }
  if (compact) await store.compact();
  await store.close();
  return dir;
}

const fileIn = (dir: string, re: RegExp): string => {
  const name = readdirSync(dir).find((f) => re.test(f));
  if (!name) throw new Error(`no file matching ${re} in ${dir}: ${readdirSync(dir).join(' ')}`);
  return path.join(dir, name);
};

function overwrite(file: string, position: number, length: number): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(length, 0x5a), 0, length, position);
  } finally {
    closeSync(fd);
  }
}

async function expectOpenError(dir: string, code: string, ...fragments: Array<string | RegExp>): Promise<string> {
  const err = await checkpointError(() => CheckpointStore.open(dir));
  expect(err.code, err.message).toBe(code);
  expect(err.dir).toBe(dir);
  expect(err.message).toContain(dir);
  for (const f of fragments) {
    if (typeof f === 'string') expect(err.message).toContain(f);
    else expect(err.message).toMatch(f);
  }
  return err.message;
}

describe('incompatible format version', () => {
  it('refuses a store written by another format version, naming both versions', async () => {
    const dir = await makeStore(10);
    const raw = new Level<string, string>(dir);
    await raw.open();
    await raw.put('meta/format', JSON.stringify({ format: 'dstreams-checkpoint', version: 99 }));
    await raw.close();
    await expectOpenError(dir, 'INCOMPATIBLE_VERSION', 'incompatible format version', 'found version 99', 'expected version 3');
    // and it was not touched: still version 99
    const check = new Level<string, string>(dir);
    await check.open();
    expect(JSON.parse((await check.get('meta/format'))!).version).toBe(99);
    await check.close();
  });
});

describe('corrupt stores are reported, never reset', () => {
  it('CURRENT missing', async () => {
    const dir = await makeStore(100);
    unlinkSync(path.join(dir, 'CURRENT'));
    await expectOpenError(dir, 'CORRUPT', 'CURRENT file is missing', 'damaged');
    // still reported on a second try: nothing was created meanwhile
    await expectOpenError(dir, 'CORRUPT', 'CURRENT file is missing');
  });

  it('CURRENT overwritten', async () => {
    const dir = await makeStore(100);
    writeFileSync(path.join(dir, 'CURRENT'), 'garbage');
    await expectOpenError(dir, 'CORRUPT', 'CURRENT file does not end with newline');
  });

  it('CURRENT pointing at a missing MANIFEST', async () => {
    const dir = await makeStore(100);
    writeFileSync(path.join(dir, 'CURRENT'), 'MANIFEST-000999\n');
    await expectOpenError(dir, 'CORRUPT', 'MANIFEST-000999');
  });

  it('MANIFEST truncated', async () => {
    const dir = await makeStore(100);
    truncateSync(fileIn(dir, /^MANIFEST-/), 10);
    await expectOpenError(dir, 'CORRUPT', 'Corruption');
  });

  it('table (.ldb) file truncated', async () => {
    const dir = await makeStore(20_000, true);
    const table = fileIn(dir, /\.ldb$/);
    truncateSync(table, Math.floor(statSync(table).size / 2));
    await expectOpenError(dir, 'CORRUPT', path.basename(table), 'truncated');
  });

  it('table (.ldb) file deleted', async () => {
    const dir = await makeStore(20_000, true);
    unlinkSync(fileIn(dir, /\.ldb$/));
    await expectOpenError(dir, 'CORRUPT', 'missing files');
  });

  it('table (.ldb) file overwritten in the middle: reported when read (by the open\'s checks or the load)', async () => {
    const dir = await makeStore(20_000, true);
    overwrite(fileIn(dir, /\.ldb$/), 4000, 4000);
    const err = await checkpointError(async () => {
      const store = await CheckpointStore.open(dir);
      try {
        await store.loadState('s1');
      } finally {
        await store.close();
      }
    });
    expect(err.code).toBe('CORRUPT');
    expect(err.message).toContain(dir);
  });

  it('write-ahead log (.log) overwritten: reported now and on every later open', async () => {
    const dir = await makeStore(3000);
    const log = fileIn(dir, /^\d+\.log$/);
    expect(statSync(log).size).toBeGreaterThan(10_000);
    overwrite(log, 1000, 64);
    await expectOpenError(dir, 'CORRUPT', 'write-ahead log', 'checksum mismatch');
    // LevelDB has rewritten its files by now; the store remembers the damage
    await expectOpenError(dir, 'CORRUPT', 'detected earlier');
  });

  it('write-ahead log (.log) truncated after a clean close', async () => {
    const dir = await makeStore(3000);
    const log = fileIn(dir, /^\d+\.log$/);
    truncateSync(log, Math.floor(statSync(log).size / 2));
    await expectOpenError(dir, 'CORRUPT', 'last opened or closed', 'truncated');
    await expectOpenError(dir, 'CORRUPT', 'last opened or closed');
  });

  it('write-ahead log (.log) emptied', async () => {
    const dir = await makeStore(3000);
    truncateSync(fileIn(dir, /^\d+\.log$/), 0);
    await expectOpenError(dir, 'CORRUPT', 'empty', 'last opened or closed');
  });

  it('write-ahead log (.log) emptied or deleted in a store only ever killed, never closed: reported, not taken for a new store', async () => {
    for (const damage of [(log: string) => truncateSync(log, 0), (log: string) => unlinkSync(log)]) {
      const dir = tempDir();
      const child = startChild(['churn', dir], { env: { CHURN_KEYS: '100' } });
      try {
        await childLine<{ committed?: number }>(child, (x) => (x.committed ?? 0) >= 3, 60_000);
      } finally {
        child.kill('SIGKILL');
        await waitExit(child);
      }
      damage(fileIn(dir, /^\d+\.log$/));
      await expectOpenError(dir, 'CORRUPT', 'empty', 'last opened or closed');
    }
  });

  it('all LevelDB files deleted', async () => {
    const dir = await makeStore(100);
    for (const f of readdirSync(dir)) if (f !== CLOSE_MARKER_FILE) unlinkSync(path.join(dir, f));
    await expectOpenError(dir, 'CORRUPT', 'LevelDB files are missing');
  });
});

describe('locked stores', () => {
  it('refuses a second open in the same process', async () => {
    const dir = tempDir();
    const first = await CheckpointStore.open(dir);
    try {
      await expectOpenError(dir, 'LOCKED', 'is already in use by another StreamingContext');
      // the first one is unaffected
      await first.commit({ meta: 'still mine' });
      expect(await first.readMeta()).toBe('still mine');
    } finally {
      await first.close();
    }
    const again = await CheckpointStore.open(dir);
    expect(await again.readMeta()).toBe('still mine');
    await again.close();
  });

  it('refuses an open while a child process holds the store', async () => {
    const dir = await makeStore(10);
    const child = startChild(['hold', dir]);
    try {
      await childLine(child, (x) => x.ready === true);
      await expectOpenError(dir, 'LOCKED', 'is already in use by another StreamingContext');
    } finally {
      child.stdin!.end();
      await waitExit(child);
    }
    const store = await CheckpointStore.open(dir);
    expect(await store.loadState('s1')).toHaveLength(10);
    await store.close();
  });
});

describe('unusable directories', () => {
  it('a path under a regular file (unwritable even for root)', async () => {
    const file = path.join(tempDir(), 'plain-file');
    writeFileSync(file, 'x');
    const dir = path.join(file, 'cp');
    await expectOpenError(dir, 'DIR_UNWRITABLE', 'not writable', 'is a file');
  });

  it('an immutable directory (chattr +i, unwritable even for root)', async () => {
    const dir = path.join(tempDir(), 'immutable');
    mkdirSync(dir);
    const r = spawnSync('chattr', ['+i', dir], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new Error(`this test needs chattr +i (e2fsprogs, a filesystem that supports it): ${r.error?.message ?? r.stderr}`);
    }
    try {
      await expectOpenError(dir, 'DIR_UNWRITABLE', 'not writable');
    } finally {
      spawnSync('chattr', ['-i', dir]);
    }
  });

  it('a chmod 500 directory, opened by an unprivileged user', async () => {
    const base = tempDir();
    chmodSync(base, 0o755);
    const dir = path.join(base, 'readonly');
    mkdirSync(dir);
    const isRoot = process.getuid?.() === 0;
    if (isRoot) chownSync(dir, 65534, 65534);
    chmodSync(dir, 0o500);
    if (!isRoot) {
      await expectOpenError(dir, 'DIR_UNWRITABLE', 'not writable', 'permission denied');
      return;
    }
    // As root chmod does not stop writes: open as the nobody user (uid 65534) in a child process.
    const child = startChild(['open', dir], { uid: 65534, gid: 65534, env: { HOME: base } });
    let out: { code?: string; message?: string; other?: string; ok?: boolean };
    try {
      out = await childLine(child);
    } catch (err) {
      throw new Error(`this test needs to run a child process as uid 65534 (nobody): ${String(err)}`);
    } finally {
      await waitExit(child);
    }
    expect(out.code, JSON.stringify(out)).toBe('DIR_UNWRITABLE');
    expect(out.message).toContain(dir);
    expect(out.message).toContain('permission denied');
  });

  it('a path that is a regular file', async () => {
    const file = path.join(tempDir(), 'plain-file');
    writeFileSync(file, 'x');
    await expectOpenError(file, 'NOT_A_DIRECTORY', 'not a directory');
  });
});

describe('directories that hold something else', () => {
  it('a non-empty directory of other files', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'notes.txt'), 'my notes');
    mkdirSync(path.join(dir, 'photos'));
    await expectOpenError(dir, 'NOT_A_STORE', 'not a dstreams checkpoint store', 'notes.txt');
    expect(readdirSync(dir).sort()).toEqual(['notes.txt', 'photos']);
  });

  it('another LevelDB database', async () => {
    const dir = tempDir();
    const raw = new Level<string, string>(dir);
    await raw.open();
    await raw.put('user:1', 'alice');
    await raw.close();
    await expectOpenError(dir, 'NOT_A_STORE', 'LevelDB database that is not a dstreams checkpoint store');
    const check = new Level<string, string>(dir);
    await check.open();
    expect(await check.get('user:1')).toBe('alice');
    expect(await check.get('meta/format')).toBeUndefined();
    await check.close();
  });

  it('a LevelDB database of another format', async () => {
    const dir = tempDir();
    const raw = new Level<string, string>(dir);
    await raw.open();
    await raw.put('meta/format', JSON.stringify({ format: 'something-else', version: 1 }));
    await raw.close();
    await expectOpenError(dir, 'NOT_A_STORE', '"something-else"');
  });

  it('an empty directory, or one with only LevelDB leftovers of a failed creation, is a new store', async () => {
    const empty = tempDir();
    const s1 = await CheckpointStore.open(empty);
    expect(s1.created).toBe(true);
    await s1.close();
    const leftovers = tempDir();
    writeFileSync(path.join(leftovers, 'LOCK'), '');
    writeFileSync(path.join(leftovers, 'LOG'), '');
    const s2 = await CheckpointStore.open(leftovers);
    expect(s2.created).toBe(true);
    await s2.close();
  });
});
