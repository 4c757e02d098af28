import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's version, from the package.json above this file (src/cli or dist/src/cli). */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'dstreams' && pkg.version) return pkg.version;
    } catch {
      // no package.json here: look further up
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}
