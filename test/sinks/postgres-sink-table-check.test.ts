// The table check (issue 16): a sink whose result table was dropped, truncated, emptied or had
// rows deleted behind its back refuses to go on — at its next start and in the running job's
// next batch — saying what it found and the two ways forward; `rebuild` replaces the table with
// the full state in one transaction; `startOver()` forgets what the sink committed. Never a
// silent continue.
import { afterEach, describe, expect, it } from 'vitest';

import { PostgresSink, PostgresSinkError, type PostgresSinkOptions } from '../../src/sinks/postgres/index.js';
import { pgQuery, sinkConnection, useScratchSchema } from '../helpers/postgres.js';

const scratch = useScratchSchema('dstreams_guard');
const sinks: PostgresSink<any>[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

type Total = [word: string, n: number];
const columns = ['word', 'n'];

async function sinkFor(table: string, sinkId: string, extra: Partial<PostgresSinkOptions<Total>> = {}): Promise<PostgresSink<Total>> {
  const sink = new PostgresSink<Total>({
    ...(await sinkConnection()),
    table: scratch().table(table),
    columns,
    createTable: { word: 'text', n: 'bigint' },
    keyColumns: ['word'],
    mode: 'update',
    sinkId,
    retry: false,
    ...extra,
  });
  sinks.push(sink);
  return sink;
}

const offsetsAt = (until: number) => [{ topic: 't', partition: 0, fromOffset: until - 10, untilOffset: until }];

/** A table the sink wrote two batches to (3 keys), the sink closed: what a job leaves behind. */
async function committedTable(mode: 'update' | 'complete' = 'update'): Promise<{ table: string; sinkId: string }> {
  const table = scratch().unique(`guard_${mode}`);
  const sinkId = scratch().unique('sink');
  const sink = await sinkFor(table, sinkId, { mode });
  await sink.writeBatch({ batchTime: 1000, offsetRanges: offsetsAt(10) }, [['a', 1], ['b', 2]]);
  await sink.writeBatch({ batchTime: 2000, offsetRanges: offsetsAt(20) }, mode === 'update' ? [['c', 3]] : [['a', 1], ['b', 2], ['c', 3]]);
  await sink.close();
  return { table, sinkId };
}

const rowsOf = async (table: string) =>
  (await pgQuery<{ word: string; n: string }>(`SELECT word, n FROM ${scratch().qualified(table)} ORDER BY word`)).rows.map(
    (r) => [r.word, Number(r.n)],
  );
const exists = async (table: string) =>
  (await pgQuery(`SELECT to_regclass($1) AS t`, [scratch().qualified(table)])).rows[0]!.t !== null;

const damages: Array<[string, (q: string) => Promise<void>, RegExp]> = [
  ['dropped', async (q) => void (await pgQuery(`DROP TABLE ${q}`)), /does not exist, but this sink has committed rows to it up to batch 2000/],
  ['truncated', async (q) => void (await pgQuery(`TRUNCATE ${q}`)), /was truncated by another writer since this sink committed batch 2000/],
  ['rows deleted', async (q) => void (await pgQuery(`DELETE FROM ${q} WHERE word <> 'a'`)), /2 row\(s\) of table .* were deleted by another writer/],
  ['emptied by DELETE', async (q) => void (await pgQuery(`DELETE FROM ${q}`)), /3 row\(s\) of table .* were deleted/],
  [
    'dropped and created again',
    async (q) => {
      await pgQuery(`DROP TABLE ${q}`);
      await pgQuery(`CREATE TABLE ${q} (word text PRIMARY KEY, n bigint)`);
      await pgQuery(`INSERT INTO ${q} VALUES ('a', 1)`);
    },
    /was dropped and created again since this sink committed batch 2000/,
  ],
  [
    'emptied with its triggers off (replication role)',
    async (q) => {
      // What a data-only pg_restore does: triggers do not fire; the LIMIT 1 probe still sees it.
      await pgQuery(`BEGIN; SET LOCAL session_replication_role = replica; DELETE FROM ${q}; COMMIT`);
    },
    /is empty, but this sink's last commit \(batch 2000\) left rows in it/,
  ],
];

describe('PostgresSink table check', () => {
  it.each(damages)('refuses to resume when the table was %s, saying what it found and the two ways forward', async (_what, damage, found) => {
    const { table, sinkId } = await committedTable();
    await damage(scratch().qualified(table));
    const restarted = await sinkFor(table, sinkId);
    const err = await restarted.storedOffsets().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PostgresSinkError);
    const message = (err as Error).message;
    expect(message).toMatch(found);
    expect(message).toContain('{"t:0":20}'); // the offsets the table should reflect
    expect(message).toMatch(/rebuild: true.*--rebuild-table/);
    expect(message).toMatch(/startOver\(\)/);
    // Every use refuses, the write too; a dropped table is not quietly created again.
    await expect(restarted.writeBatch({ batchTime: 3000, offsetRanges: offsetsAt(30) }, [['d', 4]])).rejects.toThrow(found);
    if (_what === 'dropped') expect(await exists(table)).toBe(false);
  });

  it('refuses the next batch of a running sink when its table loses rows, is truncated or dropped', async () => {
    const table = scratch().unique('guard_running');
    const sink = await sinkFor(table, scratch().unique('sink'));
    await sink.writeBatch({ batchTime: 1000 }, [['a', 1], ['b', 2]]);
    await pgQuery(`DELETE FROM ${scratch().qualified(table)} WHERE word = 'b'`);
    await expect(sink.writeBatch({ batchTime: 2000 }, [['a', 5]])).rejects.toThrow(/1 row\(s\) of table .* were deleted/);
    // Rolled back: nothing of batch 2000 was written.
    expect(await rowsOf(table)).toEqual([['a', 1]]);
    await pgQuery(`TRUNCATE ${scratch().qualified(table)}`);
    await expect(sink.writeBatch({ batchTime: 2000 }, [['a', 5]])).rejects.toThrow(/was truncated by another writer/);
    await pgQuery(`DROP TABLE ${scratch().qualified(table)}`);
    await expect(sink.writeBatch({ batchTime: 2000 }, [['a', 5]])).rejects.toThrow(/does not exist, but this sink has committed rows to it up to batch 1000/);
  });

  it("does not count the sink's own emptying (complete mode, DELETE and TRUNCATE) or rows others add", async () => {
    for (const completeStrategy of ['delete', 'truncate'] as const) {
      const table = scratch().unique(`guard_own_${completeStrategy}`);
      const sinkId = scratch().unique('sink');
      const sink = await sinkFor(table, sinkId, { mode: 'complete', completeStrategy });
      for (let t = 1; t <= 3; t++) await sink.writeBatch({ batchTime: t * 1000 }, [['a', t], ['b', t]]);
      await pgQuery(`INSERT INTO ${scratch().qualified(table)} VALUES ('zz', 0)`);
      await sink.close();
      const again = await sinkFor(table, sinkId, { mode: 'complete', completeStrategy });
      expect(await again.storedOffsets()).toEqual({});
      expect(await again.writeBatch({ batchTime: 4000 }, [['a', 4]])).toMatchObject({ skipped: false, rowsWritten: 1 });
      expect(await rowsOf(table)).toEqual([['a', 4]]);
    }
  });

  it('append mode is not checked by default (deleting old rows is retention), and can be', async () => {
    const table = scratch().unique('guard_append');
    const sinkId = scratch().unique('sink');
    const sink = await sinkFor(table, sinkId, { mode: 'append', keyColumns: [] });
    await sink.writeBatch({ batchTime: 1000 }, [['a', 1]]);
    await pgQuery(`DELETE FROM ${scratch().qualified(table)}`);
    expect((await sink.writeBatch({ batchTime: 2000 }, [['b', 1]])).skipped).toBe(false);
    await sink.close();
    const checked = await sinkFor(table, sinkId, { mode: 'append', keyColumns: [], tableCheck: true });
    await checked.writeBatch({ batchTime: 3000 }, [['c', 1]]);
    await pgQuery(`DELETE FROM ${scratch().qualified(table)} WHERE word = 'b'`);
    await expect(checked.writeBatch({ batchTime: 4000 }, [['d', 1]])).rejects.toThrow(/were deleted by another writer/);
  });

  it.each(damages)('rebuild: a table %s is replaced by the full state, in the batch at the sink’s last commit', async (_what, damage) => {
    const { table, sinkId } = await committedTable();
    await damage(scratch().qualified(table));
    const sink = await sinkFor(table, sinkId, { rebuild: true });
    expect(await sink.storedOffsets()).toEqual({ 't:0': 20 });
    expect(sink.tableDamage?.kind).toBeDefined();
    const full: Total[] = [['a', 1], ['b', 2], ['c', 3]];
    // Update mode: the write that rebuilds needs the full state...
    await expect(sink.writeBatch({ batchTime: 2000, offsetRanges: offsetsAt(20) }, [['c', 3]])).rejects.toThrow(/must bring the full state/);
    // ...a batch before the last commit is a replay, skipped as ever...
    expect((await sink.writeBatch({ batchTime: 1000, offsetRanges: offsetsAt(10) }, [], { fullState: () => full })).skipped).toBe(true);
    // ...and the replay of the last committed batch rebuilds (it is claimed, yet written).
    const r = await sink.writeBatch({ batchTime: 2000, offsetRanges: offsetsAt(20) }, [['c', 3]], { fullState: () => full });
    expect(r).toMatchObject({ skipped: false, rebuilt: true, rowsWritten: 3 });
    expect(await rowsOf(table)).toEqual(full);
    expect(sink.tableDamage).toBeUndefined();
    await sink.writeBatch({ batchTime: 3000, offsetRanges: offsetsAt(30) }, [['a', 7]]);
    await sink.close();
    // Rebuilt: a plain restart finds nothing wrong.
    const plain = await sinkFor(table, sinkId);
    expect(await plain.storedOffsets()).toEqual({ 't:0': 30 });
    expect(await rowsOf(table)).toEqual([['a', 7], ['b', 2], ['c', 3]]);
  });

  it('rebuild in complete mode: the next write is the full state anyway', async () => {
    const { table, sinkId } = await committedTable('complete');
    await pgQuery(`DROP TABLE ${scratch().qualified(table)}`);
    const sink = await sinkFor(table, sinkId, { mode: 'complete', rebuild: true });
    const r = await sink.writeBatch({ batchTime: 3000, offsetRanges: offsetsAt(30) }, [['a', 1], ['b', 2], ['c', 4]]);
    expect(r).toMatchObject({ rebuilt: true, rowsWritten: 3 });
    expect(await rowsOf(table)).toEqual([['a', 1], ['b', 2], ['c', 4]]);
  });

  it('startOver(): forgets the stored offsets and batches and empties the table; the sink then starts clean', async () => {
    const { table, sinkId } = await committedTable();
    await pgQuery(`DELETE FROM ${scratch().qualified(table)} WHERE word = 'a'`);
    const sink = await sinkFor(table, sinkId);
    await expect(sink.storedOffsets()).rejects.toThrow(/were deleted/);
    await sink.startOver();
    expect(await sink.storedOffsets()).toEqual({});
    expect(await sink.lastCommittedBatchTime()).toBeUndefined();
    expect(await rowsOf(table)).toEqual([]);
    expect((await sink.writeBatch({ batchTime: 1000, offsetRanges: offsetsAt(10) }, [['a', 1]])).skipped).toBe(false);
    expect(await rowsOf(table)).toEqual([['a', 1]]);
  });

  it('rejects rebuild where the table is not state (append mode)', async () => {
    await expect(sinkFor('x', 'y', { mode: 'append', keyColumns: [], rebuild: true })).rejects.toThrow(/rebuild.*update and complete mode/);
  });

  it('a role that may not put the triggers on the table is told so, and how to go on', async () => {
    const role = scratch().unique('dstreams_guard_role');
    const schema = scratch().unique('dstreams_guard_schema');
    const table = { schema, name: 'owned' };
    const q = `"${schema}"."owned"`;
    await pgQuery(`CREATE ROLE "${role}" LOGIN`);
    try {
      await pgQuery(`CREATE SCHEMA "${schema}"`);
      await pgQuery(`GRANT USAGE, CREATE ON SCHEMA "${schema}" TO "${role}"`);
      // CREATE SCHEMA IF NOT EXISTS (the bookkeeping's) asks for CREATE on the database first.
      await pgQuery(`GRANT CREATE ON DATABASE "${(await pgQuery<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d}" TO "${role}"`);
      await pgQuery(`CREATE TABLE ${q} (word text PRIMARY KEY, n bigint)`);
      await pgQuery(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${q} TO "${role}"`);
      const conn = await sinkConnection({ user: role });
      const options = { ...conn, table, createTable: undefined };
      const sink = await sinkFor('unused', scratch().unique('sink'), options);
      await expect(sink.storedOffsets()).rejects.toThrow(/may not create them .*grant TRIGGER on it, or turn the check off \(tableCheck: false\)/);
      const unchecked = await sinkFor('unused', scratch().unique('sink'), { ...options, tableCheck: false });
      expect((await unchecked.writeBatch({ batchTime: 1000 }, [['a', 1]])).skipped).toBe(false);
    } finally {
      await Promise.all(sinks.splice(0).map((s) => s.close()));
      await pgQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pgQuery(`DROP OWNED BY "${role}"`);
      await pgQuery(`DROP ROLE "${role}"`);
    }
  });
});
