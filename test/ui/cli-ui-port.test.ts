// `dstreams run --ui-port N` means port N for every N the help allows (0–65535): 0 a free port
// (as `ui: { port: 0 }`), 1 port 1 — not "off" and "on" as the bare values of DSTREAMS_UI.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uiOptionsFromEnv } from '../../src/ui/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'src/cli/bin.mjs');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dstreams-ui-port-'));
  const src = (p: string): string => JSON.stringify(pathToFileURL(path.join(ROOT, p)).href);
  // Starts a context (its UI from DSTREAMS_UI) and prints where it served, or the options a context would get.
  writeFileSync(
    path.join(dir, 'job.mts'),
    `import { ManualClock, StreamingContext } from ${src('src/index.ts')};
import { uiOptionsFromEnv } from ${src('src/ui/index.ts')};
if (process.argv[2] === 'options') console.log('options', JSON.stringify(uiOptionsFromEnv() ?? null));
else {
  const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
  ssc.queueStream([['a']]).foreachRDD(() => undefined);
  await ssc.start();
  console.log('url', String(ssc.uiWebUrl));
  await ssc.stop();
}
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<string> {
  const env = { ...process.env };
  delete env.DSTREAMS_UI;
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [BIN, 'run', '--quiet', ...args], { cwd: ROOT, timeout: 60_000, env }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim()),
    ),
  );
}

describe('dstreams run --ui-port', () => {
  it('--ui-port 0 serves the UI on a free port (it used to turn the UI off)', async () => {
    const out = await run(['--ui-port', '0', path.join(dir, 'job.mts')]);
    const m = /^url http:\/\/127\.0\.0\.1:(\d+)\/$/.exec(out);
    expect(m, out).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
  }, 60_000);

  it('--ui-port 1 asks for port 1 (it used to serve on the default 4040)', async () => {
    expect(await run(['--ui-port', '1', path.join(dir, 'job.mts'), 'options'])).toBe('options {"port":1}');
    expect(await run(['--ui', path.join(dir, 'job.mts'), 'options'])).toBe('options {}');
  }, 60_000);

  it('DSTREAMS_UI: port=N is any port; the older values keep their meaning', () => {
    expect(uiOptionsFromEnv('port=0')).toEqual({ port: 0 });
    expect(uiOptionsFromEnv('port=1')).toEqual({ port: 1 });
    expect(uiOptionsFromEnv('port=8080')).toEqual({ port: 8080 });
    expect(uiOptionsFromEnv('0')).toBeUndefined();
    expect(uiOptionsFromEnv('false')).toBeUndefined();
    expect(uiOptionsFromEnv('1')).toEqual({});
    expect(uiOptionsFromEnv('8080')).toEqual({ port: 8080 });
    expect(uiOptionsFromEnv('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 });
    expect(uiOptionsFromEnv('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(() => uiOptionsFromEnv('port=x')).toThrow(/DSTREAMS_UI must be 1, port=N, a port or host:port/);
  });
});
