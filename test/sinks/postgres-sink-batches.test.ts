/**
 * The sink's additions for end-to-end pipelines, against the real PostgreSQL: other tables
 * written in the batch's transaction (`alongside`), the offset check (`offsetCheck`), and keys
 * that may be NULL (`keyNullsNotDistinct`).
 */
import { afterEach, describe, expect, it } from 'vitest';

import { PostgresSink, PostgresSinkError, type PostgresSinkOptions, type WriteMethod } from '../../src/sinks/postgres/index.js';
import { pgQuery, sinkConnection, useScratchSchema } from '../helpers/postgres.js';

const scratch = useScratchSchema('dstreams_sink_batches');
const sinks: PostgresSink<any>[] = [];

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

async function makeSink<Row = Record<string, unknown>>(opts: PostgresSinkOptions<Row>): Promise<PostgresSink<Row>> {
  const sink = new PostgresSink<Row>({ ...(await sinkConnection()), ...opts });
  sinks.push(sink);
  return sink;
}

async function rowsOf(table: string, orderBy = '1'): Promise<Record<string, unknown>[]> {
  return (await pgQuery(`SELECT * FROM ${scratch().qualified(table)} ORDER BY ${orderBy}`)).rows;
}

const METHODS: WriteMethod[] = ['insert', 'copy'];

describe.each(METHODS)('alongside tables (method %s)', (method) => {
  async function pair(mainMode: 'update' | 'complete' = 'update') {
    const totals = scratch().unique(`totals_${method}`);
    const dead = scratch().unique(`dead_${method}`);
    const sink = await makeSink<[string, number]>({
      table: scratch().table(totals),
      columns: ['k', 'n'],
      createTable: { k: 'text', n: 'bigint' },
      keyColumns: ['k'],
      mode: mainMode,
      method,
      sinkId: scratch().unique('main'),
    });
    const deadLetters = await makeSink<{ reason: string; payload: string }>({
      table: scratch().table(dead),
      columns: ['reason', 'payload'],
      createTable: { reason: 'text', payload: 'text' },
      method,
    });
    return { sink, deadLetters, totals, dead };
  }

  it('commit with the batch, are skipped with its replay, and count as the batch’s rows', async () => {
    const { sink, deadLetters, totals, dead } = await pair();
    const offsets = [{ topic: 'rsvps', partition: 0, fromOffset: 0, untilOffset: 5 }];
    const r1 = await sink.writeBatch({ batchTime: 1000, offsetRanges: offsets }, [['a', 1], ['b', 2]], {
      alongside: [{ sink: deadLetters, rows: [{ reason: 'invalid JSON', payload: '{"x' }] }],
    });
    expect(r1).toMatchObject({ skipped: false, rowsWritten: 2, alongsideRowsWritten: [1] });
    const again = await sink.writeBatch({ batchTime: 1000, offsetRanges: offsets }, [['a', 1], ['b', 2]], {
      alongside: [{ sink: deadLetters, rows: [{ reason: 'invalid JSON', payload: '{"x' }] }],
    });
    expect(again).toMatchObject({ skipped: true, rowsWritten: 0, alongsideRowsWritten: [0] });
    expect(await rowsOf(totals)).toEqual([
      { k: 'a', n: '1' },
      { k: 'b', n: '2' },
    ]);
    expect(await rowsOf(dead)).toEqual([{ reason: 'invalid JSON', payload: '{"x' }]);
    // The dead-letter sink's own bookkeeping is untouched: the batch belongs to the main sink.
    expect(await deadLetters.lastCommittedBatchTime()).toBeUndefined();
    expect(await sink.lastCommittedBatchTime()).toBe(1000);
  });

  it('roll back with the batch when the batch fails (a bad alongside row fails the whole batch)', async () => {
    const { sink, deadLetters, totals, dead } = await pair();
    await sink.writeBatch({ batchTime: 1000 }, [['a', 1]]);
    await deadLetters.init();
    await pgQuery(`ALTER TABLE ${scratch().qualified(dead)} ADD UNIQUE (payload)`);
    // The dead-letter table rejects its second row (23505): the batch's rows, claim and offsets go too.
    const bad = sink.writeBatch({ batchTime: 2000, offsetRanges: [{ topic: 't', partition: 0, untilOffset: 9 }] }, [['a', 5]], {
      alongside: [{ sink: deadLetters, rows: [{ reason: 'x', payload: 'y' }, { reason: 'x', payload: 'y' }] }],
    });
    await expect(bad).rejects.toThrow(/23505/);
    expect(await rowsOf(totals)).toEqual([{ k: 'a', n: '1' }]);
    expect(await rowsOf(dead)).toEqual([]);
    expect(await sink.storedOffsets()).toEqual({});
    expect(await sink.lastCommittedBatchTime()).toBe(1000);
  });

  it('a complete-mode main table with an append-mode companion', async () => {
    const { sink, deadLetters, totals, dead } = await pair('complete');
    await sink.writeBatch({ batchTime: 1 }, [['a', 1]], { alongside: [{ sink: deadLetters, rows: [{ reason: 'r1', payload: 'p1' }] }] });
    await sink.writeBatch({ batchTime: 2 }, [['b', 2]], { alongside: [{ sink: deadLetters, rows: [{ reason: 'r2', payload: 'p2' }] }] });
    expect(await rowsOf(totals)).toEqual([{ k: 'b', n: '2' }]);
    expect((await rowsOf(dead)).map((r) => r.reason)).toEqual(['r1', 'r2']);
  });

  it('two update-mode tables staged by COPY in one transaction do not clash', async () => {
    const { sink, totals } = await pair();
    const other = scratch().unique(`other_${method}`);
    const second = await makeSink<[string, number]>({
      table: scratch().table(other),
      columns: ['k', 'n'],
      createTable: { k: 'text', n: 'bigint' },
      keyColumns: ['k'],
      mode: 'update',
      method,
    });
    await sink.writeBatch({ batchTime: 1 }, [['a', 1]], { alongside: [{ sink: second, rows: [['z', 26]] }] });
    await sink.writeBatch({ batchTime: 2 }, [['a', 2]], { alongside: [{ sink: second, rows: [['z', 27]] }] });
    expect(await rowsOf(totals)).toEqual([{ k: 'a', n: '2' }]);
    expect(await rowsOf(other)).toEqual([{ k: 'z', n: '27' }]);
  });
});

describe('alongside: misuse', () => {
  it('rejects a table written twice and a non-sink', async () => {
    const t = scratch().unique('twice');
    const opts = { table: scratch().table(t), columns: ['k'], createTable: { k: 'text' } };
    const a = await makeSink<[string]>(opts);
    const b = await makeSink<[string]>(opts);
    await expect(a.writeBatch({ batchTime: 1 }, [], { alongside: [{ sink: b, rows: [] }] })).rejects.toThrow(/written twice/);
    await expect(
      a.writeBatch({ batchTime: 1 }, [], { alongside: [{ sink: {} as PostgresSink<any>, rows: [] }] }),
    ).rejects.toThrow(/PostgresSink/);
  });
});

describe('offsetCheck', () => {
  async function checked(offsetCheck: 'contiguous' | 'no-overlap') {
    const table = scratch().unique(`checked_${offsetCheck.replace('-', '_')}`);
    const sink = await makeSink<[string, number]>({
      table: scratch().table(table),
      columns: ['k', 'n'],
      createTable: { k: 'text', n: 'bigint' },
      keyColumns: ['k'],
      mode: 'update',
      offsetCheck,
    });
    return { sink, table };
  }
  const range = (partition: number, fromOffset: number, untilOffset: number) => ({ topic: 'rsvps', partition, fromOffset, untilOffset });

  it('contiguous: ranges must start where the stored offsets end; a failing batch writes nothing', async () => {
    const { sink, table } = await checked('contiguous');
    // Nothing stored yet: any start passes (e.g. the earliest offset Kafka still has).
    await sink.writeBatch({ batchTime: 1, offsetRanges: [range(0, 100, 110), range(1, 0, 4)] }, [['a', 1]]);
    await sink.writeBatch({ batchTime: 2, offsetRanges: [range(0, 110, 110), range(1, 4, 9)] }, [['a', 2]]);

    const overlap = sink.writeBatch({ batchTime: 3, offsetRanges: [range(0, 105, 120), range(1, 9, 9)] }, [['a', 99]]);
    await expect(overlap).rejects.toThrow(PostgresSinkError);
    await expect(overlap).rejects.toThrow(/rsvps:0 from offset 105.*up to 110.*105–109 would be written twice/);
    const gap = sink.writeBatch({ batchTime: 3, offsetRanges: [range(0, 110, 120), range(1, 12, 15)] }, [['a', 99]]);
    await expect(gap).rejects.toThrow(/rsvps:1 from offset 12.*up to 9.*9–11 would never be written/);
    await expect(gap).rejects.toMatchObject({ sqlState: 'OFFSET_MISMATCH', retryable: false });

    expect(await rowsOf(table)).toEqual([{ k: 'a', n: '2' }]);
    expect(await sink.storedOffsets()).toEqual({ 'rsvps:0': 110, 'rsvps:1': 9 });
    expect(await sink.lastCommittedBatchTime()).toBe(2);
    // A new partition (nothing stored) and the right continuation pass.
    await sink.writeBatch({ batchTime: 3, offsetRanges: [range(0, 110, 120), range(1, 9, 9), range(2, 0, 3)] }, [['a', 3]]);
    expect(await sink.storedOffsets()).toEqual({ 'rsvps:0': 120, 'rsvps:1': 9, 'rsvps:2': 3 });
  });

  it('no-overlap accepts a gap (records deleted by retention) but not a re-read', async () => {
    const { sink } = await checked('no-overlap');
    await sink.writeBatch({ batchTime: 1, offsetRanges: [range(0, 0, 10)] }, []);
    await sink.writeBatch({ batchTime: 2, offsetRanges: [range(0, 50, 60)] }, []);
    await expect(sink.writeBatch({ batchTime: 3, offsetRanges: [range(0, 59, 70)] }, [])).rejects.toThrow(/twice/);
  });

  it('a replayed batch is skipped only when it covers the same offsets as the committed one', async () => {
    const { sink, table } = await checked('contiguous');
    await sink.writeBatch({ batchTime: 1, offsetRanges: [range(0, 0, 10)] }, [['a', 10]]);
    // The same batch again: skipped.
    expect((await sink.writeBatch({ batchTime: 1, offsetRanges: [range(0, 0, 10)] }, [['a', 10]])).skipped).toBe(true);
    // The "same" batch cut differently after a restart (0–14): skipping it would lose 10–14.
    const differs = sink.writeBatch({ batchTime: 1, offsetRanges: [range(0, 0, 15)] }, [['a', 15]]);
    await expect(differs).rejects.toThrow(/committed with offset ranges \[\["rsvps",0,0,10\]\] but is replayed with \[\["rsvps",0,0,15\]\]/);
    expect(await rowsOf(table)).toEqual([{ k: 'a', n: '10' }]);
    expect(await sink.storedOffsets()).toEqual({ 'rsvps:0': 10 });
  });

  it("offsetCheck 'none' (asked for) skips a replay whatever its offsets and accepts any range", async () => {
    const table = scratch().unique('unchecked');
    const sink = await makeSink<[string]>({ table: scratch().table(table), columns: ['k'], createTable: { k: 'text' }, offsetCheck: 'none' });
    await sink.writeBatch({ batchTime: 1, offsetRanges: [range(0, 0, 10)] }, [['a']]);
    expect((await sink.writeBatch({ batchTime: 1, offsetRanges: [range(0, 0, 15)] }, [['b']])).skipped).toBe(true);
    await sink.writeBatch({ batchTime: 2, offsetRanges: [range(0, 3, 12)] }, [['c']]);
    expect((await rowsOf(table)).map((r) => r.k)).toEqual(['a', 'c']);
  });

  it('a bookkeeping table from before the offsets column gets it', async () => {
    const schema = scratch().unique('oldbk');
    await pgQuery(`CREATE SCHEMA "${schema}"`);
    await pgQuery(
      `CREATE TABLE "${schema}".dstreams_sink_batches (sink_id text NOT NULL, batch_time bigint NOT NULL, ` +
        `committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sink_id, batch_time))`,
    );
    const sink = await makeSink<[string]>({
      table: { schema, name: 't' },
      columns: ['k'],
      createTable: { k: 'text' },
      offsetCheck: 'contiguous',
    });
    await sink.writeBatch({ batchTime: 1, offsetRanges: [range(0, 0, 2)] }, [['a']]);
    const res = await pgQuery<{ offsets: string }>(`SELECT offsets FROM "${schema}".dstreams_sink_batches`);
    expect(res.rows).toEqual([{ offsets: '[["rsvps",0,0,2]]' }]);
    await pgQuery(`DROP SCHEMA "${schema}" CASCADE`);
  });
});

describe.each(METHODS)('keyNullsNotDistinct (method %s)', (method) => {
  it('upserts rows whose key has NULLs: a NULL matches a NULL', async () => {
    const table = scratch().unique(`nullkey_${method}`);
    const sink = await makeSink<[string, string | null, number | null, number]>({
      table: scratch().table(table),
      columns: ['city', 'state', 'lat', 'n'],
      createTable: { city: 'text', state: 'text', lat: 'double precision', n: 'bigint' },
      keyColumns: ['city', 'state', 'lat'],
      keyNullsNotDistinct: true,
      mode: 'update',
      method,
    });
    await sink.writeBatch({ batchTime: 1 }, [
      ['London', null, 51.44211, 1],
      ['Austin', 'TX', null, 1],
      ['Austin', 'TX', 30.26759, 1],
    ]);
    await sink.writeBatch({ batchTime: 2 }, [
      ['London', null, 51.44211, 2],
      ['Austin', 'TX', null, 3],
      ['London', null, null, 1],
    ]);
    expect(await rowsOf(table, 'city, state NULLS FIRST, lat NULLS FIRST')).toEqual([
      { city: 'Austin', state: 'TX', lat: null, n: '3' },
      { city: 'Austin', state: 'TX', lat: 30.26759, n: '1' },
      { city: 'London', state: null, lat: null, n: '1' },
      { city: 'London', state: null, lat: 51.44211, n: '2' },
    ]);
    const key = await pgQuery<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'u'`,
      [scratch().qualified(table)],
    );
    expect(key.rows[0]?.def).toBe('UNIQUE NULLS NOT DISTINCT (city, state, lat)');
  });

  it('needs keyColumns', () => {
    expect(
      () => new PostgresSink({ table: 'x', columns: ['a'], createTable: { a: 'text' }, keyNullsNotDistinct: true }),
    ).toThrow(/keyNullsNotDistinct needs `keyColumns`/);
  });
});

describe('readRows', () => {
  it('returns the table as arrays in column order (what a job restarts its state from)', async () => {
    const table = scratch().unique('read');
    const sink = await makeSink<unknown[]>({
      table: scratch().table(table),
      columns: ['count(id)', 'location', 'day'],
      createTable: { location: 'text', 'count(id)': 'bigint', day: 'date' },
      keyColumns: ['location'],
      mode: 'complete',
    });
    expect(await sink.readRows()).toEqual([]);
    await sink.writeBatch({ batchTime: 1 }, [
      [3, 'Zagreb', '2017-11-11'],
      [1, 'a "quoted", place', '2017-11-11'],
    ]);
    const rows = await sink.readRows();
    // bigint columns come back as numbers (issue 16), dates as Date.
    expect(rows.map((r) => r.slice(0, 2)).sort()).toEqual([
      [1, 'a "quoted", place'],
      [3, 'Zagreb'],
    ]);
    expect(rows[0]![2]).toBeInstanceOf(Date);
  });
});
