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

      // Paced: 5 lines at 10 lines/s. The pacing, not the process's start-up time (which varies a
      // lot on a busy machine), is measured: from the records' timestamps (the producer stamps each
      // request when it encodes it). The first line goes at once and each further one needs 100 ms
      // of credit earned after it (time blocked in a write of more than one tick earns none), so
      // the fifth is sent at least 400 ms after the pacing started and 300 ms after the first was
      // stamped; unpaced, the 5 lines go in one request, with one timestamp.
      const topic2 = uniqueTopic('feed-paced');
      const slow = await feed(['--file', file, '--kafka-topic', topic2, '--brokers', kafkaBrokers(), '--lines-per-second', '10']);
      expect(slow.code, slow.stderr).toBe(0);
      const fastest = await feed(['--file', file, '--kafka-topic', topic2, '--brokers', kafkaBrokers()]);
      expect(fastest.code, fastest.stderr).toBe(0);
      const got2 = await consumeMessages(topic2, 10);
      expect(got2.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // one partition
      expect(got2.map((r) => r.value)).toEqual([...lines, ...lines]); // in file order
      const spread = (rs: typeof got2): number => rs[rs.length - 1]!.timestamp - rs[0]!.timestamp;
      const paced = spread(got2.slice(0, 5));
      const unpaced = spread(got2.slice(5));
      expect(paced, `paced lines stamped ${got2.slice(0, 5).map((r) => r.timestamp).join(', ')}`).toBeGreaterThanOrEqual(299); // 1 ms: Date.now() is whole ms
      expect(unpaced).toBeLessThan(paced);
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
