// `dstreams feed --file F --kafka-topic T`: the book's step 19 (each line of a file → one record).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { consumeMessages, kafkaBrokers, topicEndOffsets, uniqueTopic } from '../helpers/kafka.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function feed(args: string[]): Promise<{ code: number; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'src/cli/bin.mjs'), 'feed', ...args], { cwd: ROOT, timeout: 60_000 }, (err, _out, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr, ms: Date.now() - t0 }),
    );
  });
}

describe('dstreams feed --kafka-topic', () => {
  it('creates the topic and writes each line of the file as a record, in order, paced', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'feed-kafka-'));
    try {
      const file = path.join(dir, 'lines.txt');
      const lines = ['First Citizen:', 'Before we proceed any further, hear me speak.', '', 'All:', 'Speak, speak.'];
      writeFileSync(file, lines.join('\n') + '\n');
      const topic = uniqueTopic('feed');
      const fast = await feed(['--file', file, '--kafka-topic', topic, '--brokers', kafkaBrokers(), '--partitions', '2']);
      expect(fast.code, fast.stderr).toBe(0);
      expect(fast.stderr).toMatch(/created topic .* \(2 partitions\)/);
      expect(fast.stderr).toMatch(/sent 5 lines/);
      const ends = await topicEndOffsets(topic);
      expect(Object.keys(ends)).toHaveLength(2);
      const got = await consumeMessages(topic, 5);
      expect(got.map((r) => r.value).sort()).toEqual([...lines].sort());
      expect(got.every((r) => r.key === null)).toBe(true);

      // Paced: 5 lines at 10 lines/s take about half a second; the topic exists now.
      const topic2 = uniqueTopic('feed-paced');
      const slow = await feed(['--file', file, '--kafka-topic', topic2, '--brokers', kafkaBrokers(), '--lines-per-second', '10']);
      expect(slow.code, slow.stderr).toBe(0);
      const got2 = await consumeMessages(topic2, 5);
      expect(got2.map((r) => r.value)).toEqual(lines); // one partition: in file order
      const fastest = await feed(['--file', file, '--kafka-topic', topic2, '--brokers', kafkaBrokers()]);
      expect(slow.ms - fastest.ms).toBeGreaterThanOrEqual(300);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says where the lines can go when no target is given', async () => {
    const r = await feed(['--file', 'README.md']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--kafka-topic <topic>/);
  });
});
