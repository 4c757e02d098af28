// textFileStream as Spark's FileInputDStream selects files: by path within the remember window
// (an appended or replaced file is not read again), directories given as globs (Hadoop's
// globStatus: `*`, `?`, `[ab]`, `{a,b}`), a missing directory told rather than kept quiet, and a
// restored position's pending batches read again exactly.
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, StreamingContext, type CompletedBatchInfo } from '../../src/index.js';
import { FileInputDStream, type FileStreamPosition } from '../../src/receivers/index.js';
import { expandBraces, isGlob, matchDirectories, parseGlob, segmentRegExp } from '../../src/receivers/glob.js';
import { sleep, tempDir } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.restoreAllMocks();
});

function root(): string {
  const { dir, remove } = tempDir('dstreams-files-rules-');
  cleanups.push(remove);
  mkdirSync(path.join(dir, 'staging'));
  return dir;
}

/** Writes `name` in `<root>/staging`, then renames it to `to` (atomic, as Spark requires). */
function moveIn(rootDir: string, to: string, lines: string[]): void {
  const tmp = path.join(rootDir, 'staging', path.basename(to));
  writeFileSync(tmp, lines.map((l) => `${l}\n`).join(''));
  mkdirSync(path.dirname(to), { recursive: true });
  renameSync(tmp, to);
}

function context(): { ssc: StreamingContext; clock: ManualClock } {
  const clock = new ManualClock();
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  cleanups.push(() => ssc.stop());
  return { ssc, clock };
}

describe('textFileStream: a file is selected once by its path within the remember window', () => {
  it('a file appended to after it was read is not read again (Spark: updates are ignored)', async () => {
    const dir = root();
    const { ssc, clock } = context();
    const batches: string[][] = [];
    ssc.textFileStream(dir).foreachRDD((rdd) => void batches.push(rdd.collect()));
    await ssc.start();
    const f = path.join(dir, 'log.txt');
    writeFileSync(f, 'line1\nline2\n');
    await clock.advance(1000);
    await sleep(20);
    appendFileSync(f, 'line3\n');
    await clock.advance(1000);
    await clock.advance(1000);
    expect(batches).toEqual([['line1', 'line2'], [], []]);
  });

  it('a file replaced under the same name within the window is not read again; other names are', async () => {
    const dir = root();
    const watched = path.join(dir, 'in');
    mkdirSync(watched);
    const { ssc, clock } = context();
    const batches: string[][] = [];
    ssc.textFileStream(watched).foreachRDD((rdd) => void batches.push(rdd.collect()));
    await ssc.start();
    moveIn(dir, path.join(watched, 'current.txt'), ['v1']);
    await clock.advance(1000);
    await sleep(20);
    moveIn(dir, path.join(watched, 'current.txt'), ['v2', 'v2b']); // rename over it: new mtime, size, inode
    moveIn(dir, path.join(watched, 'other.txt'), ['o']);
    await clock.advance(1000);
    expect(batches).toEqual([['v1'], ['o']]);
  });
  // A guard for the rule above (the old identity by name, mtime and size did this too).
  it('a file ignored because it was there at start is read once it changes (Spark: its mod time passes the start)', async () => {
    const dir = root();
    const watched = path.join(dir, 'in');
    mkdirSync(watched);
    writeFileSync(path.join(watched, 'there.txt'), 'old\n');
    const { ssc, clock } = context();
    const batches: string[][] = [];
    ssc.textFileStream(watched).foreachRDD((rdd) => void batches.push(rdd.collect()));
    await ssc.start();
    await clock.advance(1000);
    await sleep(20);
    appendFileSync(path.join(watched, 'there.txt'), 'new\n');
    await clock.advance(1000);
    await clock.advance(1000);
    expect(batches).toEqual([[], ['old', 'new'], []]);
  });
});

describe('textFileStream over a glob of directories', () => {
  it('reads the files of every directory `logs/*` matches, directories made later included', async () => {
    const dir = root();
    const logs = path.join(dir, 'logs');
    mkdirSync(path.join(logs, 'a'), { recursive: true });
    mkdirSync(path.join(logs, '_temporary'), { recursive: true });
    const { ssc, clock } = context();
    const s = ssc.textFileStream(path.join(logs, '*')) as FileInputDStream;
    const batches: string[][] = [];
    s.foreachRDD((rdd) => void batches.push([...rdd.collect()].sort()));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await ssc.start();
    moveIn(dir, path.join(logs, 'a', 'f.txt'), ['a/f']);
    moveIn(dir, path.join(logs, 'top.txt'), ['not in a matched directory']);
    moveIn(dir, path.join(logs, '_temporary', 'part.txt'), ['a writer\'s temporary directory']);
    await clock.advance(1000);
    moveIn(dir, path.join(logs, 'b', 'f.txt'), ['b/f']); // same file name, another directory
    moveIn(dir, path.join(logs, 'a', 'g.txt'), ['a/g']);
    await clock.advance(1000);
    await clock.advance(1000);
    expect(batches).toEqual([['a/f'], ['a/g', 'b/f'], []]);
    expect(s.lastError).toBeUndefined();
    expect(warn).not.toHaveBeenCalled();
    const files = (s.checkpointDelta(3000, false).meta as FileStreamPosition).files.map((f) => f[0]).sort();
    expect(files).toEqual([path.join('a', 'f.txt'), path.join('a', 'g.txt'), path.join('b', 'f.txt')]);
  });

  it('matches `?`, `[..]`, `{a,b}` (also across segments) and literal segments after a glob', async () => {
    const dir = root();
    for (const d of ['2017/01/in', '2017/02/in', '2017/03/in', '2017/1x/in', '2018/01/in', '2019/01/in']) mkdirSync(path.join(dir, d), { recursive: true });
    const { ssc, clock } = context();
    const got = new Map<string, string[]>();
    for (const pattern of ['2017/0?/in', '2017/0[13]/in', '{2017/02,2018/*}/in', '201[!7]/*/in']) {
      const lines: string[] = [];
      got.set(pattern, lines);
      ssc.textFileStream(path.join(dir, pattern)).foreachRDD((rdd) => void lines.push(...rdd.collect()));
    }
    await ssc.start();
    for (const d of ['2017/01', '2017/02', '2017/03', '2017/1x', '2018/01', '2019/01']) moveIn(dir, path.join(dir, d, 'in', `${d.replace('/', '-')}.txt`), [d]);
    await clock.advance(1000);
    const sorted = (p: string): string[] => [...got.get(p)!].sort();
    expect(sorted('2017/0?/in')).toEqual(['2017/01', '2017/02', '2017/03']);
    expect(sorted('2017/0[13]/in')).toEqual(['2017/01', '2017/03']);
    expect(sorted('{2017/02,2018/*}/in')).toEqual(['2017/02', '2018/01']);
    expect(sorted('201[!7]/*/in')).toEqual(['2018/01', '2019/01']);
  });

  it('refuses a malformed glob when the stream is made', () => {
    const { ssc } = context();
    expect(() => ssc.textFileStream('/logs/[ab/x')).toThrow(/unclosed \[/);
    expect(() => ssc.textFileStream('/logs/{a,b/x')).toThrow(/unclosed \{/);
  });

  it('glob helpers: brace expansion, segment patterns, escapes, the literal base', () => {
    expect(isGlob('/logs/2017')).toBe(false);
    expect(isGlob('/logs/*')).toBe(true);
    expect(isGlob('/logs/a\\*b')).toBe(false);
    expect(expandBraces('/x/{a,b{c,d}}/{1,2}')).toEqual(['/x/a/1', '/x/a/2', '/x/bc/1', '/x/bc/2', '/x/bd/1', '/x/bd/2']);
    expect(expandBraces('/x/[{]')).toEqual(['/x/[{]']);
    const re = segmentRegExp('a?[0-9]*.[!x]');
    expect(re.test('ab7zz.y')).toBe(true);
    expect(re.test('ab7zz.x')).toBe(false);
    expect(segmentRegExp('[]a]').test(']')).toBe(true);
    expect(segmentRegExp('a.b').test('axb')).toBe(false);
    expect(segmentRegExp('\\*').test('*')).toBe(true);
    expect(segmentRegExp('\\*').test('x')).toBe(false);
    expect(parseGlob('/data/logs/*/in')).toEqual({ base: '/data/logs', patterns: [['*', 'in']] });
    expect(parseGlob('/data/{a,b}/*')).toEqual({ base: '/data', patterns: [['a', '*'], ['b', '*']] });
    expect(parseGlob('/*')).toEqual({ base: '/', patterns: [['*']] });
    expect(matchDirectories(parseGlob('/no-such-dstreams-dir/*')).error?.code).toBe('ENOENT');
  });
});

describe('textFileStream: a directory that cannot be listed is told', () => {
  it('a missing directory: empty batches, one warning, the error in the batch input info; read once it exists', async () => {
    const dir = root();
    const later = path.join(dir, 'later');
    const { ssc, clock } = context();
    const s = ssc.textFileStream(later) as FileInputDStream;
    const got: string[] = [];
    s.foreachRDD((rdd) => void got.push(...rdd.collect()));
    const infos: CompletedBatchInfo[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (i) => void infos.push(i) });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await ssc.start();
    await clock.advance(1000);
    await clock.advance(1000);
    expect((s.lastError as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(warn).toHaveBeenCalledTimes(1); // at start (newFilesOnly's listing), not again at every batch
    expect(String(warn.mock.calls[0]![0])).toContain(`no directory to scan: ${later} does not exist`);
    expect(infos[0]!.streamIdToInputInfo![s.id]!.metadata).toEqual({ listingError: `no directory to scan: ${later} does not exist` });
    mkdirSync(later);
    moveIn(dir, path.join(later, 'f.txt'), ['hello']);
    await clock.advance(1000);
    expect(got).toEqual(['hello']);
    expect(s.lastError).toBeUndefined();
    expect(infos[2]!.streamIdToInputInfo![s.id]!.metadata).toBeUndefined();
    rmSync(later, { recursive: true });
    await clock.advance(1000);
    expect(warn).toHaveBeenCalledTimes(2); // gone again: told again
  });

  it("a glob whose literal leading directory is missing is told too; one matching nothing yet is not", async () => {
    const dir = root();
    const { ssc, clock } = context();
    ssc.textFileStream(path.join(dir, 'nothing-yet', '*')).foreachRDD(() => undefined);
    mkdirSync(path.join(dir, 'empty'));
    ssc.textFileStream(path.join(dir, 'empty', '*')).foreachRDD(() => undefined);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await ssc.start();
    await clock.advance(1000);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain(`no directory to scan: ${path.join(dir, 'nothing-yet')} does not exist`);
  });
});

describe('textFileStream: a restored position with batches generated and not completed', () => {
  it('a pending batch reads exactly its files again; the next batch scans', async () => {
    const dir = root();
    const watched = path.join(dir, 'in');
    mkdirSync(watched);
    const { ssc, clock } = context();
    const s1 = ssc.textFileStream(watched) as FileInputDStream;
    let position: FileStreamPosition | undefined;
    // What Checkpointer.commitGenerated records while batch 2000 runs (batch 1000 completed).
    s1.foreachRDD((_rdd, time) => void (time === 2000 && (position = s1.generatedPosition(1000))));
    await ssc.start();
    moveIn(dir, path.join(watched, 'a.txt'), ['a']);
    await clock.advance(1000);
    moveIn(dir, path.join(watched, 'b.txt'), ['b']);
    await clock.advance(1000);
    await ssc.stop();
    expect(position!.files.map((f) => f[0])).toEqual(['a.txt']);
    expect(position!.pending).toEqual([[2000, ['b.txt'], expect.any(Number)]]);
    moveIn(dir, path.join(watched, 'c.txt'), ['c']); // while down

    const clock2 = new ManualClock(1000);
    const ssc2 = new StreamingContext({ batchDuration: 1000, clock: clock2 });
    cleanups.push(() => ssc2.stop());
    const s2 = ssc2.textFileStream(watched) as FileInputDStream;
    const batches: string[][] = [];
    s2.foreachRDD((rdd) => void batches.push(rdd.collect()));
    s2.restoreCheckpoint({ time: 1000, state: [], slices: [], meta: JSON.parse(JSON.stringify(position)) });
    await ssc2.start();
    await clock2.advance(1000);
    await clock2.advance(1000);
    expect(batches).toEqual([['b'], ['c']]);
  });
});
