import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatElement } from '../../util/format.js';
import { DStream } from '../DStream.js';
import { ForEachDStream } from './foreachRDD.js';

declare module '../DStream.js' {
  interface DStream<T> {
    /** Write every batch as a directory `prefix-<timeMs>[.suffix]` of `part-NNNNN` files, one per partition. */
    saveAsTextFiles(prefix: string, suffix?: string): void;
  }
}

const line = (e: unknown): string => (typeof e === 'string' ? e : formatElement(e));

/** Spark's layout; written to a temporary directory first and renamed, so a re-run batch replaces, never doubles. */
export async function saveBatch(dir: string, partitions: readonly (readonly unknown[])[]): Promise<void> {
  const tmp = `${dir}._tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await Promise.all(
    partitions.map((part, i) =>
      writeFile(
        join(tmp, `part-${String(i).padStart(5, '0')}`),
        part.map((e) => line(e) + '\n').join(''),
      ),
    ),
  );
  await writeFile(join(tmp, '_SUCCESS'), '');
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

DStream.prototype.saveAsTextFiles = function <T>(this: DStream<T>, prefix: string, suffix?: string): void {
  if (typeof prefix !== 'string' || prefix === '') throw new TypeError('saveAsTextFiles needs a non-empty prefix');
  new ForEachDStream(
    this,
    async (rdd, time) => {
      const dir = `${prefix}-${time}${suffix ? `.${suffix}` : ''}`;
      const parts: unknown[][] = [];
      for (let i = 0; i < rdd.getNumPartitions(); i++) parts.push(rdd.partition(i));
      await saveBatch(dir, parts);
    },
    'saveAsTextFiles',
  );
};
