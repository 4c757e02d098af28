// The Kinesis examples run as users run them (npx tsx examples/…) against the local servers:
// Listing 7.21's receiver word count, and the Shakespeare word count through a direct stream,
// killed with SIGKILL and resumed, whose totals end equal to an independent count.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterEach, describe, expect, it } from 'vitest';
import { createKinesisStream, kinesisEndpoints, putLines, REGION, uniqueName } from '../helpers/kinesis.js';
import { countWords, ROOT, shakespeareLines, sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function example(name: string, args: string[]): { out: () => string; waitFor: (re: RegExp, ms?: number) => Promise<void>; kill: () => Promise<void> } {
  const p = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'examples', `${name}.ts`), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let out = '';
  p.stdout.on('data', (d) => (out += String(d)));
  p.stderr.on('data', (d) => (out += String(d)));
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  cleanups.push(() => void p.kill('SIGKILL'));
  return {
    out: () => out,
    async waitFor(re, ms = 60_000) {
      const t0 = Date.now();
      while (!re.test(out)) {
        if (p.exitCode !== null) throw new Error(`${name} exited:\n${out.slice(-3000)}`);
        if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${re} from ${name}:\n${out.slice(-3000)}`);
        await sleep(50);
      }
    },
    async kill() {
      p.kill('SIGKILL');
      await exited;
    },
  };
}

describe('Kinesis examples', () => {
  it("Listing 7.21 (kinesis-wordcount): the receiver counts the words of what is put after it started", { timeout: 90_000 }, async () => {
    const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
    const stream = uniqueName('my_kinesis_stream');
    const app = uniqueName('KinesisCountApplication');
    await createKinesisStream(stream, 2);
    const ex = example('kinesis-wordcount', [app, stream, kinesisEndpoint, REGION, dynamoDBEndpoint, '1']);
    // LATEST: put once both leases are held.
    const db = new DynamoDBClient({ endpoint: dynamoDBEndpoint, region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, requestHandler: new NodeHttpHandler() });
    cleanups.push(() => db.destroy());
    for (;;) {
      const items = await db.send(new ScanCommand({ TableName: app })).then((r) => r.Items ?? [], () => []);
      if (items.length === 2 && items.every((i) => i.leaseOwner?.S)) break;
      await sleep(100);
    }
    await putLines(stream, ['to be or not to be', 'that is the question']);
    await ex.waitFor(/\('to', 2\)/);
    expect(ex.out()).toMatch(/\('be', 2\)/);
    expect(ex.out()).toMatch(/\('question', 1\)/);
  });

  it('kinesis-shakespeare-wordcount: killed with SIGKILL mid-way and started again, its totals equal the independent count', { timeout: 150_000 }, async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const stream = uniqueName('shakespeare');
    await createKinesisStream(stream, 4);
    const lines = shakespeareLines();
    await putLines(stream, lines);
    const dir = mkdtempSync(path.join(tmpdir(), 'kinesis-shakespeare-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const expected = [...countWords(lines)].sort((a, b) => b[1] - a[1]).slice(0, 3);
    const want = new RegExp(`totals: ${expected.map(([w, n]) => `${w} ${n}`).join(', ')}(,|\\n)`);

    const first = example('kinesis-shakespeare-wordcount', [stream, kinesisEndpoint, dir, '1', '3']);
    await first.waitFor(/totals: /);
    await first.kill();
    const second = example('kinesis-shakespeare-wordcount', [stream, kinesisEndpoint, dir, '1', '3']);
    await second.waitFor(want, 120_000);
  });
});
