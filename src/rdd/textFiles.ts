/**
 * Spark's saveAsTextFile layout: a directory holding one `part-NNNNN` file per partition (an
 * empty partition an empty file), each element on a line, and `_SUCCESS`. Strings are written as
 * they are, other elements as pprint shows them (as DStream.saveAsTextFiles does). The directory
 * must not exist (Spark: "Output directory … already exists"); it is written under a temporary
 * name beside it and renamed, so it appears complete or not at all.
 */
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { formatElement } from '../util/format.js';
import type { Partitioned } from './partitioned.js';

const line = (e: unknown): string => (typeof e === 'string' ? e : formatElement(e));

export const partFileName = (i: number): string => `part-${String(i).padStart(5, '0')}`;

export async function saveAsTextFile(rdd: Partitioned<unknown>, dir: string): Promise<void> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('saveAsTextFile needs a non-empty path');
  const exists = async (): Promise<boolean> => stat(dir).then(() => true, () => false);
  if (await exists()) throw new Error(`Output directory ${dir} already exists`);
  const tmp = join(dirname(dir), `.${basename(dir)}._temporary-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  await mkdir(tmp, { recursive: true });
  try {
    for (let i = 0; i < rdd.numPartitions; i++) {
      await writeFile(join(tmp, partFileName(i)), rdd.partition(i).map((e) => line(e) + '\n').join(''));
    }
    await writeFile(join(tmp, '_SUCCESS'), '');
    if (await exists()) throw new Error(`Output directory ${dir} already exists`);
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
