// util/packedArray: arrays sized once that V8 keeps packed (a delta's flat puts are stringified
// every commit; JSON.stringify takes a slower path over holey arrays).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packedArray } from '../../src/util/packedArray.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('packedArray', () => {
  it('gives n undefined values, a fresh array each time, for any size', () => {
    for (const n of [0, 1, 7, 20_000, (1 << 18) + 3]) {
      const a = packedArray<number>(n);
      expect(a.length).toBe(n);
      expect(a.every((x) => x === undefined)).toBe(true);
      if (n > 0) a[0] = 1;
      expect(packedArray<number>(n)[0]).toBeUndefined();
    }
  });

  it('is packed, and stays packed when filled and cut to the entries written (V8 natives)', () => {
    const script = [
      "const { packedArray } = await import('./src/util/packedArray.ts');",
      'const a = packedArray(20000);',
      "for (let i = 0; i < 19998; i++) a[i] = i % 2 ? i : 'k' + i;",
      'a.length = 19998;',
      'const holey = new Array(20000);',
      'holey[0] = 1;',
      'console.log(%HasHoleyElements(packedArray(5)), %HasHoleyElements(a), %HasHoleyElements(holey));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(out.trim()).toBe('false false true');
  });
});
