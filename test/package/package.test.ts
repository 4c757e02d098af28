// The package as users get it: `npm pack`, then `npm install --omit=dev` of the tarball into a
// fresh project. One pack and one install per run (beforeAll); the tests then use that project.
//
// The install is pinned (the project's `overrides`) to the versions package-lock.json holds: the
// registry served here can list a version before the versions it depends on arrive (CI failed so
// once: @aws-sdk/client-dynamodb 3.1178.0 needing a dynamodb-codec ^3.973.60 not yet served), and a
// test of our package must not fail on that. The tree is then the one `npm ci` installs and the
// suite runs against.
import { execFile, type ExecFileOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortBelow } from '../ui/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let work: string;
let project: string;

function run(cmd: string, args: string[], opts: ExecFileOptions = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 64 << 20, timeout: 240_000, ...opts }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), code });
    });
  });
}

async function mustRun(cmd: string, args: string[], opts: ExecFileOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/**
 * package-lock.json's version of every package the published one needs (dev entries left out), as
 * npm `overrides`. A name locked at two versions (one nested under a package that pins it) is left
 * to resolve as it does: one version for the name would break the pin.
 */
function lockedOverrides(): Record<string, string> {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; dev?: boolean; link?: boolean }>;
  };
  const versions = new Map<string, Set<string>>();
  for (const [at, entry] of Object.entries(lock.packages)) {
    if (at === '' || entry.dev || entry.link || !entry.version) continue;
    const name = at.slice(at.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!versions.has(name)) versions.set(name, new Set());
    versions.get(name)!.add(entry.version);
  }
  const pins: Record<string, string> = {};
  for (const [name, vs] of versions) if (vs.size === 1) pins[name] = [...vs][0]!;
  return pins;
}

/** The README's ManualClock example and the output it says it prints. */
function readmeManualClockExample(): { code: string; prints: string } {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const m = /```ts\n(import \{ ManualClock, StreamingContext \} from 'dstreams';[\s\S]*?)```\n\nprints\n\n```\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error("README.md no longer has the ManualClock example followed by 'prints' and its output");
  return { code: m[1]!, prints: m[2]! };
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'dstreams-pack-'));
  // prepack builds dist/ (tsc) first.
  const packed = await mustRun('npm', ['pack', '--silent', '--pack-destination', work], { cwd: ROOT });
  const tarball = path.join(work, packed.trim().split('\n').pop()!);
  project = path.join(work, 'app');
  await mustRun('mkdir', ['-p', project]);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true, overrides: lockedOverrides() }));
  await mustRun('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: project });
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package installed with --omit=dev', () => {
  it('ships compiled JavaScript, declarations and the UI assets, not the TypeScript sources or tests', () => {
    const pkg = path.join(project, 'node_modules/dstreams');
    expect(existsSync(path.join(pkg, 'dist/src/index.js'))).toBe(true);
    expect(existsSync(path.join(pkg, 'dist/src/index.d.ts'))).toBe(true);
    expect(existsSync(path.join(pkg, 'dist/src/ui/static/app.js'))).toBe(true);
    expect(existsSync(path.join(pkg, 'dist/examples/network-wordcount.js'))).toBe(true);
    expect(existsSync(path.join(pkg, 'src'))).toBe(false);
    expect(existsSync(path.join(pkg, 'test'))).toBe(false);
    expect(existsSync(path.join(project, 'node_modules/vitest'))).toBe(false);
  });

  it('installs the versions package-lock.json holds, the ones the suite ran against', () => {
    const pins = lockedOverrides();
    const installed = (name: string): string =>
      (JSON.parse(readFileSync(path.join(project, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    for (const name of ['@aws-sdk/client-dynamodb', '@aws-sdk/dynamodb-codec', 'kafkajs', 'level', 'pg']) {
      expect(pins[name], name).toBeDefined();
      expect(installed(name), name).toBe(pins[name]);
    }
  });

  it('imports as an ES module, with the subpath export of the exactly-once library (also as dstreams/pipelines)', async () => {
    const script = [
      "const d = await import('dstreams');",
      "const x = await import('dstreams/exactlyonce');",
      "const p = await import('dstreams/pipelines');",
      'console.log(typeof d.StreamingContext, typeof d.KafkaUtils, typeof d.ManualClock, typeof x.resumeFromSink, typeof x.OffsetTracker, p.resumeFromSink === x.resumeFromSink);',
    ].join('\n');
    const out = await mustRun(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    expect(out.trim()).toBe('function object function function function true');
  });

  it("runs the README's ManualClock example with `dstreams run` (a user's TypeScript job) and prints what the README shows", async () => {
    const { code, prints } = readmeManualClockExample();
    writeFileSync(path.join(project, 'job.ts'), code);
    const r = await run('npx', ['--no-install', 'dstreams', 'run', '--quiet', 'job.ts'], { cwd: project, env: { ...process.env, TZ: 'UTC' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd()).toBe(prints.trimEnd());
  });

  it('`npx dstreams --version` prints the version', async () => {
    const out = await mustRun('npx', ['--no-install', 'dstreams', '--version'], { cwd: project });
    expect(out.trim()).toBe(version);
  });

  it("type-checks a user's program and the shipped declarations under strict flags (exactOptionalPropertyTypes, no skipLibCheck); pair operations take API.md's type arguments and exist only on pair streams", async () => {
    writeFileSync(
      path.join(project, 'check.ts'),
      [
        "import { ManualClock, StateSpec, StreamingContext, KafkaUtils, type DStream, type State, type StreamingListener } from 'dstreams';",
        "import { resumeFromSink } from 'dstreams/exactlyonce';",
        'const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), ui: { port: 4040 } });',
        "const listener: StreamingListener = { onBatchCompleted: (i) => console.log(i.totalDelay, i.streamIdToInputInfo) };",
        'ssc.addStreamingListener(listener);',
        "ssc.queueStream([['a b']]).flatMap((l) => l.split(' ')).map((w): [string, number] => [w, 1]).reduceByKey((a, b) => a + b).pprint();",
        'const url: string | undefined = ssc.uiWebUrl;',
        'void url; void KafkaUtils; void resumeFromSink;',
        // API.md's signatures with their type arguments written out.
        "const pairs: DStream<[string, number]> = ssc.queueStream([[['a', 1] as [string, number]]]);",
        'const totals: DStream<[string, number]> = pairs.updateStateByKey<number>((vs, s) => vs.reduce((a, b) => a + b, s ?? 0));',
        "const spec = StateSpec.function((k: string, v: number | undefined, s: State<number>) => { s.update((s.getOption() ?? 0) + (v ?? 0)); return k; });",
        'const mapped: DStream<string> = pairs.mapWithState<number, string>(spec);',
        "const labelled: DStream<[string, string]> = pairs.mapValues<string>((v) => String(v));",
        'const sums: DStream<[string, number[]]> = pairs.combineByKey<number[]>((v) => [v], (c, v) => [...c, v], (a, b) => [...a, ...b]);',
        'const joined: DStream<[string, [number, string]]> = pairs.join<string>(labelled);',
        'const outer: DStream<[string, [number, string | undefined]]> = pairs.leftOuterJoin<string>(labelled);',
        // The book's Listing 7.8 as written, no annotation: the state's type defaults to the value's.
        'const inferred: DStream<[string, number]> = pairs.updateStateByKey((vs, s) => vs.reduce((a, b) => a + b, 0) + (s ?? 0));',
        'void totals; void mapped; void sums; void joined; void outer; void inferred;',
        "const words: DStream<string> = ssc.queueStream([['a']]);",
        '// @ts-expect-error a pair operation does not exist on a stream of strings',
        'words.reduceByKey((a, b) => a + b);',
        '// @ts-expect-error nor with its type argument written',
        'words.updateStateByKey<number>(() => 1);',
      ].join('\n'),
    );
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          // Our declarations are checked too: what they name from other packages must come with the package.
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['check.ts'],
      }),
    );
    const r = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('serves the web UI with its charting library from the installed package (no CDN)', async () => {
    const port = await freePortBelow();
    const script = [
      "import { StreamingContext } from 'dstreams';",
      `const ssc = new StreamingContext({ batchDuration: 200, ui: { port: ${port} } });`,
      "ssc.queueStream([['x']]).count().foreachRDD(() => {});",
      'await ssc.start();',
      "const get = async (p) => { const r = await fetch(ssc.uiWebUrl + p); return r.status + ' ' + (await r.text()).length; };",
      "console.log(await get('static/uPlot.iife.min.js'), await get('streaming/'), await get('static/app.js'), await get('static/graph.js'), await get('metrics'));",
      'await ssc.stop();',
    ].join('\n');
    const out = await mustRun(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    const parts = out.trim().split(' ');
    expect(parts.filter((_, i) => i % 2 === 0)).toEqual(['200', '200', '200', '200', '200']);
    expect(Number(parts[1])).toBeGreaterThan(10_000); // uPlot itself
  });
});
