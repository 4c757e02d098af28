// Typed output of several tables in one transaction (issue 16, item 3): PostgresTables and the
// stream side foreachBatchTo; array or object rows without casts (this file type-checks under
// `tsc`, which is part of the test); numbers back from readRows().
import { afterEach, describe, expect, it } from 'vitest';

import {
  foreachBatchTo,
  ManualClock,
  PostgresSink,
  PostgresTables,
  StreamingContext,
  type PostgresSinkOptions,
} from '../../src/index.js';
import { pgQuery, sinkConnection, useScratchSchema } from '../helpers/postgres.js';

const scratch = useScratchSchema('dstreams_tables');
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function connection(): Promise<Partial<PostgresSinkOptions<unknown>>> {
  return { ...(await sinkConnection()), retry: false };
}

const rowsOf = async (table: string, order = '1') =>
  (await pgQuery(`SELECT * FROM ${scratch().qualified(table)} ORDER BY ${order}`)).rows;

describe('rows without casts', () => {
  it('new PostgresSink() takes array rows and object rows (its default row type is either)', async () => {
    const table = scratch().unique('untyped');
    const sink = new PostgresSink({
      ...(await connection()),
      table: scratch().table(table),
      columns: ['word', 'n'],
      createTable: { word: 'text', n: 'bigint' },
    });
    closers.push(() => sink.close());
    await sink.writeBatch({ batchTime: 1 }, [['to', 1], { word: 'be', n: 2 }]);
    expect(await rowsOf(table)).toEqual([
      { word: 'be', n: '2' },
      { word: 'to', n: '1' },
    ]);
  });

  it('readRows() gives bigint and numeric columns as numbers (a bigint past 2^53)', async () => {
    const table = scratch().unique('numbers');
    const sink = new PostgresSink({
      ...(await connection()),
      table: scratch().table(table),
      columns: ['id', 'big', 'price', 'whole', 'ratio'],
      createTable: { id: 'integer', big: 'bigint', price: 'numeric(10,2)', whole: 'numeric', ratio: 'double precision' },
    });
    closers.push(() => sink.close());
    await sink.writeBatch({ batchTime: 1 }, [
      [1, 42, '19.99', '7', 0.5],
      [2, 9007199254740993n, '-0.01', '123456789012345678901234567890', 1.25],
      [3, null, null, null, null],
    ]);
    const rows = (await sink.readRows()).sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(rows).toEqual([
      [1, 42, 19.99, 7, 0.5],
      [2, 9007199254740993n, -0.01, 123456789012345678901234567890n, 1.25],
      [3, null, null, null, null],
    ]);
  });
});

describe('PostgresTables and foreachBatchTo', () => {
  type Total = [word: string, n: number];
  interface DeadLetter {
    batch_id: number;
    line: string;
  }

  async function tables() {
    const conn = await connection();
    const totals = new PostgresSink<Total>({
      ...conn,
      table: scratch().table(scratch().unique('totals')),
      columns: ['word', 'n'],
      createTable: { word: 'text', n: 'bigint' },
      keyColumns: ['word'],
      mode: 'update',
      sinkId: scratch().unique('words'),
    });
    const deadLetters = new PostgresSink<DeadLetter>({
      ...conn,
      table: scratch().table(scratch().unique('dead')),
      columns: ['batch_id', 'line'],
      createTable: { batch_id: 'bigint', line: 'text NOT NULL' },
    });
    const out = new PostgresTables({ totals, deadLetters });
    closers.push(() => out.close());
    return out;
  }

  it('writes each batch of several streams to their tables in one transaction, with the offsets, once', async () => {
    const out = await tables();
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    closers.push(() => ssc.stop());
    const lines = ssc.queueStream<string>([['a b', 'a', '#bad'], ['b c']]);
    const totals = lines
      .filter((l) => !l.startsWith('#'))
      .flatMap((l) => l.split(' '))
      .map((w): [string, number] => [w, 1])
      .reduceByKey((a, b) => a + b);
    const dead = lines.filter((l) => l.startsWith('#'));
    const written: Array<[number, Record<string, number>]> = [];
    foreachBatchTo(
      out,
      {
        totals: totals.map(([w, n]): Total => [w, n]),
        deadLetters: dead.transform((rdd, time) => rdd.map((line): DeadLetter => ({ batch_id: time, line }))),
      },
      {
        offsets: (time) => [{ topic: 'lines', partition: 0, fromOffset: time / 1000 - 1, untilOffset: time / 1000 }],
        onWritten: (r, time) => void written.push([time, r.rowsWritten]),
      },
    );
    await ssc.start();
    await clock.advance(2000);
    expect(written).toEqual([
      [1000, { totals: 2, deadLetters: 1 }],
      [2000, { totals: 2, deadLetters: 0 }],
    ]);
    expect(await rowsOf(out.sinks.totals.tableName.split('.')[1]!.replace(/"/g, ''))).toEqual([
      { word: 'a', n: '2' },
      { word: 'b', n: '1' },
      { word: 'c', n: '1' },
    ]);
    expect(await rowsOf(out.sinks.deadLetters.tableName.split('.')[1]!.replace(/"/g, ''))).toEqual([{ batch_id: '1000', line: '#bad' }]);
    expect(await out.storedOffsets()).toEqual({ 'lines:0': 2 });
    // A replay of a committed batch writes none of the tables.
    const replay = await out.writeBatch({ batchTime: 2000 }, { totals: [['zz', 9]], deadLetters: [{ batch_id: 2000, line: '#x' }] });
    expect(replay).toMatchObject({ skipped: true, rowsWritten: { totals: 0, deadLetters: 0 } });
  });

  it('a table that refuses its rows rolls the whole batch back and fails the context', async () => {
    const out = await tables();
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    closers.push(() => ssc.stop());
    const lines = ssc.queueStream<string>([['a'], ['b']]);
    foreachBatchTo(out, {
      totals: lines.map((w): Total => [w, 1]),
      // NULL into a NOT NULL column on the second batch: its totals must not be written either.
      deadLetters: lines.transform((rdd, time) => rdd.map((): DeadLetter => ({ batch_id: time, line: time === 2000 ? (null as never) : 'ok' }))),
    });
    await ssc.start();
    await clock.advance(2000).catch(() => undefined);
    await expect(ssc.awaitTermination()).rejects.toThrow(/null value in column "line"/);
    expect((await out.sinks.totals.readRows()).sort()).toEqual([['a', 1]]);
    expect(await out.lastCommittedBatchTime()).toBe(1000);
  });
});
