/**
 * Issue 16's silent loss, end to end: the meetup job's result table (its running totals, written
 * in update mode) is dropped, truncated or loses rows between two runs. A restart refuses with
 * what it found and the two ways forward — it does not re-create the table and go on from the
 * checkpoint — and a restart with `rebuildTable` (the CLI's --rebuild-table) writes the full
 * state from the checkpoint in one transaction: the table equals what it held before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { generateMeetupEvents } from '../../src/apps/meetup/generate.js';
import { jobCommand, sharedJobOptions, type SharedOptions } from '../../src/apps/jobCommand.js';
import { startMeetupJob, type MeetupJob, type MeetupJobOptions } from '../../src/apps/meetup/job.js';
import { GROUP_COLUMNS } from '../../src/apps/meetup/schema.js';
import { produceToKafka } from '../../src/kafka/produce.js';
import { createTopic, kafkaBrokers, uniqueTopic } from '../helpers/kafka.js';
import { pgQuery, sinkConnection, useScratchSchema } from '../helpers/postgres.js';
import { waitFor } from './helpers.js';

const scratch = useScratchSchema('dstreams_tablecheck');
const dirs: string[] = [];
const jobs: MeetupJob[] = [];
afterEach(async () => {
  await Promise.all(jobs.splice(0).map((j) => j.stop().catch(() => undefined)));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function tableTotals(table: string): Promise<Map<string, number>> {
  const res = await pgQuery<Record<string, unknown>>(`SELECT * FROM ${scratch().qualified(table)}`);
  return new Map(res.rows.map((r) => [JSON.stringify(GROUP_COLUMNS.map((c) => r[c])), Number(r.response_count)]));
}

async function storedTotal(sinkId: string): Promise<number> {
  const res = await pgQuery<{ n: string | null }>(
    `SELECT sum(until_offset)::text AS n FROM ${scratch().qualified('dstreams_sink_offsets')} WHERE sink_id = $1`,
    [sinkId],
  );
  return Number(res.rows[0]?.n ?? 0);
}

describe('meetup job: result table dropped, truncated or losing rows between runs', () => {
  it('refuses to resume (never a silent continue), and --rebuild-table restores the totals from the checkpoint', { timeout: 240_000 }, async () => {
    const topic = uniqueTopic('rsvps-tablecheck');
    const count = 1500;
    await createTopic(topic, 2);
    expect(await produceToKafka(generateMeetupEvents({ count, malformed: 0.05, seed: 16 }), { brokers: kafkaBrokers(), topic })).toBe(count);

    const dir = mkdtempSync(join(tmpdir(), 'dstreams-tablecheck-'));
    dirs.push(dir, `${join(dir, 'checkpoint')}.stale`);
    const table = scratch().unique('meetup_totals');
    const sinkId = scratch().unique('meetup');
    const options = async (extra: Partial<MeetupJobOptions> = {}): Promise<MeetupJobOptions> => ({
      brokers: kafkaBrokers(),
      topic,
      checkpointDir: join(dir, 'checkpoint'),
      batchDuration: 250,
      table: scratch().table(table),
      deadLetterTable: scratch().table(`${table}_dead`),
      sinkId,
      postgres: await sinkConnection(),
      retry: { maxElapsedMs: 10_000 },
      log: () => undefined,
      ...extra,
    });
    const run = async (extra: Partial<MeetupJobOptions> = {}): Promise<MeetupJob & { events: Array<Record<string, unknown>> }> => {
      const events: Array<Record<string, unknown>> = [];
      const job = await startMeetupJob(await options({ ...extra, log: (e) => void events.push(e) }));
      jobs.push(job);
      return Object.assign(job, { events });
    };

    const first = await run();
    await waitFor('every offset committed', async () => (await storedTotal(sinkId)) === count, 120_000, 200);
    await first.stop();
    const before = await tableTotals(table);
    expect(before.size).toBeGreaterThan(100);

    const damages: Array<[string, string, RegExp]> = [
      ['drop', `DROP TABLE ${scratch().qualified(table)}`, /does not exist, but this sink has committed rows to it/],
      ['truncate', `TRUNCATE ${scratch().qualified(table)}`, /was truncated by another writer/],
      ['delete rows', `DELETE FROM ${scratch().qualified(table)} WHERE ctid IN (SELECT ctid FROM ${scratch().qualified(table)} LIMIT 40)`, /40 row\(s\) of table .* were deleted/],
    ];
    for (const [what, sql, found] of damages) {
      await pgQuery(sql);
      // A plain restart refuses, saying what it found and the two ways forward.
      const refused = await run().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(refused?.message, what).toMatch(found);
      expect(refused?.message).toMatch(/--rebuild-table.*startOver\(\)/s);
      if (what === 'drop') {
        const exists = await pgQuery(`SELECT to_regclass($1) AS t`, [scratch().qualified(table)]);
        expect(exists.rows[0]!.t, 'the dropped table was created again').toBeNull();
      }

      // --rebuild-table: from the checkpoint, the full state in the first batch's transaction.
      const rebuilt = await run({ rebuildTable: true });
      expect(rebuilt.events.find((e) => e.event === 'start')).toMatchObject({ source: 'checkpoint' });
      await waitFor(`the ${what} rebuild`, async () => rebuilt.events.some((e) => e.event === 'batch' && e.rebuilt === true), 60_000, 100);
      await rebuilt.stop();
      const after = await tableTotals(table);
      expect(after, what).toEqual(before);
    }
  });
});

describe('--rebuild-table', () => {
  it("is a flag of every job's command line that becomes the job's rebuildTable", () => {
    const parse = (args: string[]) => {
      const cmd = jobCommand('job', 'a job', { topic: 'topic', sinkId: 'sink' }).exitOverride();
      cmd.parse(['node', 'job', '--topic', 't', '--checkpoint', 'cp', ...args]);
      return sharedJobOptions(cmd.opts<SharedOptions>()).job;
    };
    expect(parse(['--rebuild-table']).rebuildTable).toBe(true);
    expect(parse([]).rebuildTable).toBeUndefined();
  });
});
