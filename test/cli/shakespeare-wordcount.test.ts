// examples/shakespeare-wordcount.ts through `dstreams run`: the per-batch counts and the running
// totals print under different headers, and the totals add up to every line fed.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpFeedTarget } from '../../src/cli/feed.js';
import { freePortBelow } from '../ui/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const children: ChildProcess[] = [];
const targets: TcpFeedTarget[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const t of targets.splice(0)) await t.close();
});

/** The blocks printed under `header`: `[time, [[word, n], …]]`, in order. */
function blocks(out: string, header: string): Array<[string, Array<[string, number]>]> {
  const re = new RegExp(`-+\\n${header}: (\\S+ \\S+)\\n-+\\n((?:\\('[^']*', \\d+\\)\\n|\\.\\.\\.\\n)*)`, 'g');
  return [...out.matchAll(re)].map((m) => [m[1]!, [...m[2]!.matchAll(/\('([^']*)', (\d+)\)/g)].map((x) => [x[1]!, Number(x[2])] as [string, number])]);
}

describe('examples/shakespeare-wordcount', () => {
  it('prints the words of each batch and the running totals under distinct headers', { timeout: 60_000 }, async () => {
    const port = await freePortBelow();
    const feed = new TcpFeedTarget({ port, host: '127.0.0.1' });
    targets.push(feed);
    const lines = Array.from({ length: 30 }, () => 'Thou art; thou ART');
    void feed.run(lines, { linesPerSecond: 20, loop: false }, () => undefined);
    await feed.listening;
    const child = spawn(process.execPath, [path.join(ROOT, 'src/cli/bin.mjs'), 'run', '--quiet', 'shakespeare-wordcount', '127.0.0.1', String(port), '1', '3'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    const deadline = Date.now() + 40_000;
    // Every line fed: "thou" and "art" twice each per line, lower-cased.
    const totalOf = (w: string): number => blocks(out, 'Running totals').at(-1)?.[1].find(([k]) => k === w)?.[1] ?? 0;
    while (totalOf('thou') < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(totalOf('thou')).toBe(60);
    expect(totalOf('art')).toBe(60);
    const perBatch = blocks(out, 'Words in this batch');
    const totals = blocks(out, 'Running totals');
    expect(perBatch.length).toBeGreaterThan(1);
    expect(totals.map(([t]) => t)).toEqual(perBatch.map(([t]) => t).slice(0, totals.length));
    expect(perBatch.reduce((n, [, kv]) => n + (kv.find(([k]) => k === 'thou')?.[1] ?? 0), 0)).toBe(60);
    expect(out).not.toMatch(/^Time: /m);
    child.kill('SIGINT');
  });
});
