/**
 * Seeds 000 and 004 as Structured Streaming programs (examples/structured/), end to end on the
 * real Kafka broker and the real PostgreSQL, run as child processes that are SIGKILLed —
 * mid-run, and right after a batch's write before its checkpoint — and restarted from the same
 * checkpointLocation: the tables equal an aggregate computed independently from the generated input.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { generateMeetupEvents } from '../../src/apps/meetup/generate.js';
import { GROUP_COLUMNS } from '../../src/apps/meetup/schema.js';
import { generateTweets } from '../../src/apps/tweets/generate.js';
import { createTopic, kafkaBrokers, uniqueTopic } from '../helpers/kafka.js';
import { pgQuery, resolvePg, useScratchSchema } from '../helpers/postgres.js';
import { expectedMeetup } from '../pipelines/expected.js';
import { pgEnv, runDstreams, runTs, sleep, waitFor, type Child } from '../pipelines/helpers.js';

const scratch = useScratchSchema('dstreams_structured');
const dirs: string[] = [];
const children: Child[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function checkpointDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dstreams-structured-'));
  dirs.push(d);
  return join(d, 'cp');
}

async function jdbcUrl(): Promise<string> {
  const pg = await resolvePg();
  return `jdbc:postgresql://${pg.host}:${pg.port}/${pg.database}`;
}

async function generate(kind: 'meetup' | 'tweets', topic: string, args: string[]): Promise<void> {
  const gen = runDstreams(['generate', kind, '--kafka-topic', topic, '--brokers', kafkaBrokers(), ...args, '--quiet']);
  children.push(gen);
  expect((await gen.exit).code, gen.stderr()).toBe(0);
}

/** Rows of a query, or undefined while the table is missing or being replaced. */
async function rowsOf(sql: string): Promise<Record<string, unknown>[] | undefined> {
  try {
    return (await pgQuery(sql)).rows;
  } catch {
    return undefined;
  }
}

describe('seed 004: the meetup pipeline in Structured Streaming (foreachBatch, update mode)', () => {
  it('SIGKILLed mid-run and right after a batch write, restarted from its checkpointLocation: latest count per key equals the independent aggregate', { timeout: 300_000 }, async () => {
    const topic = uniqueTopic('sql-meetup');
    const count = 3000;
    const seed = 404;
    await createTopic(topic, 3);
    await generate('meetup', topic, ['--count', String(count), '--seed', String(seed)]);
    const table = `${scratch().schema}.meetup_table`;
    const cp = checkpointDir();
    const args = ['--topic', topic, '--brokers', kafkaBrokers(), '--checkpoint', cp, '--starting-offsets', 'earliest', '--trigger', '200 milliseconds', '--max-offsets', '250', '--jdbc-url', await jdbcUrl(), '--table', table];
    const env = await pgEnv();
    const expected = expectedMeetup(generateMeetupEvents({ count, malformed: 0, seed })).totals;
    const latest = async (): Promise<Map<string, number> | undefined> => {
      const cols = GROUP_COLUMNS.map((c) => `"${c}"`).join(', ');
      const rows = await rowsOf(`SELECT DISTINCT ON (${cols}) * FROM ${table} ORDER BY ${cols}, batch_id DESC`);
      return rows && new Map(rows.map((r) => [JSON.stringify(GROUP_COLUMNS.map((c) => r[c])), Number(r.response_count)]));
    };
    const batchIds: number[] = [];
    for (let run = 0; run < 4; run++) {
      const crashAfterWrite = run === 1;
      const job = runTs('examples/structured/meetup-pipeline.ts', args, crashAfterWrite ? { ...env, DSTREAMS_CRASH_AFTER_BATCHES: '2' } : env);
      children.push(job);
      await job.waitForEvent((e) => e.event === 'start', 120_000);
      if (crashAfterWrite) {
        expect((await job.exit).signal, job.stderr()).toBe('SIGKILL');
      } else if (run < 3) {
        await job.waitForEvent((e) => e.event === 'batch', 120_000);
        await sleep(Math.floor(Math.random() * 800));
        job.child.kill('SIGKILL');
        await job.exit;
      } else {
        await waitFor('the table to hold every RSVP', async () => {
          const t = await latest();
          return t !== undefined && [...t.values()].reduce((a, b) => a + b, 0) === count;
        }, 180_000, 300);
        job.child.kill('SIGTERM');
        expect((await job.exit).code, job.stderr()).toBe(0);
      }
      for (const e of job.events) if (e.event === 'batch') batchIds.push(e.batchId as number);
    }
    expect(await latest()).toEqual(expected);
    // Exactly once: a batch re-run after a crash replaced its rows instead of adding them.
    const dup = await pgQuery(`SELECT batch_id FROM ${table} GROUP BY ${GROUP_COLUMNS.map((c) => `"${c}"`).join(', ')}, batch_id HAVING count(*) > 1`);
    expect(dup.rowCount).toBe(0);
    // The batch ids go on across restarts (0, 1, 2, … with the re-run batch written twice).
    const distinct = [...new Set(batchIds)].sort((a, b) => a - b);
    expect(distinct[0]).toBe(0);
    expect(distinct).toEqual(Array.from({ length: distinct.length }, (_, i) => i));
  });
});

describe('seed 000: the speed layer in Structured Streaming (memory table, complete mode, exported with write.jdbc)', () => {
  it('SIGKILLed and restarted from its checkpointLocation: the exported table equals the independent aggregate of today’s tweets', { timeout: 300_000 }, async () => {
    const topic = uniqueTopic('sql-tweets');
    const count = 1000;
    const seeds = [7, 8, 9];
    const today = new Date().toISOString().slice(0, 10);
    await createTopic(topic, 2);
    // The seed's filter, computed here from the lines: created_at > current_date() (today's midnight, UTC).
    const midnight = Date.parse(`${today}T00:00:00Z`);
    const expected: Record<string, number[]> = {};
    for (const seed of seeds) {
      for (const { value } of generateTweets({ count, seed, day: today })) {
        const f = value.split(';');
        if (Date.parse(`${f[1]!.replace(' ', 'T')}Z`) <= midnight) continue;
        const t = (expected[f[3]!] ??= [0, 0, 0, 0]);
        t[0]! += 1;
        t[1]! += Number(f[2]);
        t[2]! += Number(f[4]);
        t[3]! += Number(f[5]);
      }
    }
    const table = `${scratch().schema}.speed_layer`;
    const cp = checkpointDir();
    const args = ['--topic', topic, '--brokers', kafkaBrokers(), '--checkpoint', cp, '--trigger', '300 milliseconds', '--export-seconds', '0.5', '--jdbc-url', await jdbcUrl(), '--table', table];
    const env = await pgEnv();
    const exported = async (): Promise<Record<string, number[]> | undefined> => {
      const rows = await rowsOf(`SELECT * FROM ${table}`);
      return rows && Object.fromEntries(rows.map((r) => [r.location as string, ['count(id)', 'sum(followers_count)', 'sum(favorite_count)', 'sum(retweet_count)'].map((c) => Number(r[c]))]));
    };
    for (let run = 0; run < 3; run++) {
      // New tweets arrive while the job is down (a restarted job runs its next batch when data comes).
      await generate('tweets', topic, ['--count', String(count), '--seed', String(seeds[run]), '--day', today]);
      const job = runTs('examples/structured/speed-layer.ts', args, env);
      children.push(job);
      if (run < 2) {
        await job.waitForEvent((e) => e.event === (run === 0 ? 'export' : 'progress') && (e.batchId as number) >= 0, 120_000);
        await sleep(Math.floor(Math.random() * 500));
        job.child.kill('SIGKILL');
        await job.exit;
      } else {
        await waitFor('the export to hold every tweet of today', async () => {
          const t = await exported();
          return t !== undefined && JSON.stringify(Object.entries(t).sort()) === JSON.stringify(Object.entries(expected).sort());
        }, 180_000, 300);
        job.child.kill('SIGTERM');
        expect((await job.exit).code, job.stderr()).toBe(0);
      }
    }
    expect(await exported()).toEqual(expected);
  });
});
