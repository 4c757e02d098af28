// A Kafka receiver (createStream) at auto.offset.reset latest reads what was produced after the
// job FIRST started, even when the job dies before its group has committed an offset: the first
// start's time is kept in the checkpoint, and a partition without a committed offset is sought
// back to it at each group join. Before, each start meant "the end of the log when the group got
// the partition", and what came while the first run could not reach Kafka was lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jobChild } from '../helpers/jobChild.js';
import { createTopic, kafkaBrokers, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { freePort } from '../helpers/ports.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const records = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('Kafka receiver at latest: killed before its group committed an offset', () => {
  it.each(['nowal', 'wal'])('(%s) the restart reads what was produced since the first start', { timeout: 90_000 }, async (mode) => {
    const topic = uniqueTopic('receiver-latest');
    await createTopic(topic, 2);
    const dir = mkdtempSync(path.join(tmpdir(), 'kafka-receiver-latest-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const group = `${topic}-group`;
    const N = 100;
    // The first run reaches no broker: its consumer never joins, nothing is committed.
    const nowhere = `127.0.0.1:${await freePort()}`;
    const first = jobChild('test/kafka/receiver-latest-child.ts', [mode, nowhere, topic, group, dir, String(N)], cleanups);
    await first.waitFor((o) => o.includes('STARTED'), 'the first start');
    await produceLines(topic, records('a', N / 2), { partitions: 2 });
    await sleep(1000); // a batch or more
    await first.kill();

    const second = jobChild('test/kafka/receiver-latest-child.ts', [mode, kafkaBrokers(), topic, group, dir, String(N)], cleanups);
    await second.waitFor((o) => o.includes('STARTED'), 'the second start');
    await produceLines(topic, records('b', N / 2), { partitions: 2 });
    await second.waitFor((o) => o.includes('DONE'), 'every record produced since the first start counted', 30_000);
    const final = JSON.parse(second.lines().filter((l) => l.startsWith('{')).at(-1)!) as { keys: number; total: number; max: number };
    expect(final).toMatchObject({ keys: N, total: N, max: 1 });
  });
});
