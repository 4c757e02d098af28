/**
 * getOrCreate checkpoints to its own directory: a create function that set another one is told
 * so (Spark would write there and never find it again at a restart); the same directory written
 * another way (relative, a trailing slash) says nothing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { cleanupTempDirs, tempDir } from './helpers.js';

afterEach(cleanupTempDirs);

async function run(dir: string, createDir: string): Promise<string[]> {
  const lines: string[] = [];
  const ssc = await StreamingContext.getOrCreate(
    dir,
    () => {
      const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(0), checkpointDir: createDir });
      ssc.queueStream<number>([[1]]).foreachRDD(() => {});
      return ssc;
    },
    { log: (line) => lines.push(line) },
  );
  await ssc.start();
  await ssc.stop();
  return lines;
}

describe("getOrCreate's directory over the create function's", () => {
  it('a different directory in create is named, and not written', async () => {
    const dir = tempDir();
    const other = path.join(tempDir(), 'elsewhere');
    expect(await run(dir, other)).toEqual([`the create function checkpoints to ${other}; getOrCreate's directory ${dir} is used instead`]);
    expect(existsSync(other)).toBe(false);
  });

  it('the same directory spelt otherwise says nothing', async () => {
    const dir = tempDir();
    expect(await run(dir, path.relative(process.cwd(), dir) + '/')).toEqual([]);
  });
});
