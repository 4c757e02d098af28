// docs/kafka.md's walkthrough as a user runs it: `dstreams run kafka-wordcount $KAFKA_BROKERS
// <topic>` on a topic that does not exist yet, then — once the job printed that it is ready —
// `dstreams feed --kafka-topic <topic>`. Every line written after "ready" is counted.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaBrokers, uniqueTopic } from '../helpers/kafka.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'src/cli/bin.mjs');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function start(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  return { child, out: () => out, err: () => err, exit: new Promise((r) => child.once('exit', (c) => r(c))) };
}

async function until(cond: () => boolean, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The sum of the counts pprint printed for `word` over every batch. */
function counted(stdout: string, word: string): number {
  let n = 0;
  for (const m of stdout.matchAll(new RegExp(`^\\('${word}', (\\d+)\\)$`, 'gm'))) n += Number(m[1]);
  return n;
}

describe('docs/kafka.md walkthrough', () => {
  it('counts every line the feed writes after the job printed that it is ready, the topic created by the job', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('walkthrough');
    const job = start(['run', 'kafka-wordcount', kafkaBrokers(), topic, '1']);
    await until(() => /ready: counting the words of/.test(job.err()), `the job's ready line (stderr so far: ${job.err()})`, 60_000);

    const dir = mkdtempSync(path.join(tmpdir(), 'walkthrough-'));
    try {
      const file = path.join(dir, 'lines.txt');
      const lines = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 'to be' : 'or not to be'));
      writeFileSync(file, lines.join('\n') + '\n');
      // At once, as a user who starts the feed right after "ready" (full speed: the first lines
      // arrive within milliseconds of it).
      const feed = start(['feed', '--file', file, '--kafka-topic', topic, '--brokers', kafkaBrokers()]);
      expect(await feed.exit, feed.err()).toBe(0);
      await until(() => counted(job.out(), 'to') === 40, `40 'to' counted (stdout: ${job.out().slice(-2000)})`, 30_000);
      expect(counted(job.out(), 'be')).toBe(40);
      expect(counted(job.out(), 'or')).toBe(20);
      expect(counted(job.out(), 'not')).toBe(20);
      // `dstreams run` prints a progress line per batch on stderr, with the Kafka lag.
      expect(job.err()).toMatch(/batch \d\d:\d\d:\d\d \| \d+ records \| \d+ records\/s \| processing \d+ ms \| total delay \d+ ms \| Kafka lag \d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    job.child.kill('SIGINT');
    expect(await job.exit).toBe(0);
  });
});
