// What the disk state store's tests share: temporary checkpoint directories and the word batches
// (tuple keys among them, words that remove their key) run on both stores.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/** Makes temporary directories named `prefix…`; those of a test are removed after it. Call at a test file's top level. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

/** Batch `t`: 30 words of 40, tuple keys among them; the value -1 removes its key. */
export function wordBatchAt(t: number): [unknown, number][] {
  const out: [unknown, number][] = [];
  let seed = t * 7919 + 1;
  const rand = (m: number): number => (seed = (Math.imul(seed, 48271) + 11) >>> 0) % m;
  for (let i = 0; i < 30; i++) {
    const w = rand(40);
    out.push([w % 5 === 0 ? ['w', w] : `w${w}`, w % 13 === 0 ? -1 : 1]);
  }
  return out;
}
