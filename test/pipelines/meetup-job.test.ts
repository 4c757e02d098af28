/**
 * The meetup RSVP job end to end, against the real Kafka broker and the real PostgreSQL:
 * generated events (the `dstreams generate meetup` command) → the job → the result and
 * dead-letter tables, compared with the aggregate computed from the generator's own truth.
 *
 * - the job as a child process, SIGKILLed several times mid-run and restarted: nothing lost,
 *   nothing doubled;
 * - PostgreSQL unreachable for a few seconds mid-run (the job connects through a TCP proxy the
 *   test closes and reopens; the server keeps running for everyone else): nothing lost;
 * - malformed events in the dead-letter table, with their reasons and counts;
 * - table names that need quoting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { generateMeetupEvents } from '../../src/apps/meetup/generate.js';
import { CheckpointStore, type CheckpointMeta } from '../../src/checkpoint/index.js';
import { startMeetupJob, type MeetupJob } from '../../src/apps/meetup/job.js';
import { GROUP_COLUMNS } from '../../src/apps/meetup/schema.js';
import { produceToKafka } from '../../src/kafka/produce.js';
import { createTopic, kafkaBrokers, topicEndOffsets, uniqueTopic } from '../helpers/kafka.js';
import { pgQuery, quoteIdent, resolvePg, sinkConnection, useScratchSchema } from '../helpers/postgres.js';
import { TcpProxy } from '../sinks/tcp-proxy.js';
import { expectedMeetup } from './expected.js';
import { pgEnv, runDstreams, runTs, sleep, waitFor, type Child } from './helpers.js';

const scratch = useScratchSchema('dstreams_meetup');
const dirs: string[] = [];
const children: Child[] = [];
const jobs: MeetupJob[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await Promise.all(jobs.splice(0).map((j) => j.stop().catch(() => undefined)));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dstreams-meetup-'));
  dirs.push(d, `${d}.stale`);
  return join(d, 'checkpoint');
}

/** The result table as key JSON → response_count (keys built as the generator builds them). */
async function tableTotals(table: string): Promise<Map<string, number>> {
  const res = await pgQuery<Record<string, unknown>>(`SELECT * FROM ${scratch().qualified(table)}`);
  return new Map(res.rows.map((r) => [JSON.stringify(GROUP_COLUMNS.map((c) => r[c])), Number(r.response_count)]));
}

async function deadLetterCounts(table: string): Promise<Record<string, number>> {
  const res = await pgQuery<{ category: string; n: number }>(
    `SELECT category, count(*)::int AS n FROM ${scratch().qualified(table)} GROUP BY category`,
  );
  return Object.fromEntries(res.rows.map((r) => [r.category, r.n]));
}

/** True once the sink has created its bookkeeping tables (at its first use). */
async function sinkTablesExist(): Promise<boolean> {
  const res = await pgQuery<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [scratch().qualified('dstreams_sink_batches')]);
  return res.rows[0]?.t !== null && res.rows[0]?.t !== undefined;
}

/** The sink's last committed batch time, or null before its first commit. */
async function lastCommitted(sinkId: string): Promise<number | null> {
  if (!(await sinkTablesExist())) return null;
  const res = await pgQuery<{ t: string | null }>(
    `SELECT max(batch_time)::text AS t FROM ${scratch().qualified('dstreams_sink_batches')} WHERE sink_id = $1`,
    [sinkId],
  );
  const t = res.rows[0]?.t;
  return t === null || t === undefined ? null : Number(t);
}

/** The last completed batch recorded in the checkpoint directory (read from the store itself), or null when it holds none. */
async function lastCompletedInCheckpoint(dir: string): Promise<number | null> {
  if (!(await CheckpointStore.exists(dir))) return null;
  const store = await CheckpointStore.open(dir);
  try {
    return (await store.readMeta<CheckpointMeta>())?.lastCompletedTime ?? null;
  } finally {
    await store.close();
  }
}

/** Sum over partitions of the offsets the sink stored for `sinkId`. */
async function storedTotal(sinkId: string): Promise<number> {
  if (!(await sinkTablesExist())) return 0;
  const res = await pgQuery<{ n: string | null }>(
    `SELECT sum(until_offset)::text AS n FROM ${scratch().qualified('dstreams_sink_offsets')} WHERE sink_id = $1`,
    [sinkId],
  );
  return Number(res.rows[0]?.n ?? 0);
}

describe('meetup RSVP job (real Kafka, real PostgreSQL)', () => {
  it('killed with SIGKILL several times and restarted: the table equals the independent aggregate', { timeout: 400_000 }, async () => {
    const topic = uniqueTopic('rsvps-kill');
    const count = 9000;
    const seed = 2024;
    await createTopic(topic, 3);
    const gen = runDstreams(['generate', 'meetup', '--kafka-topic', topic, '--brokers', kafkaBrokers(), '--count', String(count), '--malformed', '0.05', '--seed', String(seed), '--quiet']);
    children.push(gen);
    expect((await gen.exit).code, gen.stderr()).toBe(0);
    const ends = await topicEndOffsets(topic);
    expect(Object.values(ends).reduce((a, b) => a + b, 0)).toBe(count);

    const checkpoint = tempDir();
    const sinkId = scratch().unique('meetup');
    const args = [
      '--topic', topic, '--brokers', kafkaBrokers(), '--checkpoint', checkpoint, '--schema', scratch().schema,
      '--sink-id', sinkId, '--batch-seconds', '0.5', '--max-rate-per-partition', '200',
    ];
    const env = await pgEnv();
    const starts: Array<Record<string, unknown>> = [];
    const progress: number[] = [];
    // What each start found, read by the test from the checkpoint store and PostgreSQL before it.
    const found: Array<{ completed: number | null; committed: number | null }> = [];
    // Runs 0, 2, 4: SIGKILLed by the test at a random moment (inside or between batches).
    // Runs 1, 3: SIGKILL themselves right after a sink COMMIT, before the checkpoint records the
    // batch (DSTREAMS_CRASH_AFTER_COMMITS), and not on their first commit: batches run one at a
    // time and each is checkpointed before the next one's output runs, so the checkpoint they
    // leave always holds a completed batch, one behind PostgreSQL — and the offset ranges of the
    // batch PostgreSQL committed, recorded before its output ran. Run 5 finishes the topic.
    for (let run = 0; run < 6; run++) {
      const crash = run === 1 || run === 3;
      // Nothing writes between two runs: these are exactly what the next start finds.
      found.push({ completed: await lastCompletedInCheckpoint(checkpoint), committed: await lastCommitted(sinkId) });
      const before = await storedTotal(sinkId);
      const job = runTs('src/apps/meetup/main.ts', args, crash ? { ...env, DSTREAMS_CRASH_AFTER_COMMITS: run === 1 ? '2' : '3' } : env);
      children.push(job);
      starts.push(await job.waitForEvent((e) => e.event === 'start', 120_000));
      if (crash) {
        expect((await job.exit).signal, job.stderr()).toBe('SIGKILL');
      } else if (run < 5) {
        await job.waitForEvent((e) => e.event === 'batch' && (e.valid as number) > 0 && e.skipped === false, 120_000);
        await sleep(Math.floor(Math.random() * 1500));
        job.child.kill('SIGKILL');
        await job.exit;
      } else {
        await waitFor('the job to commit every offset of the topic', async () => (await storedTotal(sinkId)) === count, 180_000, 250);
        job.child.kill('SIGTERM');
        expect((await job.exit).code, job.stderr()).toBe(0);
      }
      progress.push((await storedTotal(sinkId)) - before);
    }
    // Every run got somewhere.
    expect(progress.every((n) => n > 0), JSON.stringify(progress)).toBe(true);
    expect(starts[0]).toMatchObject({ source: 'sink', fromOffsets: null });
    // Each start reports the checkpoint and the sink as they were; a checkpoint is set aside when,
    // and only when, it is ahead of the sink's last commit (the job writes every batch): one behind
    // holds the ranges of the batch the sink committed, and runs it again exactly (the sink skips
    // it). Where the random kill of runs 0, 2, 4 lands decides that for runs 1, 3, 5.
    for (let run = 0; run < 6; run++) {
      const { completed, committed } = found[run]!;
      const what = `run ${run}: ${JSON.stringify({ found: found[run], start: starts[run] })}`;
      expect(starts[run]!.recoveredFrom ?? null, what).toBe(completed);
      expect(starts[run]!.lastCommitted ?? null, what).toBe(committed);
      const stale = completed !== null && (committed === null || completed > committed);
      expect(starts[run]!.staleCheckpoint, what).toBe(stale ? `${checkpoint}.stale` : undefined);
      expect(starts[run]!.source, what).toBe(completed !== null && !stale ? 'checkpoint' : 'sink');
    }
    // After a crash right after a COMMIT the checkpoint is behind PostgreSQL, with the committed
    // batch's ranges: runs 2 and 4 resume from it, nothing set aside.
    for (const run of [2, 4]) {
      const { completed, committed } = found[run]!;
      expect(completed !== null && committed !== null && completed < committed, `run ${run}: ${JSON.stringify(found[run])}`).toBe(true);
      expect(starts[run]).toMatchObject({ source: 'checkpoint' });
      expect(starts[run]!.staleCheckpoint).toBeUndefined();
    }
    console.info(`meetup kill test: starts from ${starts.map((s) => s.source).join(', ')}; offsets committed per run ${progress.join(', ')}`);

    const expected = expectedMeetup(generateMeetupEvents({ count, malformed: 0.05, seed }));
    expect(await tableTotals('meetup_table')).toEqual(expected.totals);
    expect(await deadLetterCounts('meetup_dead_letters')).toEqual(expected.malformed);
    // Every row's batch_id is a batch the sink committed.
    const orphan = await pgQuery(
      `SELECT 1 FROM ${scratch().qualified('meetup_table')} t WHERE NOT EXISTS (SELECT 1 FROM ${scratch().qualified('dstreams_sink_batches')} b ` +
        `WHERE b.sink_id = $1 AND b.batch_time = t.batch_id)`,
      [sinkId],
    );
    expect(orphan.rowCount).toBe(0);
  });

  it('PostgreSQL unreachable for a few seconds mid-run: nothing lost; malformed events are dead letters with reasons; names are quoted', { timeout: 180_000 }, async () => {
    const topic = uniqueTopic('rsvps-outage');
    const count = 6000;
    const seed = 77;
    await createTopic(topic, 2);
    const { host, port } = await resolvePg();
    const proxy = await new TcpProxy(host, port).start();
    const table = 'meetup "table"; DROP TABLE meetup_table; --';
    const deadTable = "dead letters 'quoted'";
    const sinkId = scratch().unique('outage');
    const events: Array<Record<string, unknown>> = [];
    try {
      const job = await startMeetupJob({
        brokers: kafkaBrokers(),
        topic,
        checkpointDir: tempDir(),
        batchDuration: 250,
        table: scratch().table(table),
        deadLetterTable: scratch().table(deadTable),
        sinkId,
        postgres: await sinkConnection({ host: '127.0.0.1', port: proxy.port, connectionTimeoutMillis: 2000 }),
        retry: { maxElapsedMs: Infinity, initialDelayMs: 50, maxDelayMs: 500 },
        log: (e) => void events.push(e),
      });
      jobs.push(job);

      // Produce at ~1500 events/s while the job runs; cut PostgreSQL off for 4 s in the middle.
      const produced = produceToKafka(generateMeetupEvents({ count, malformed: 0.1, seed }), {
        brokers: kafkaBrokers(),
        topic,
        rate: 1500,
      });
      await waitFor('a first written batch', async () => events.some((e) => e.event === 'batch' && (e.valid as number) > 0), 60_000);
      await proxy.outage(4000);
      const downAt = Date.now();
      expect(await produced).toBe(count);
      await waitFor('the job to catch up', async () => (await storedTotal(sinkId)) === count, 120_000, 250);
      expect(Date.now() - downAt).toBeGreaterThanOrEqual(3500);
      expect(events.filter((e) => e.event === 'retry').length).toBeGreaterThan(0);
      await job.stop();

      const expected = expectedMeetup(generateMeetupEvents({ count, malformed: 0.1, seed }));
      expect(await tableTotals(table)).toEqual(expected.totals);
      const dead = await deadLetterCounts(deadTable);
      expect(dead).toEqual(expected.malformed);
      expect(Object.values(dead).reduce((a, b) => a + b, 0)).toBe(events.filter((e) => e.event === 'batch').reduce((n, e) => n + (e.malformed as number), 0));
      // The dead letters keep the reason and the raw payload.
      const sample = await pgQuery<{ category: string; reason: string; payload: string }>(
        `SELECT category, reason, payload FROM ${scratch().qualified(deadTable)} ORDER BY category, reason`,
      );
      for (const r of sample.rows) {
        if (r.category === 'missing field') expect(r.reason).toMatch(/^missing field (rsvp_id|response|event|group)(\.\w+)?$/);
        if (r.category === 'invalid JSON') expect(r.reason).toMatch(/^invalid JSON: /);
      }
      // The hostile names are tables of their own; nothing was dropped.
      const tables = await pgQuery<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [scratch().schema]);
      expect(tables.rows.map((r) => r.tablename)).toEqual(expect.arrayContaining([table, deadTable, 'dstreams_sink_batches', 'dstreams_sink_offsets']));
      expect(quoteIdent(table)).toBe('"meetup ""table""; DROP TABLE meetup_table; --"');
    } finally {
      await proxy.close();
    }
  });
});
