// RDD.saveAsTextFile: Spark's layout (a directory of part-NNNNN files, one per partition, one
// element per line, and _SUCCESS), written as DStream.saveAsTextFiles writes a batch; refuses an
// existing directory.
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RDD } from '../../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rdd-save-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('RDD.saveAsTextFile', () => {
  it('writes one part file per partition (an empty one too), one element per line, and _SUCCESS', async () => {
    const out = join(dir, 'words');
    await RDD.fromPartitions([['foo', 'bar'], [], ['baz']]).saveAsTextFile(out);
    expect((await readdir(out)).sort()).toEqual(['_SUCCESS', 'part-00000', 'part-00001', 'part-00002']);
    expect(await readFile(join(out, 'part-00000'), 'utf8')).toBe('foo\nbar\n');
    expect(await readFile(join(out, 'part-00001'), 'utf8')).toBe('');
    expect(await readFile(join(out, 'part-00002'), 'utf8')).toBe('baz\n');
    expect(await readFile(join(out, '_SUCCESS'), 'utf8')).toBe('');
    expect((await readdir(dir)).sort()).toEqual(['words']); // no temporary directory left beside it
  });

  it('writes strings as they are and other elements as pprint shows them', async () => {
    const out = join(dir, 'nested', 'counts');
    await RDD.fromArray<unknown>([['a', 1], 2.5, 'it’s', { n: 1 }, ''], 1).saveAsTextFile(out);
    expect(await readFile(join(out, 'part-00000'), 'utf8')).toBe(`('a', 1)\n2.5\nit’s\n{"n":1}\n\n`);
  });

  it('fails when the directory exists, and leaves it as it was', async () => {
    const out = join(dir, 'taken');
    await mkdir(out);
    await expect(RDD.fromArray(['x']).saveAsTextFile(out)).rejects.toThrow(`Output directory ${out} already exists`);
    expect(await readdir(out)).toEqual([]);
    expect(await readdir(dir)).toEqual(['taken']);
  });

  it('leaves nothing behind when computing a partition fails', async () => {
    const out = join(dir, 'broken');
    const failing = RDD.fromArray([1, 2, 3], 3).map((x) => {
      if (x === 3) throw new Error('bad element');
      return x;
    });
    await expect(failing.saveAsTextFile(out)).rejects.toThrow('bad element');
    expect(await readdir(dir)).toEqual([]);
  });
});
