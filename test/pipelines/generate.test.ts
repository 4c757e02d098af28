/**
 * `dstreams generate meetup|tweets` against the real Kafka broker of the test run: the command
 * produces exactly the events the generator functions give for the same options.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { generateMeetupEvents } from '../../src/apps/meetup/generate.js';
import { generateTweets } from '../../src/apps/tweets/generate.js';
import { consumeMessages, kafkaBrokers, topicEndOffsets, uniqueTopic } from '../helpers/kafka.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'src/cli/bin.mjs');

function dstreams(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('dstreams generate (real Kafka)', () => {
  it('meetup: the events of the seed, keyed by rsvp_id, spread over the topic’s partitions', async () => {
    const topic = uniqueTopic('gen-meetup');
    const r = await dstreams(['generate', 'meetup', '--kafka-topic', topic, '--brokers', kafkaBrokers(), '--count', '1500', '--malformed', '0.1', '--seed', '42', '--partitions', '3']);
    expect(r.stderr).toMatch(/sent 1500 events to topic/);
    expect(r.code).toBe(0);
    const ends = await topicEndOffsets(topic);
    expect(Object.keys(ends)).toHaveLength(3);
    expect(Object.values(ends).reduce((a, b) => a + b, 0)).toBe(1500);
    const got = await consumeMessages(topic, 1500);
    const expected = [...generateMeetupEvents({ count: 1500, malformed: 0.1, seed: 42 })];
    const sort = (xs: Array<{ key: string | null; value: string }>) => xs.map((x) => JSON.stringify([x.key, x.value])).sort();
    expect(sort(got)).toEqual(sort(expected));
  });

  it('tweets: paced with --rate, the lines of the seed', async () => {
    const topic = uniqueTopic('gen-tweets');
    const started = Date.now();
    const r = await dstreams(['generate', 'tweets', '--kafka-topic', topic, '--brokers', kafkaBrokers(), '--count', '300', '--rate', '500', '--day', '2017-11-11', '--malformed', '0.05', '--partitions', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    const got = await consumeMessages(topic, 300);
    const expected = [...generateTweets({ count: 300, day: '2017-11-11', malformed: 0.05 })].map((t) => t.value);
    expect(got.map((m) => m.value).sort()).toEqual(expected.sort());
  });

  it('says what is missing without a topic', async () => {
    const r = await dstreams(['generate', 'meetup', '--count', '1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--kafka-topic/);
  });
});
