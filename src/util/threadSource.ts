/**
 * How a worker thread is started on an entry module of this package: `entry` is the module's
 * path without extension, relative to the caller (`from`: its import.meta.url), so the same call
 * starts src/…/x.ts when running from source and dist/…/x.js when built. TypeScript (the entry
 * from source, or a module it imports in .ts) needs tsx's loader in the thread: a thread does not
 * take the loader hooks of the main thread's --import in Node 20, so a small bootstrap registers
 * tsx there first, then imports the entry.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export function threadSource(from: string, entry: string, needsTsx = false): { code: string | URL; eval: boolean } {
  const fromSource = from.endsWith('.ts');
  const url = new URL(`${entry}${fromSource ? '.ts' : '.js'}`, from);
  if (!fromSource && !needsTsx) return { code: url, eval: false };
  return { code: `import(${JSON.stringify(tsxApi())}).then((m) => m.register()).then(() => import(${JSON.stringify(url.href)}))`, eval: true };
}

function tsxApi(): string {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
    return pathToFileURL(path.join(path.dirname(pkg), 'dist/esm/api/index.mjs')).href;
  }
}
