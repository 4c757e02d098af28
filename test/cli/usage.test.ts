// The dstreams command on bad input: every usage error is one line on stderr and exit code 2;
// a service that does not answer is a line at once, one per retry, then the reason and exit 1;
// never a stack trace. Help and --version exit 0.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { kafkaBrokers } from '../helpers/kafka.js';
import { pgEnv } from '../pipelines/helpers.js';
import { freePortBelow } from '../ui/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'src/cli/bin.mjs');
const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** When each stderr line arrived, ms after the start. */
  lineTimes: number[];
}

function dstreams(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const lineTimes: number[] = [];
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, timeout: 60_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - t0, lineTimes });
      },
    );
    child.stderr!.on('data', (d: Buffer) => {
      for (const ch of String(d)) if (ch === '\n') lineTimes.push(Date.now() - t0);
    });
  });
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
const noStack = (r: Result): void => expect(r.stderr).not.toMatch(/\n\s+at /);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
afterAll(() => {
  for (const d of ['.tmp/unreachable-cp', '.tmp/missing-topic-cp']) rmSync(path.join(ROOT, d), { recursive: true, force: true });
});

describe('dstreams: usage errors', () => {
  it('--version prints the package version', async () => {
    const r = await dstreams(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it.each([
    [['feed', '--file', 'README.md', '--bogus'], /^error: unknown option '--bogus'$/],
    [['feed', '--bogus'], /^error: unknown option '--bogus'$/],
    [['feed', '--file', 'README.md', '--port', 'abc'], /^error: option '--port <port>' argument 'abc' is invalid\. must be a TCP port/],
    [['feed', '--file', 'no-such-file.txt', '--port', '9'], /^error: no such file: no-such-file\.txt$/],
    [['feed', '--port', '9'], /^error: feed needs --file <file>$/],
    [['generate', 'meetup'], /^error: required option '--count <n>' not specified$/],
    [['generate', 'meetup', '--cuont', '5'], /^error: unknown option '--cuont'/],
    [['generate', 'tweets', '--count', 'many'], /^error: option '--count <n>' argument 'many' is invalid/],
    [['run', 'no-such-job'], /^error: no job file or example "no-such-job"; examples: .*network-wordcount/],
    [['run', '--ui-port', 'x', 'network-wordcount'], /^error: option '--ui-port <port>' argument 'x' is invalid/],
    [['frobnicate'], /^error: unknown command 'frobnicate'$/],
    [['generate', 'tweets', '--count', '5', '--day', '2020-02-30'], /^error: option '--day <YYYY-MM-DD>' argument '2020-02-30' is invalid\. must be a date YYYY-MM-DD$/],
    // Checked before the apps wait for Kafka and PostgreSQL (none is reachable at port 9).
    [['tweets', '--brokers', '127.0.0.1:9', '--topic', 't', '--checkpoint', '.tmp/never-cp', '--day', '2020-13-45'], /^error: option '--day <YYYY-MM-DD>' argument '2020-13-45' is invalid/],
    [['tweets', '--brokers', '127.0.0.1:9', '--topic', 't', '--checkpoint', '.tmp/never-cp', '--batch-seconds', '5', '--export-seconds', '7'], /^error: --export-seconds must be a multiple of --batch-seconds \(5\), got 7$/],
    [['tweets', '--brokers', '127.0.0.1:9', '--topic', 't', '--checkpoint', '.tmp/never-cp', '--export-seconds', '0.0001'], /^error: --export-seconds must be a multiple of --batch-seconds \(\d+\), got 0\.0001$/],
    [['meetup', '--brokers', '127.0.0.1:9', '--topic', 't', '--checkpoint', '.tmp/never-cp', '--batch-seconds', '0.0001'], /^error: --batch-seconds must be at least 0\.001/],
    // A malformed broker list is a bad flag, not an unreachable Kafka to retry for a minute.
    [['generate', 'meetup', '--count', '5', '--kafka-topic', 't', '--brokers', 'nonsense'], /^error: option '--brokers <list>' argument 'nonsense' is invalid\. "nonsense" in the --brokers list is not host:port$/],
    [['meetup', '--topic', 't', '--checkpoint', '.tmp/never-cp', '--brokers', 'host:99999'], /^error: option '--brokers <list>' argument 'host:99999' is invalid\. .*port 99999: a port is 1 to 65535$/],
    [['feed', '--file', 'README.md', '--kafka-topic', 't', '--brokers', 'nonsense'], /^error: "nonsense" in the --brokers list is not host:port$/],
    [['feed', '--file', 'README.md', '--kafka-topic', 'bad topic!'], /^error: "bad topic!" is not a valid Kafka topic name/],
  ])('%j: one line, exit code 2', async (args, message) => {
    const r = await dstreams(args);
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
    noStack(r);
  });

  it.each([
    [['feed', '--file', 'README.md', '--kafka-topic', 't', '--partitions', 'abc'], "--partitions <n>' argument 'abc'"],
    [['feed', '--file', 'README.md', '--kinesis-stream', 's', '--shards', '0'], "--shards <n>' argument '0'"],
  ])('a count option that is not a whole number ≥ 1 (%j): one line naming the option, exit code 2', async (args, option) => {
    const r = await dstreams(args);
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr.trim()).toBe(`error: option '${option} is invalid. must be a whole number ≥ 1`);
    noStack(r);
  });

  it('feed --file naming a directory: one line saying it is a directory, not a file, exit code 2', async () => {
    const r = await dstreams(['feed', '--file', 'src', '--port', '9', '--quiet']);
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr.trim()).toBe('error: --file src is a directory, not a file');
    noStack(r);
  });

  it.each([
    ['/nonexistent/dir/x.json', 'no such directory: /nonexistent/dir (ENOENT)'],
    ['src', 'it is a directory (EISDIR)'],
  ])('generate --out %s, a file that cannot be opened: one line naming the file and why, exit code 2', async (out, why) => {
    const r = await dstreams(['generate', 'meetup', '--count', '5', '--out', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr.trim()).toBe(`error: cannot write --out ${out}: ${why}`);
    noStack(r);
  });

  it('dstreams run: a job that fails is its message and causes on one line, exit code 1; a TypeScript job compiled as CommonJS says to make it a module', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dstreams-run-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, 'package.json'), '{"name":"a-default-npm-init-project"}\n');
    writeFileSync(path.join(dir, 'fails.mjs'), "await Promise.reject(new Error('the job failed', { cause: new Error('disk full') }));\n");
    writeFileSync(path.join(dir, 'tla.ts'), "await new Promise((r) => setTimeout(r, 1));\nconsole.log('ran');\n");
    const failed = await dstreams(['run', '--quiet', path.join(dir, 'fails.mjs')]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe('error: the job failed <- disk full\n');
    const cjs = await dstreams(['run', '--quiet', path.join(dir, 'tla.ts')]);
    expect(cjs.code).toBe(1);
    expect(lines(cjs.stderr)).toEqual([
      'error: the job is compiled as CommonJS, where top-level await is not allowed: add "type": "module" to its package.json, or name the file .mts',
    ]);
    writeFileSync(path.join(dir, 'package.json'), '{"name":"a-module-project","type":"module"}\n');
    const esm = await dstreams(['run', '--quiet', path.join(dir, 'tla.ts')]);
    expect(esm.code, esm.stderr).toBe(0);
    expect(esm.stdout).toBe('ran\n');
  });

  it('dstreams run: a streaming job whose batch fails says so on lines without a stack trace (DSTREAMS_DEBUG=1 adds it)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dstreams-run-batch-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, 'package.json'), '{"name":"a-module-project","type":"module"}\n');
    // The job awaits its termination only after a batch ran: the context logs the failure first.
    const job = [
      `import { ManualClock, StreamingContext } from ${JSON.stringify(path.join(ROOT, 'src/index.ts'))};`,
      'const clock = new ManualClock();',
      'const ssc = new StreamingContext({ batchDuration: 1000, clock });',
      "ssc.queueStream([['x']]).map(() => { throw new TypeError('bad record', { cause: new Error('x') }); }).foreachRDD((r) => r.count());",
      'await ssc.start();',
      'await clock.advance(1000);',
      'await ssc.awaitTermination();',
    ].join('\n');
    writeFileSync(path.join(dir, 'fails.ts'), job);
    const r = await dstreams(['run', path.join(dir, 'fails.ts')]);
    expect(r.code).toBe(1);
    noStack(r);
    expect(lines(r.stderr).at(-1)).toMatch(/^error: .*bad record <- x$/);
    expect(lines(r.stderr).some((l) => /FAILED: .*bad record/.test(l))).toBe(true);
    const debug = await dstreams(['run', path.join(dir, 'fails.ts')], { DSTREAMS_DEBUG: '1' });
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it.each([
    [['wordcount-demo', 'no-such-file.txt'], 'error: no such file: no-such-file.txt'],
    [['wordcount-demo', 'README.md', 'abc'], 'error: batches must be a whole number ≥ 1, got abc'],
    [['stateful-wordcount', '--batches', '0'], 'error: --batches must be a whole number ≥ 1, got 0'],
  ])('the example %j refuses a bad argument at once: exit code 2', async (args, message) => {
    const r = await dstreams(['run', '--quiet', ...args]);
    expect(r.code, r.stderr).toBe(2);
    expect(lines(r.stderr)[0]).toBe(message);
  });

  it('a port in use: one line, exit code 2', async () => {
    const port = await freePortBelow();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const r = await dstreams(['feed', '--file', 'README.md', '--port', String(port), '--host', '127.0.0.1', '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`error: port ${port} on 127.0.0.1 is in use: choose another --port`);
  });

  it('help says which options are required and that $KAFKA_BROKERS is the default broker list', async () => {
    const gen = await dstreams(['generate', 'meetup', '--help'], { KAFKA_BROKERS: '10.1.2.3:9092' });
    expect(gen.code).toBe(0);
    expect(gen.stdout).toMatch(/--count <n>\s+number of events \(required\)/);
    expect(gen.stdout).toContain('$KAFKA_BROKERS');
    expect(gen.stdout).not.toContain('default: "10.1.2.3:9092"');
    const feed = await dstreams(['feed', '--help']);
    expect(feed.stdout).toMatch(/--file <file>\s+text file to send, line by line \(required\)/);
    expect(feed.stdout).toContain('$KAFKA_BROKERS');
  });
});

describe('dstreams: a service that does not answer at start', () => {
  const fast = { DSTREAMS_CONNECT_RETRY_S: '1', DSTREAMS_CONNECT_WAIT_S: '3' };

  function expectUnreachable(r: Result, service: string, address: string, hint: RegExp): void {
    expect(r.code).toBe(1);
    noStack(r);
    const ls = lines(r.stderr).filter((l) => /reach/.test(l));
    expect(ls[0]).toMatch(new RegExp(`^cannot reach ${service} at ${address} \\(connection refused\\) — retrying every 1 s, giving up after 3 s; `));
    expect(ls[0]).toMatch(hint);
    expect(ls.slice(1, -1).every((l) => l.startsWith(`still cannot reach ${service} at ${address}`))).toBe(true);
    expect(ls.length).toBeGreaterThanOrEqual(3);
    expect(ls[ls.length - 1]).toMatch(new RegExp(`cannot reach ${service} at ${address} \\(connection refused\\) — gave up after 3(\\.\\d)? s`));
    // The first line comes at the first failure, not when giving up: seconds before the command
    // ends (it retries for 3 s). Measured from the end, not the start: starting Node and the
    // command alone can take over 10 s on a busy machine.
    expect(r.ms - r.lineTimes[0]!, `stderr lines at ${r.lineTimes.join(', ')} ms, exit at ${r.ms} ms`).toBeGreaterThanOrEqual(1500);
  }

  it('feed --kafka-topic', async () => {
    const r = await dstreams(['feed', '--file', 'README.md', '--kafka-topic', 't', '--brokers', '127.0.0.1:19999'], fast);
    expectUnreachable(r, 'Kafka', '127.0.0.1:19999', /set --brokers or KAFKA_BROKERS/);
  });

  it('generate tweets --kafka-topic', async () => {
    const r = await dstreams(['generate', 'tweets', '--count', '10', '--kafka-topic', 't'], { ...fast, KAFKA_BROKERS: '127.0.0.1:19999' });
    expectUnreachable(r, 'Kafka', '127.0.0.1:19999', /set --brokers or KAFKA_BROKERS/);
  });

  it('the kafka-wordcount example', async () => {
    const r = await dstreams(['run', 'kafka-wordcount', '127.0.0.1:19999', 't'], fast);
    expectUnreachable(r, 'Kafka', '127.0.0.1:19999', /pass the brokers as the first argument/);
  });

  it('the meetup job: Kafka, then PostgreSQL', async () => {
    const kafka = await dstreams(['meetup', '--topic', 't', '--checkpoint', '.tmp/unreachable-cp', '--brokers', '127.0.0.1:19999'], fast);
    expectUnreachable(kafka, 'Kafka', '127.0.0.1:19999', /set --brokers or KAFKA_BROKERS/);
    const pg = await dstreams(
      ['tweets', '--topic', 't', '--checkpoint', '.tmp/unreachable-cp', '--brokers', kafkaBrokers(), '--pg-url', 'postgresql://postgres@127.0.0.1:19998/test'],
      fast,
    );
    expectUnreachable(pg, 'PostgreSQL', '127.0.0.1:19998/test', /set --pg-url or the PG\* variables/);
  });

  it('the meetup job on a topic that does not exist: the reason on one line, exit code 1, no stack trace', { timeout: 90_000 }, async () => {
    const r = await dstreams(['meetup', '--topic', `no-such-topic-${Date.now()}`, '--checkpoint', '.tmp/missing-topic-cp', '--brokers', kafkaBrokers()], await pgEnv());
    expect(r.code, r.stderr).toBe(1);
    noStack(r);
    expect(r.stderr).toMatch(/meetup-rsvps: failed: .*topic does not exist|^error: .*topic does not exist/m);
  });
});
