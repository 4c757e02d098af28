// Bad-input campaign (issue 16), sink inputs: rows a job may hand the PostgreSQL sink by mistake
// or by design — wrong arity, non-rows, NUL bytes, NaN and Infinity, values that do not cast,
// out-of-range numbers, invalid dates, huge strings, objects in text columns — with COPY and with
// INSERT. Each case ends in either the values stored as given (read back) or a PostgresSinkError
// naming the sink and the table (and the column when the server names one), with NOTHING of the
// batch written: no row, no claim, no offsets. Never a partial batch.
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresSink, PostgresSinkError, type WriteMethod } from '../../src/sinks/postgres/index.js';
import { pgQuery, sinkConnection, useScratchSchema } from '../helpers/postgres.js';
import { recordCampaign } from './tally.js';

const scratch = useScratchSchema('dstreams_campaign_sink');
const sinks: PostgresSink<any>[] = [];
afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
});

const TYPES = { id: 'bigint', name: 'text', amount: 'double precision', at: 'timestamptz', tags: 'text[]', price: 'numeric(8,2)' };
const COLUMNS = Object.keys(TYPES);

interface Case {
  name: string;
  rows: unknown[];
  /** The stored row as read back (`SELECT … ::text`), when the case must succeed. */
  stored?: Array<Record<string, string | null>>;
  /** What the error must say, when it must fail. */
  error?: RegExp;
}

const good = (id: number) => [id, 'ok', 1.5, new Date('2017-11-11T10:20:30Z'), ['a'], '1.00'];

const CASES: Case[] = [
  { name: 'a row with too few values', rows: [good(1), [2, 'x']], error: /row 1 has 2 values for 6 columns/ },
  { name: 'a row with too many values', rows: [[...good(1), 'extra']], error: /row 0 has 7 values for 6 columns/ },
  { name: 'a null row', rows: [good(1), null], error: /row 1 is neither an array nor an object/ },
  { name: 'a number as a row', rows: [42], error: /row 0 is neither an array nor an object/ },
  { name: 'a NUL byte in text', rows: [[1, 'a\u0000b', 1, null, null, null]], error: /0x00|invalid byte sequence|nul/i },
  { name: 'text that is not a bigint', rows: [['abc', 'x', 1, null, null, null]], error: /invalid input syntax for type bigint/ },
  { name: 'a bigint out of range', rows: [[2n ** 70n, 'x', 1, null, null, null]], error: /out of range/ },
  { name: 'a numeric that overflows numeric(8,2)', rows: [[1, 'x', 1, null, null, '1234567.89']], error: /numeric field overflow/ },
  { name: 'an invalid Date', rows: [[1, 'x', 1, new Date('nope'), null, null]], error: /timestamp|time zone|date\/time|invalid/i },
  { name: 'a string that is not a timestamp', rows: [[1, 'x', 1, 'yesterday-ish', null, null]], error: /invalid input syntax for type timestamp/ },
  { name: 'a string where an array goes', rows: [[1, 'x', 1, null, 'not an array', null]], error: /malformed array literal/ },
  {
    name: 'NaN and Infinity in a double column',
    rows: [[1, 'nan', Number.NaN, null, null, null], [2, 'inf', Number.POSITIVE_INFINITY, null, null, null], [3, '-inf', Number.NEGATIVE_INFINITY, null, null, null]],
    stored: [
      { id: '1', name: 'nan', amount: 'NaN', at: null, tags: null, price: null },
      { id: '2', name: 'inf', amount: 'Infinity', at: null, tags: null, price: null },
      { id: '3', name: '-inf', amount: '-Infinity', at: null, tags: null, price: null },
    ],
  },
  {
    name: 'quotes, commas, newlines, backslashes and a lone \\. in text',
    rows: [[1, 'a "b", c\nd\\e\r\n\\.\n', 0, null, ['x,y', '"q"', 'back\\slash', null], null]],
    stored: [{ id: '1', name: 'a "b", c\nd\\e\r\n\\.\n', amount: '0', at: null, tags: '{"x,y","\\"q\\"","back\\\\slash",NULL}', price: null }],
  },
  {
    name: 'undefined and missing object keys as NULL',
    rows: [[1, undefined, undefined, undefined, undefined, undefined], { id: 2 }],
    stored: [
      { id: '1', name: null, amount: null, at: null, tags: null, price: null },
      { id: '2', name: null, amount: null, at: null, tags: null, price: null },
    ],
  },
  {
    name: 'a 4 MB string and unicode beyond the BMP',
    rows: [[1, 'x'.repeat(4 << 20), 1, null, ['😀', 'ß'], null]],
    stored: [{ id: '1', name: `x×${4 << 20}`, amount: '1', at: null, tags: '{😀,ß}', price: null }],
  },
  {
    name: 'an object in a text column (JSON text)',
    rows: [[1, { a: 1 } as unknown, 1, null, null, null]],
    stored: [{ id: '1', name: '{"a":1}', amount: '1', at: null, tags: null, price: null }],
  },
  {
    name: 'a safe bigint, a BigInt, a numeric string and a Date',
    rows: [[9007199254740991, 'max', 0.1, new Date(0), [], '-0.50'], [9007199254740993n, 'big', -0, new Date('2017-11-11T10:20:30.123Z'), null, '999999.99']],
    stored: [
      { id: '9007199254740991', name: 'max', amount: '0.1', at: '1970-01-01 00:00:00+00', tags: '{}', price: '-0.50' },
      { id: '9007199254740993', name: 'big', amount: '0', at: '2017-11-11 10:20:30.123+00', tags: null, price: '999999.99' },
    ],
  },
];

async function readBack(table: string): Promise<Array<Record<string, string | null>>> {
  const cols = COLUMNS.map((c) => `${c}::text AS ${c}`).join(', ');
  const rows = (await pgQuery<Record<string, string | null>>(`SET TIME ZONE 'UTC'; SELECT ${cols} FROM ${scratch().qualified(table)} ORDER BY id`)) as unknown;
  // A multi-statement query returns one result per statement.
  const results = rows as Array<{ rows: Array<Record<string, string | null>> }>;
  return results[results.length - 1]!.rows.map((r) => (r.name !== null && r.name.length > 1000 ? { ...r, name: `x×${r.name.length}` } : r));
}

describe('sink inputs', () => {
  it.each(['copy', 'insert'] as WriteMethod[])('every bad row is stored as given or refused whole, naming the table (method %s)', async (method) => {
    let errors = 0;
    let correct = 0;
    const lost: string[] = [];
    for (const c of CASES) {
      const table = scratch().unique('bad');
      const sink = new PostgresSink<unknown>({
        ...(await sinkConnection()),
        table: scratch().table(table),
        columns: COLUMNS,
        createTable: TYPES,
        method,
        sinkId: table,
        retry: false,
      });
      sinks.push(sink);
      await sink.init();
      const offsets = [{ topic: 't', partition: 0, fromOffset: 0, untilOffset: 5 }];
      const result = await sink.writeBatch({ batchTime: 1000, offsetRanges: offsets }, c.rows).then(
        (r) => ({ ok: r }),
        (e: unknown) => ({ err: e }),
      );
      if (c.error) {
        if (!('err' in result)) {
          lost.push(`${c.name}: accepted, expected ${c.error}`);
          continue;
        }
        const e = result.err as Error;
        expect(e, c.name).toBeInstanceOf(PostgresSinkError);
        expect(e.message, c.name).toMatch(c.error);
        expect(e.message, c.name).toContain(`"${table}"`);
        // Nothing of the batch: no row, no claim, no offsets.
        expect(await readBack(table), c.name).toEqual([]);
        expect(await sink.lastCommittedBatchTime(), c.name).toBeUndefined();
        expect(await sink.storedOffsets(), c.name).toEqual({});
        errors++;
      } else {
        if ('err' in result) {
          lost.push(`${c.name}: refused: ${String((result.err as Error).message).slice(0, 200)}`);
          continue;
        }
        expect(await readBack(table), c.name).toEqual(c.stored);
        expect(await sink.storedOffsets()).toEqual({ 't:0': 5 });
        correct++;
      }
    }
    recordCampaign(`sink inputs (${method})`, { cases: CASES.length, correct, errors, lost: lost.length });
    expect(lost).toEqual([]);
  });
});
