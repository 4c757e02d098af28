// SIGKILL the job 5 times while records flow into a 4-shard Kinesis stream; each time it comes
// back through StreamingContext.getOrCreate. The direct stream counts every record exactly
// once; the receiver stream with the write-ahead log loses none (it may read a record twice:
// records stored after the last lease checkpoint are read again by the next worker).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKinesisStream, kinesisEndpoints, putLines, uniqueName } from '../helpers/kinesis.js';
import { child, sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const records = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

interface Final {
  keys: number;
  total: number;
  max: number;
}

async function killFiveTimes(mode: 'direct' | 'receiver', N: number): Promise<{ final: Final; starts: string[]; batchesSeen: number }> {
  const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
  const stream = uniqueName(`recovery-${mode}`);
  const app = uniqueName(`recovery-${mode}-app`);
  await createKinesisStream(stream, 4);
  const dir = tempDir(`kinesis-${mode}-recovery-`);
  const kills = 5;
  const first = N / 2;
  const perRun = (N - first) / kills;
  await putLines(stream, records('a', first));
  const starts: string[] = [];
  let batchesSeen = 0;
  const args = [mode, kinesisEndpoint, dynamoDBEndpoint, stream, app, dir, String(N)];
  for (let k = 0; k < kills; k++) {
    const c = child('recovery-child.ts', args, cleanups);
    await c.waitFor((o) => o.includes('STARTED'), 'the start');
    starts.push(c.lines().find((l) => l.startsWith('STARTED'))!);
    // Records flow while the job runs; it is killed somewhere in the middle: after 1 to 3 of
    // its batches, at a random moment of the next one (a batch in flight).
    const putting = putLines(stream, records(`b${k}`, perRun));
    const batches = 1 + Math.floor(Math.random() * 3);
    // On a quiet machine the last run can count everything (and stop) before that many batches.
    await c.waitFor((o) => o.includes('DONE') || o.split('\n').filter((l) => l.startsWith('{')).length >= batches, `${batches} batches`);
    await sleep(Math.floor(Math.random() * 400));
    await c.kill();
    await putting;
    batchesSeen += c.lines().filter((l) => l.startsWith('{')).length;
  }
  const last = child('recovery-child.ts', args, cleanups);
  await last.waitFor((o) => o.includes('DONE'), 'every record counted', 120_000);
  await last.exited;
  const final = JSON.parse(last.lines().filter((l) => l.startsWith('{')).at(-1)!) as Final;
  if (process.env.KINESIS_TEST_VERBOSE) console.log(mode, starts, batchesSeen, final);
  return { final, starts, batchesSeen };
}

describe('SIGKILL 5 times while records flow (getOrCreate)', () => {
  it('direct stream: every record counted exactly once', { timeout: 240_000 }, async () => {
    const N = 20_000;
    const { final, starts, batchesSeen } = await killFiveTimes('direct', N);
    expect(final).toMatchObject({ keys: N, total: N, max: 1 });
    expect(starts[0]).toBe('STARTED fresh');
    expect(batchesSeen).toBeGreaterThan(0);
    expect(starts.slice(1).some((s) => /^STARTED \d+$/.test(s))).toBe(true);
  });

  it('receiver stream with the write-ahead log: no record lost', { timeout: 240_000 }, async () => {
    const N = 20_000;
    const { final, starts } = await killFiveTimes('receiver', N);
    expect(final.keys).toBe(N);
    expect(final.total).toBeGreaterThanOrEqual(N);
    expect(starts[0]).toBe('STARTED fresh');
    expect(starts.slice(1).some((s) => /^STARTED \d+$/.test(s))).toBe(true);
  });
});
