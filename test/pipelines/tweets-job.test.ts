/**
 * The tweet speed layer end to end, against the real Kafka broker and the real PostgreSQL:
 * generated tweet lines (`dstreams generate tweets`) → the job → the complete-mode table, which
 * must equal the per-location aggregate computed from the generator's own truth — also across
 * SIGKILLs and restarts of the job from its checkpoint, one of them behind the table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { generateTweets } from '../../src/apps/tweets/generate.js';
import { createTopic, kafkaBrokers, topicEndOffsets, uniqueTopic } from '../helpers/kafka.js';
import { pgQuery, useScratchSchema } from '../helpers/postgres.js';
import { expectedTweetTotals } from './expected.js';
import { pgEnv, runDstreams, runTs, sleep, waitFor, type Child } from './helpers.js';

const scratch = useScratchSchema('dstreams_tweets');
const dirs: string[] = [];
const children: Child[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const DAY = '2017-11-11';

async function generate(topic: string, count: number, seed: number): Promise<void> {
  const gen = runDstreams(['generate', 'tweets', '--kafka-topic', topic, '--brokers', kafkaBrokers(), '--count', String(count), '--day', DAY, '--malformed', '0.05', '--seed', String(seed), '--quiet']);
  children.push(gen);
  expect((await gen.exit).code, gen.stderr()).toBe(0);
}

async function table(name: string): Promise<Record<string, number[]>> {
  const res = await pgQuery<Record<string, string>>(`SELECT *, day::text AS day FROM ${scratch().qualified(name)}`);
  for (const r of res.rows) expect(r.day).toBe(DAY);
  return Object.fromEntries(
    res.rows.map((r) => [r.location, ['count(id)', 'sum(followers_count)', 'sum(favorite_count)', 'sum(retweet_count)'].map((c) => Number(r[c]))]),
  );
}

describe('tweet speed layer job (real Kafka, real PostgreSQL)', () => {
  it('the complete-mode table equals the independent aggregate of today’s tweets, across SIGKILLs and restarts (from the checkpoint, also when it is behind the table)', { timeout: 240_000 }, async () => {
    const topic = uniqueTopic('tweets');
    await createTopic(topic, 2);
    await generate(topic, 6000, 1);
    const dir = mkdtempSync(join(tmpdir(), 'dstreams-tweets-'));
    dirs.push(dir, `${join(dir, 'cp')}.stale`);
    const sinkId = scratch().unique('tweets');
    const args = [
      '--topic', topic, '--brokers', kafkaBrokers(), '--checkpoint', join(dir, 'cp'), '--schema', scratch().schema,
      '--sink-id', sinkId, '--batch-seconds', '0.5', '--export-seconds', '1', '--day', DAY, '--max-rate-per-partition', '500',
    ];
    const env = await pgEnv();

    const first = runTs('src/apps/tweets/main.ts', args, env);
    children.push(first);
    await first.waitForEvent((e) => e.event === 'export' && (e.tweets as number) > 0, 120_000);
    await sleep(Math.floor(Math.random() * 700));
    first.child.kill('SIGKILL');
    await first.exit;

    // More tweets while it is down, then a restart that must read on from where the table is.
    await generate(topic, 3000, 2);
    const ends = await topicEndOffsets(topic);
    const total = Object.values(ends).reduce((a, b) => a + b, 0);
    expect(total).toBe(9000);
    // The second run SIGKILLs itself right after its first committed export (before the
    // checkpoint has the batch): the checkpoint holds that batch's offset ranges, ending at the
    // offsets the table stored, so the third resumes from it and runs the batch again (skipped).
    const second = runTs('src/apps/tweets/main.ts', args, { ...env, DSTREAMS_CRASH_AFTER_COMMITS: '1' });
    children.push(second);
    const secondStart = await second.waitForEvent((e) => e.event === 'start', 120_000);
    expect((await second.exit).signal, second.stderr()).toBe('SIGKILL');
    const third = runTs('src/apps/tweets/main.ts', args, env);
    children.push(third);
    const thirdStart = await third.waitForEvent((e) => e.event === 'start', 120_000);
    expect(thirdStart).toMatchObject({ source: 'checkpoint' });
    expect(thirdStart.staleCheckpoint).toBeUndefined();
    expect(thirdStart.recoveredFrom as number).toBeLessThan(thirdStart.lastCommitted as number);
    expect(thirdStart.fromOffsets).not.toBeNull();
    console.info(`tweets kill test: restarts from ${String(secondStart.source)}, ${String(thirdStart.source)}`);
    await waitFor(
      'an export covering every offset',
      async () => {
        const res = await pgQuery<{ n: string | null }>(
          `SELECT sum(until_offset)::text AS n FROM ${scratch().qualified('dstreams_sink_offsets')} WHERE sink_id = $1`,
          [sinkId],
        );
        return Number(res.rows[0]?.n ?? 0) === total;
      },
      180_000,
      250,
    );
    third.child.kill('SIGTERM');
    expect((await third.exit).code, third.stderr()).toBe(0);

    const expected = expectedTweetTotals([...generateTweets({ count: 6000, day: DAY, malformed: 0.05, seed: 1 }), ...generateTweets({ count: 3000, day: DAY, malformed: 0.05, seed: 2 })], DAY);
    expect(await table('speed_layer')).toEqual(expected);
    // The seed's own column names, quoted.
    const cols = await pgQuery<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'speed_layer' ORDER BY ordinal_position`,
      [scratch().schema],
    );
    expect(cols.rows.map((r) => r.column_name)).toEqual(['location', 'count(id)', 'sum(followers_count)', 'sum(favorite_count)', 'sum(retweet_count)', 'day', 'batch_id']);
  });
});
