// `dstreams feed --file F --kinesis-stream S`: each line of a file → one Kinesis record.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { kinesis, kinesisEndpoints, listShards, uniqueName } from '../helpers/kinesis.js';
import { ROOT } from './helpers.js';

function feed(args: string[]): Promise<{ code: number; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'src/cli/bin.mjs'), 'feed', ...args],
      { cwd: ROOT, timeout: 60_000, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
      (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr, ms: Date.now() - t0 }),
    );
  });
}

/** Every record of every shard, shard by shard, each in sequence order (and when each arrived). */
async function readAll(stream: string, arrivals: number[] = []): Promise<string[][]> {
  const out: string[][] = [];
  for (const s of await listShards(stream)) {
    let it = (await kinesis().send(new GetShardIteratorCommand({ StreamName: stream, ShardId: s.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    const recs: string[] = [];
    for (;;) {
      const r = await kinesis().send(new GetRecordsCommand({ ShardIterator: it! }));
      for (const x of r.Records ?? []) {
        recs.push(Buffer.from(x.Data!).toString('utf8'));
        arrivals.push(x.ApproximateArrivalTimestamp!.getTime());
      }
      if (!r.Records?.length) break;
      it = r.NextShardIterator;
    }
    out.push(recs);
  }
  return out;
}

describe('dstreams feed --kinesis-stream', () => {
  it('creates the stream and puts each line of the file as a record; paced when asked', { timeout: 90_000 }, async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const dir = mkdtempSync(path.join(tmpdir(), 'feed-kinesis-'));
    try {
      const file = path.join(dir, 'lines.txt');
      const lines = ['First Citizen:', 'Before we proceed any further, hear me speak.', '', 'All:', 'Speak, speak.'];
      writeFileSync(file, lines.join('\n') + '\n');
      const stream = uniqueName('feed');
      const fast = await feed(['--file', file, '--kinesis-stream', stream, '--kinesis-endpoint', kinesisEndpoint, '--shards', '2']);
      expect(fast.code, fast.stderr).toBe(0);
      expect(fast.stderr).toMatch(/created stream .* \(2 shards\)/);
      expect(fast.stderr).toMatch(/sent 5 lines/);
      const shards = await readAll(stream);
      expect(shards).toHaveLength(2);
      expect(shards.flat().sort()).toEqual([...lines].sort());

      // Paced: 5 lines at 10 lines/s arrive over about 400 ms; one shard keeps the file's order.
      const stream2 = uniqueName('feed-paced');
      const slow = await feed(['--file', file, '--kinesis-stream', stream2, '--kinesis-endpoint', kinesisEndpoint, '--lines-per-second', '10']);
      expect(slow.code, slow.stderr).toBe(0);
      const arrivals: number[] = [];
      expect(await readAll(stream2, arrivals)).toEqual([lines]);
      expect(arrivals[arrivals.length - 1]! - arrivals[0]!).toBeGreaterThanOrEqual(300);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unreachable endpoint: the feed fails naming the stream and the endpoint', { timeout: 60_000 }, async () => {
    const r = await feed(['--file', 'README.md', '--kinesis-stream', 'words', '--kinesis-endpoint', 'http://127.0.0.1:9']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Kinesis stream "words" at http://127.0.0.1:9');
  });
});
