import { afterEach, describe, expect, it } from 'vitest';

import { PostgresSink, PostgresSinkError, type PostgresSinkOptions, type WriteMethod } from '../../src/sinks/postgres/index.js';
import { pgQuery, quoteIdent, sinkConnection, useScratchSchema } from '../helpers/postgres.js';

const scratch = useScratchSchema('dstreams_sink');
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

/** The meetup RSVP aggregate of the seed: counts per event and response, with the batch id. */
const rsvpColumns = { event_name: 'text', response: 'text', response_count: 'bigint', batch_id: 'bigint' };
interface Rsvp {
  event_name: string;
  response: string;
  response_count: number;
  batch_id: number;
}

const METHODS: WriteMethod[] = ['insert', 'copy'];

describe.each(METHODS)('PostgresSink (method %s)', (method) => {
  it('append mode adds every batch', async () => {
    const table = scratch().unique(`append_${method}`);
    const sink = await makeSink<Rsvp>({
      table: scratch().table(table),
      columns: Object.keys(rsvpColumns),
      createTable: rsvpColumns,
      mode: 'append',
      method,
    });
    const r1 = await sink.writeBatch({ batchTime: 1000 }, [
      { event_name: 'Kayak polo', response: 'yes', response_count: 1, batch_id: 1000 },
      { event_name: 'Badminton', response: 'no', response_count: 2, batch_id: 1000 },
    ]);
    expect(r1).toEqual({ skipped: false, rowsWritten: 2, attempts: 1, recoveredCommit: false });
    await sink.writeBatch({ batchTime: 2000 }, [
      { event_name: 'Kayak polo', response: 'yes', response_count: 3, batch_id: 2000 },
    ]);
    expect(await rowsOf(table, 'batch_id, event_name')).toEqual([
      { event_name: 'Badminton', response: 'no', response_count: '2', batch_id: '1000' },
      { event_name: 'Kayak polo', response: 'yes', response_count: '1', batch_id: '1000' },
      { event_name: 'Kayak polo', response: 'yes', response_count: '3', batch_id: '2000' },
    ]);
  });

  it('update mode upserts on the key columns (last row of a key in a batch wins)', async () => {
    const table = scratch().unique(`update_${method}`);
    const sink = await makeSink<Rsvp>({
      table: scratch().table(table),
      columns: Object.keys(rsvpColumns),
      createTable: rsvpColumns,
      keyColumns: ['event_name', 'response'],
      mode: 'update',
      method,
    });
    await sink.writeBatch({ batchTime: 1000 }, [
      { event_name: 'Kayak polo', response: 'yes', response_count: 1, batch_id: 1000 },
      { event_name: 'Kayak polo', response: 'no', response_count: 1, batch_id: 1000 },
    ]);
    const r = await sink.writeBatch({ batchTime: 2000 }, [
      { event_name: 'Kayak polo', response: 'yes', response_count: 2, batch_id: 2000 },
      { event_name: 'Badminton', response: 'yes', response_count: 5, batch_id: 2000 },
      { event_name: 'Kayak polo', response: 'yes', response_count: 4, batch_id: 2000 },
    ]);
    expect(r.rowsWritten).toBe(2);
    expect(await rowsOf(table, 'event_name, response')).toEqual([
      { event_name: 'Badminton', response: 'yes', response_count: '5', batch_id: '2000' },
      { event_name: 'Kayak polo', response: 'no', response_count: '1', batch_id: '1000' },
      { event_name: 'Kayak polo', response: 'yes', response_count: '4', batch_id: '2000' },
    ]);
    const pk = await pgQuery<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
      [scratch().qualified(table)],
    );
    expect(pk.rows[0]?.def).toBe('PRIMARY KEY (event_name, response)');
  });

  it('update mode with only key columns inserts new keys and leaves existing ones', async () => {
    const table = scratch().unique(`keysonly_${method}`);
    const sink = await makeSink<[string]>({
      table: scratch().table(table),
      columns: ['k'],
      createTable: { k: 'text' },
      keyColumns: ['k'],
      mode: 'update',
      method,
    });
    await sink.writeBatch({ batchTime: 1 }, [['a'], ['b']]);
    await sink.writeBatch({ batchTime: 2 }, [['b'], ['c'], ['c']]);
    expect((await rowsOf(table)).map((r) => r.k)).toEqual(['a', 'b', 'c']);
  });

  // Keys JavaScript tells apart but PostgreSQL holds equal: the batch must not fail with 21000
  // ("ON CONFLICT DO UPDATE command cannot affect row a second time").
  it.each([
    ['numeric(10,2) 1.001 and 1.004', 'numeric(10,2)', 1.001, 1.004],
    ['bigint 5 and 5n', 'bigint', 5, 5n],
    ['jsonb {a,b} and {b,a}', 'jsonb', { a: 1, b: 2 }, { b: 2, a: 1 }],
    ['timestamptz as a Date and as its ISO string', 'timestamptz', new Date('2024-01-01T00:00:00Z'), '2024-01-01T00:00:00Z'],
  ])('update mode: keys PostgreSQL holds equal are one key, the last row wins (%s)', async (_name, type, k1, k2) => {
    const table = scratch().unique(`pgequal_${method}`);
    const sink = await makeSink<[unknown, number]>({
      table: scratch().table(table),
      columns: ['k', 'v'],
      createTable: { k: type, v: 'integer' },
      keyColumns: ['k'],
      mode: 'update',
      method,
    });
    await sink.writeBatch({ batchTime: 1 }, [[k1, 1], [k2, 2]]);
    expect((await rowsOf(table)).map((r) => r.v)).toEqual([2]);
    // Against a stored row too, and the other way round.
    await sink.writeBatch({ batchTime: 2 }, [[k2, 3], [k1, 4]]);
    expect((await rowsOf(table)).map((r) => r.v)).toEqual([4]);
  });

  it('update mode: several keys PostgreSQL holds equal in one batch each keep their last row, in any INSERT statement', async () => {
    const table = scratch().unique(`pgequal_many_${method}`);
    const sink = await makeSink<[number, number]>({
      table: scratch().table(table),
      columns: ['k', 'v'],
      createTable: { k: 'numeric(10,2)', v: 'integer' },
      keyColumns: ['k'],
      mode: 'update',
      method,
      insertChunkRows: 3,
    });
    const keys = [1.001, 2, 1.004, 3, 2.001, 1.002, 4, 3.004, 5];
    await sink.writeBatch({ batchTime: 1 }, keys.map((k, i): [number, number] => [k, i]));
    expect((await rowsOf(table)).map((r) => [r.k, r.v])).toEqual([
      ['1.00', 5],
      ['2.00', 4],
      ['3.00', 7],
      ['4.00', 6],
      ['5.00', 8],
    ]);
  });

  it.each(['delete', 'truncate'] as const)('complete mode replaces the whole table (%s)', async (strategy) => {
    const table = scratch().unique(`complete_${method}_${strategy}`);
    // The tweets seed: per-location aggregates, the whole result table rewritten each trigger.
    const sink = await makeSink<[string, number, number]>({
      table: scratch().table(table),
      columns: ['location', 'tweets', 'followers'],
      createTable: { location: 'text', tweets: 'integer', followers: 'bigint' },
      keyColumns: ['location'],
      mode: 'complete',
      completeStrategy: strategy,
      method,
    });
    await sink.writeBatch({ batchTime: 60_000 }, [
      ['Zagreb', 3, 300],
      ['Split', 1, 10],
    ]);
    await sink.writeBatch({ batchTime: 120_000 }, [
      ['Zagreb', 5, 500],
      ['Rijeka', 2, 20],
    ]);
    expect(await rowsOf(table)).toEqual([
      { location: 'Rijeka', tweets: 2, followers: '20' },
      { location: 'Zagreb', tweets: 5, followers: '500' },
    ]);
    // An empty complete result empties the table.
    await sink.writeBatch({ batchTime: 180_000 }, []);
    expect(await rowsOf(table)).toEqual([]);
  });

  it('round-trips awkward values identically (quotes, commas, newlines, \\., NULL vs empty, unicode, types)', async () => {
    const table = scratch().unique(`values_${method}`);
    const createTable = {
      id: 'integer',
      t: 'text',
      n: 'double precision',
      b: 'boolean',
      ts: 'timestamptz',
      j: 'jsonb',
      arr: 'text[]',
      bin: 'bytea',
      big: 'bigint',
      num: 'numeric(20,5)',
      bt: 'text', // a Buffer in a string column is its UTF-8 text (node-postgres' binary parameter)
    };
    const sink = await makeSink<unknown[]>({
      table: scratch().table(table),
      columns: Object.keys(createTable),
      createTable,
      method,
    });
    const when = new Date('2017-11-11T10:20:30.456Z');
    const texts = [
      'plain',
      'comma, separated',
      'double "quoted" text',
      "single 'quoted'",
      'line\nbreak\r\nand\ttab',
      '\\.',
      'back\\slash \\N \\x41',
      '',
      '"',
      '","',
      'ünïcödé ✓ 日本語 🚀',
      'semi; DROP TABLE x; --',
      null,
    ];
    const rows = texts.map((t, i) => [
      i,
      t,
      i === 0 ? null : i / 3,
      i % 2 === 0,
      when,
      { i, t, nested: { ok: true } },
      ['a', t ?? 'x', null, 'with "quote", comma'],
      Buffer.from([0, 1, 2, 255, i]),
      BigInt('9007199254740993') + BigInt(i),
      '12345678.12345',
      Buffer.from(`bytes ${i} ✓`),
    ]);
    await sink.writeBatch({ batchTime: 1 }, rows);
    const got = await rowsOf(table, 'id');
    expect(got).toHaveLength(texts.length);
    got.forEach((r, i) => {
      expect(r.t).toBe(texts[i]);
      expect(r.n).toBe(i === 0 ? null : i / 3);
      expect(r.b).toBe(i % 2 === 0);
      expect((r.ts as Date).toISOString()).toBe(when.toISOString());
      expect(r.j).toEqual({ i, t: texts[i], nested: { ok: true } });
      expect(r.arr).toEqual(['a', texts[i] ?? 'x', null, 'with "quote", comma']);
      expect(r.bin).toEqual(Buffer.from([0, 1, 2, 255, i]));
      expect(r.big).toBe((BigInt('9007199254740993') + BigInt(i)).toString());
      expect(r.num).toBe('12345678.12345');
      expect(r.bt).toBe(`bytes ${i} ✓`);
    });
  });

  it('a binary buffer for a type CSV cannot carry (uuid): INSERT writes its binary form, COPY refuses it by column', async () => {
    const table = scratch().unique(`bufuuid_${method}`);
    const sink = await makeSink<[number, Buffer]>({
      table: scratch().table(table),
      columns: ['id', 'u'],
      createTable: { id: 'integer', u: 'uuid' },
      method,
    });
    const write = sink.writeBatch({ batchTime: 1 }, [[1, Buffer.alloc(16, 0xab)]]);
    if (method === 'insert') {
      await write;
      expect(await rowsOf(table)).toEqual([{ id: 1, u: 'abababab-abab-abab-abab-abababababab' }]);
    } else {
      await expect(write).rejects.toThrow(/column "u" got a binary buffer: COPY writes buffers only to bytea, string and json columns/);
      expect(await rowsOf(table)).toEqual([]);
    }
  });

  it('splits a large INSERT under the 65535-parameter limit / streams a large COPY', async () => {
    const table = scratch().unique(`large_${method}`);
    const cols = Array.from({ length: 7 }, (_, i) => `c${i}`);
    const sink = await makeSink<number[]>({
      table: scratch().table(table),
      columns: cols,
      createTable: Object.fromEntries(cols.map((c) => [c, 'integer'])),
      method,
      insertChunkRows: 1_000_000, // asks for more than the limit allows
    });
    // 7 columns → at most 9362 rows per INSERT statement; 25 000 rows needs 3 statements.
    const rows = Array.from({ length: 25_000 }, (_, i) => cols.map((_c, j) => i * 10 + j));
    await sink.writeBatch({ batchTime: 1 }, rows);
    const res = await pgQuery<{ n: string; s: string }>(
      `SELECT count(*) AS n, sum(c0)::text AS s FROM ${scratch().qualified(table)}`,
    );
    expect(res.rows[0]).toEqual({ n: '25000', s: String(10 * ((25_000 * 24_999) / 2)) });
  });

  it('exactly once: a batch written twice lands once; bookkeeping and offsets are stored', async () => {
    const table = scratch().unique(`once_${method}`);
    const sinkId = scratch().unique('once');
    const sink = await makeSink<Rsvp>({
      table: scratch().table(table),
      columns: Object.keys(rsvpColumns),
      createTable: rsvpColumns,
      mode: 'append',
      method,
      sinkId,
    });
    const rows = [
      { event_name: 'Sketch', response: 'yes', response_count: 1, batch_id: 5000 },
      { event_name: 'Cider', response: 'no', response_count: 1, batch_id: 5000 },
    ];
    const offsetRanges = [
      { topic: 'rsvps', partition: 0, fromOffset: 0, untilOffset: 120 },
      { topic: 'rsvps', partition: 1, fromOffset: 7, untilOffset: 99 },
    ];
    const first = await sink.writeBatch({ batchTime: 5000, offsetRanges }, rows);
    const second = await sink.writeBatch({ batchTime: 5000, offsetRanges }, rows);
    expect(first.skipped).toBe(false);
    expect(second).toEqual({ skipped: true, rowsWritten: 0, attempts: 1, recoveredCommit: false });
    expect(await rowsOf(table)).toHaveLength(2);

    const batches = await pgQuery(
      `SELECT sink_id, batch_time FROM ${scratch().qualified('dstreams_sink_batches')} WHERE sink_id = $1`,
      [sinkId],
    );
    expect(batches.rows).toEqual([{ sink_id: sinkId, batch_time: '5000' }]);
    expect(await sink.storedOffsets()).toEqual({ 'rsvps:0': 120, 'rsvps:1': 99 });
    expect(await sink.lastCommittedBatchTime()).toBe(5000);

    // The next batch moves the offsets on; a partition it does not list keeps its offset.
    await sink.writeBatch(
      { batchTime: 6000, offsetRanges: [{ topic: 'rsvps', partition: 0, fromOffset: 120, untilOffset: 150 }] },
      [],
    );
    expect(await sink.storedOffsets()).toEqual({ 'rsvps:0': 150, 'rsvps:1': 99 });
    // storedOffsets round-trips through a second sink (a restarted application) and by sinkId.
    const restarted = await makeSink<Rsvp>({
      table: scratch().table(table),
      columns: Object.keys(rsvpColumns),
      sinkId,
      method,
    });
    expect(await restarted.storedOffsets()).toEqual({ 'rsvps:0': 150, 'rsvps:1': 99 });
    const other = await makeSink<Rsvp>({ table: scratch().table(table), columns: ['event_name'], method });
    expect(await other.storedOffsets()).toEqual({});
    expect(await other.storedOffsets(sinkId)).toEqual({ 'rsvps:0': 150, 'rsvps:1': 99 });
    // A replayed batch (as after a restart from an older checkpoint) is skipped by the new sink.
    expect((await restarted.writeBatch({ batchTime: 5000, offsetRanges }, rows)).skipped).toBe(true);
    expect(await restarted.storedOffsets()).toEqual({ 'rsvps:0': 150, 'rsvps:1': 99 });
    expect(await rowsOf(table)).toHaveLength(2);
  });

  it('a failed batch leaves nothing behind: no rows, no bookkeeping, no offsets', async () => {
    const table = scratch().unique(`atomic_${method}`);
    const sinkId = scratch().unique('atomic');
    const sink = await makeSink<[number, string]>({
      table: scratch().table(table),
      columns: ['id', 'v'],
      createTable: { id: 'integer', v: 'text' },
      sinkId,
      method,
    });
    const offsetRanges = [{ topic: 't', partition: 0, fromOffset: 0, untilOffset: 10 }];
    const err = await sink
      .writeBatch({ batchTime: 1 }, [
        [1, 'ok'],
        ['not a number' as unknown as number, 'bad'],
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostgresSinkError);
    expect((err as PostgresSinkError).sqlState).toBe('22P02');
    expect(await rowsOf(table)).toEqual([]);
    expect(await sink.storedOffsets()).toEqual({});
    expect(await sink.lastCommittedBatchTime()).toBeUndefined();
    // The same batch, corrected, is then written normally.
    await sink.writeBatch({ batchTime: 1, offsetRanges }, [
      [1, 'ok'],
      [2, 'fixed'],
    ]);
    expect(await rowsOf(table)).toHaveLength(2);
    expect(await sink.storedOffsets()).toEqual({ 't:0': 10 });
  });

  it('bookkeepingRetentionMs forgets old batches', async () => {
    const table = scratch().unique(`retention_${method}`);
    const sinkId = scratch().unique('retention');
    const sink = await makeSink<[number]>({
      table: scratch().table(table),
      columns: ['id'],
      createTable: { id: 'integer' },
      sinkId,
      method,
      bookkeepingRetentionMs: 2500,
    });
    for (const t of [1000, 2000, 3000, 5000]) await sink.writeBatch({ batchTime: t }, [[t]]);
    const kept = await pgQuery<{ batch_time: string }>(
      `SELECT batch_time FROM ${scratch().qualified('dstreams_sink_batches')} WHERE sink_id = $1 ORDER BY 1`,
      [sinkId],
    );
    expect(kept.rows.map((r) => Number(r.batch_time))).toEqual([3000, 5000]);
    expect((await sink.writeBatch({ batchTime: 3000 }, [[3000]])).skipped).toBe(true);
  });

  it('concurrent writers of the same batch write it once', async () => {
    const table = scratch().unique(`race_${method}`);
    const sinkId = scratch().unique('race');
    const opts = {
      table: scratch().table(table),
      columns: ['id'],
      createTable: { id: 'integer' },
      sinkId,
      method,
    };
    const a = await makeSink<[number]>(opts);
    const b = await makeSink<[number]>(opts);
    await a.init();
    const rows = Array.from({ length: 2000 }, (_, i): [number] => [i]);
    const results = await Promise.all([a.writeBatch({ batchTime: 7 }, rows), b.writeBatch({ batchTime: 7 }, rows)]);
    expect(results.map((r) => r.skipped).sort()).toEqual([false, true]);
    expect(await rowsOf(table)).toHaveLength(2000);
  });
});

describe('PostgresSink identifiers', () => {
  it.each(METHODS)('hostile table and column names are quoted, and nothing else is dropped (%s)', async (method) => {
    const s = scratch();
    // A table called x that an injected "DROP TABLE x" would hit: the sink's search_path is
    // the scratch schema, so an unqualified x means this one.
    await pgQuery(`DROP TABLE IF EXISTS ${s.qualified('x')}`);
    await pgQuery(`CREATE TABLE ${s.qualified('x')} (keep integer)`);
    await pgQuery(`INSERT INTO ${s.qualified('x')} VALUES (42)`);
    const table = `we"ird; DROP TABLE x;-- ${method}`;
    const columns = ['id "quoted"', 'with space', 'semi;colon', 'select', 'Mixed"Case"', `a'b`];
    for (const mode of ['append', 'update', 'complete'] as const) {
      const t = `${table} ${mode}`;
      const sink = await makeSink<unknown[]>({
        ...(await sinkConnection({ options: `-c search_path=${s.schema}` })),
        table: s.table(t),
        columns,
        createTable: Object.fromEntries(columns.map((c) => [c, 'text'])),
        ...(mode === 'append' ? {} : { keyColumns: ['id "quoted"', 'with space'] }),
        mode,
        method,
        sinkId: `sink "${t}"; DROP TABLE x;--`,
      });
      await sink.writeBatch({ batchTime: 1, offsetRanges: [{ topic: `to"p;ic'`, partition: 0, untilOffset: 5 }] }, [
        ['1', 'a', 'b', 'c', 'd', 'e'],
        ['2', 'a', `'); DROP TABLE x; --`, '"', ',', '\\.'],
      ]);
      await sink.writeBatch({ batchTime: 2 }, [['1', 'a', 'B', 'C', 'D', 'E']]);
      const got = (await pgQuery(`SELECT * FROM ${s.qualified(t)} ORDER BY 1`)).rows;
      const expected =
        mode === 'append'
          ? [
              ['1', 'a', 'b', 'c', 'd', 'e'],
              ['1', 'a', 'B', 'C', 'D', 'E'],
              ['2', 'a', `'); DROP TABLE x; --`, '"', ',', '\\.'],
            ]
          : mode === 'update'
            ? [
                ['1', 'a', 'B', 'C', 'D', 'E'],
                ['2', 'a', `'); DROP TABLE x; --`, '"', ',', '\\.'],
              ]
            : [['1', 'a', 'B', 'C', 'D', 'E']];
      expect(got.map((r) => columns.map((c) => r[c])).sort()).toEqual(expected.sort());
      expect(await sink.storedOffsets()).toEqual({ [`to"p;ic':0`]: 5 });
    }
    expect((await pgQuery(`SELECT keep FROM ${s.qualified('x')}`)).rows).toEqual([{ keep: 42 }]);
    const tables = await pgQuery<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE $2 ORDER BY 1`,
      [s.schema, `${table}%`],
    );
    expect(tables.rows.map((r) => r.tablename)).toEqual([`${table} append`, `${table} complete`, `${table} update`]);
  });

  it('rejects createTable types that are not plain SQL types, and other bad options, at construction', async () => {
    const conn = await sinkConnection();
    const base = { ...conn, table: scratch().table('t'), columns: ['a'] };
    expect(() => new PostgresSink({ ...base, createTable: { a: 'text); DROP TABLE x; --' } })).toThrow(
      /not a plain SQL type/,
    );
    expect(() => new PostgresSink({ ...base, mode: 'update' })).toThrow(/update mode needs `keyColumns`/);
    expect(() => new PostgresSink({ ...base, keyColumns: ['b'] })).toThrow(/key column "b" is not one of the columns/);
    expect(() => new PostgresSink({ ...base, insertChunkRows: Number.NaN })).toThrow(/insertChunkRows must be a whole number ≥ 1, got NaN/);
    expect(() => new PostgresSink({ ...base, insertChunkRows: 0 })).toThrow(/insertChunkRows must be a whole number ≥ 1, got 0/);
    expect(() => new PostgresSink({ ...base, columns: [] })).toThrow(/non-empty/);
    expect(() => new PostgresSink({ ...base, columns: [''] })).toThrow(/non-empty string/);
    expect(() => new PostgresSink({ ...base, createTable: { b: 'text' } })).toThrow(/"a" is missing from createTable/);
  });
});

describe('PostgresSink permanent errors', () => {
  it('a missing column fails at once, naming the table, the columns and the SQL state', async () => {
    const table = scratch().unique('missing_col');
    await pgQuery(`CREATE TABLE ${scratch().qualified(table)} (id integer, present text)`);
    for (const method of METHODS) {
      const retries: unknown[] = [];
      const sink = await makeSink<[number, string]>({
        table: scratch().table(table),
        columns: ['id', 'absent_col'],
        method,
        onRetry: (e) => retries.push(e),
      });
      const started = Date.now();
      const err = (await sink.writeBatch({ batchTime: 1 }, [[1, 'x']]).catch((e: unknown) => e)) as PostgresSinkError;
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(err).toBeInstanceOf(PostgresSinkError);
      expect(err.sqlState).toBe('42703');
      expect(err.retryable).toBe(false);
      expect(err.attempts).toBe(1);
      expect(retries).toEqual([]);
      expect(err.message).toContain(`${quoteIdent(scratch().schema)}.${quoteIdent(table)}`);
      expect(err.message).toContain('"absent_col"');
      expect(err.message).toContain('SQLSTATE 42703');
      expect(err.message).toMatch(/column "absent_col" of relation .* does not exist/);
    }
  });

  it('a missing table fails at once with 42P01', async () => {
    const sink = await makeSink<[number]>({ table: scratch().table('no_such_table'), columns: ['id'], method: 'insert' });
    const err = (await sink.writeBatch({ batchTime: 1 }, [[1]]).catch((e: unknown) => e)) as PostgresSinkError;
    expect(err.sqlState).toBe('42P01');
    expect(err.message).toContain('"no_such_table"');
    expect(err.message).toContain('SQLSTATE 42P01');
  });

  it('update mode on a table without a matching unique key fails with 42P10', async () => {
    const table = scratch().unique('nokey');
    await pgQuery(`CREATE TABLE ${scratch().qualified(table)} (k text, v integer)`);
    const sink = await makeSink<[string, number]>({
      table: scratch().table(table),
      columns: ['k', 'v'],
      keyColumns: ['k'],
      mode: 'update',
    });
    const err = (await sink.writeBatch({ batchTime: 1 }, [['a', 1]]).catch((e: unknown) => e)) as PostgresSinkError;
    expect(err.sqlState).toBe('42P10');
    expect(err.retryable).toBe(false);
  });

  it('a constraint violation (23xxx) is permanent', async () => {
    const table = scratch().unique('notnull');
    await pgQuery(`CREATE TABLE ${scratch().qualified(table)} (k text NOT NULL)`);
    const sink = await makeSink<[string | null]>({ table: scratch().table(table), columns: ['k'] });
    const err = (await sink.writeBatch({ batchTime: 1 }, [[null]]).catch((e: unknown) => e)) as PostgresSinkError;
    expect(err.sqlState).toBe('23502');
    expect(err.attempts).toBe(1);
  });
});

describe('PostgresSink.writer (foreachRDD adapter)', () => {
  it('collects the RDD, maps elements, and stores the RDD offsets with the batch', async () => {
    const table = scratch().unique('writer');
    const sink = await makeSink<Rsvp>({
      table: scratch().table(table),
      columns: Object.keys(rsvpColumns),
      createTable: rsvpColumns,
      keyColumns: ['event_name', 'response'],
      mode: 'update',
    });
    const write = sink.writer<[[string, string], number]>(([[event_name, response], n], time) => ({
      event_name,
      response,
      response_count: n,
      batch_id: time,
    }));
    // Each batch continues the last (the default offset check refuses a re-read of 0–9).
    const rdd = (items: Array<[[string, string], number]>, from: number, until: number) => ({
      collect: () => items,
      offsetRanges: () => [{ topic: 'meetup', partition: 0, fromOffset: from, untilOffset: until }],
    });
    await write(rdd([[['Polo', 'yes'], 1]], 0, 10), 30_000);
    await write(rdd([[['Polo', 'yes'], 2]], 10, 20), 60_000);
    await write(rdd([[['Polo', 'yes'], 99]], 10, 20), 60_000); // replay: skipped
    expect(await rowsOf(table)).toEqual([
      { event_name: 'Polo', response: 'yes', response_count: '2', batch_id: '60000' },
    ]);
    expect(await sink.storedOffsets()).toEqual({ 'meetup:0': 20 });

    // Without extract, elements are rows; offsets can come from elsewhere.
    const plain = sink.writer(undefined, { offsetRanges: () => [{ topic: 'meetup', partition: 1, untilOffset: 3 }] });
    await plain({ collect: () => [{ event_name: 'Go', response: 'no', response_count: 1, batch_id: 90_000 }] }, 90_000);
    expect(await rowsOf(table)).toHaveLength(2);
    expect(await sink.storedOffsets()).toEqual({ 'meetup:0': 20, 'meetup:1': 3 });
  });
});
