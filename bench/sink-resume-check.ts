/**
 * The PostgresSink table check (src/sinks/postgres/guard.ts): what it costs on a big table.
 *
 *   npx tsx bench/sink-resume-check.ts [rows=1000000] [rounds=9]
 *
 * A `rows`-row update-mode table written by a sink (1 000 rows through the sink, the rest by an
 * INSERT … SELECT: rows added by others are not damage). Then, medians of `rounds` alternating
 * rounds:
 *   1. the check at resume — the stamp read and the one LIMIT 1 probe, alone and with the DDL
 *      init runs around them (CREATE … IF NOT EXISTS, the trigger function), against what a scanning check would cost (`SELECT count(*)`), and a new sink's
 *      whole first use (connect, DDL, check) with the check on and off;
 *   2. per batch — a 1 000-row update batch with the check on (stamp upsert) and off;
 *   3. complete mode — a 10 000-row table replaced each batch (DELETE + COPY): the DELETE trigger
 *      keeps a transition table of the sink's own deleted rows.
 * Prints milliseconds and ratios; no pass/fail. The machine is shared: read ratios, not absolutes.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

import { PostgresSink, type PostgresSinkOptions } from '../src/sinks/postgres/index.js';
import { guardStatements, inspectTable } from '../src/sinks/postgres/guard.js';

const totalRows = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 9);

const base: pg.PoolConfig = {
  host: process.env.PGHOST || '127.0.0.1',
  port: process.env.PGPORT ? Number(process.env.PGPORT) : 5432,
  database: process.env.PGDATABASE || 'test',
  user: process.env.PGUSER || 'postgres',
};
const schema = `dstreams_bench_guard_${randomBytes(4).toString('hex')}`;
const q = (name: string) => `"${schema}"."${name}"`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1)).padStart(9) + ' ms';

type Row = [number, number];
function sinkOptions(table: string, sinkId: string, extra: Partial<PostgresSinkOptions<Row>> = {}): PostgresSinkOptions<Row> {
  return {
    ...base,
    table: { schema, name: table },
    columns: ['k', 'n'],
    createTable: { k: 'bigint', n: 'bigint' },
    keyColumns: ['k'],
    mode: 'update',
    sinkId,
    retry: false,
    ...extra,
  };
}
const rowsFrom = (from: number, n: number, v: number): Row[] => Array.from({ length: n }, (_, i): Row => [from + i, v]);

const admin = new pg.Client(base);
await admin.connect();
await admin.query(`CREATE SCHEMA "${schema}"`);
try {
  // ---- a big table, written by a sink (its stamp and triggers) and grown by an INSERT … SELECT
  const t0 = Date.now();
  const writer = new PostgresSink<Row>(sinkOptions('big', 'big'));
  await writer.writeBatch({ batchTime: 1000 }, rowsFrom(0, 1000, 1));
  await admin.query(`INSERT INTO ${q('big')} SELECT g, 1 FROM generate_series(1000, ${totalRows - 1}) g`);
  await admin.query(`VACUUM ANALYZE ${q('big')}`);
  const size = (await admin.query<{ s: string }>(`SELECT pg_size_pretty(pg_total_relation_size('${q('big')}')) AS s`)).rows[0]!.s;
  console.log(`table: ${totalRows.toLocaleString('en')} rows, ${size} with its key index (built in ${Date.now() - t0} ms)`);

  // ---- 1. the check at resume
  const g = guardStatements(schema, q('big'));
  const lastClaimed = async () => 1000;
  const guardMs: number[] = [];
  const readMs: number[] = [];
  const countMs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    readMs.push(
      await timed(async () => {
        await admin.query(g.readStamp, ['big', q('big')]);
        await admin.query(g.probe);
      }),
    );
    guardMs.push(
      await timed(async () => {
        await admin.query('BEGIN');
        const damage = await inspectTable(admin, g, 'big', q('big'), lastClaimed);
        await admin.query('COMMIT');
        if (damage) throw new Error(`unexpected damage: ${JSON.stringify(damage)}`);
      }),
    );
    countMs.push(await timed(() => admin.query(`SELECT count(*) FROM ${q('big')}`)));
  }
  const firstUse = async (tableCheck: boolean) =>
    timed(async () => {
      const s = new PostgresSink<Row>(sinkOptions('big', 'big', { tableCheck }));
      await s.storedOffsets();
      await s.close();
    });
  const initOn: number[] = [];
  const initOff: number[] = [];
  for (let r = 0; r < rounds; r++) {
    initOn.push(await firstUse(true));
    initOff.push(await firstUse(false));
  }
  console.log('\n1. the check at resume (median of %d)', rounds);
  console.log(`   the check: stamp read + LIMIT 1 probe                         ${fmt(median(readMs))}`);
  console.log(`   with init's guard DDL (IF NOT EXISTS, function), one txn      ${fmt(median(guardMs))}`);
  console.log(`   a scanning check instead: SELECT count(*)                    ${fmt(median(countMs))}   (${(median(countMs) / median(readMs)).toFixed(0)}x the check)`);
  console.log(`   a new sink's first use, check on  (connect, DDL, check)      ${fmt(median(initOn))}`);
  console.log(`   a new sink's first use, check off                            ${fmt(median(initOff))}   (on/off ${(median(initOn) / median(initOff)).toFixed(2)})`);

  // ---- 2. per batch, update mode on the big table
  const on = new PostgresSink<Row>(sinkOptions('big', 'big'));
  const off = new PostgresSink<Row>(sinkOptions('big', 'big-nocheck', { tableCheck: false }));
  const batchOn: number[] = [];
  const batchOff: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = 2000 + r * 1000;
    batchOn.push(await timed(() => on.writeBatch({ batchTime: t }, rowsFrom(r * 1000, 1000, r))));
    batchOff.push(await timed(() => off.writeBatch({ batchTime: t }, rowsFrom(r * 1000, 1000, r))));
  }
  console.log('\n2. per batch: 1 000-row upsert into the big table (median of %d)', rounds);
  console.log(`   check on  ${fmt(median(batchOn))}\n   check off ${fmt(median(batchOff))}   (on/off ${(median(batchOn) / median(batchOff)).toFixed(2)})`);

  // ---- 3. complete mode: the sink's own DELETE under the trigger
  const completeOn = new PostgresSink<Row>(sinkOptions('complete_on', 'c-on', { mode: 'complete' }));
  const completeOff = new PostgresSink<Row>(sinkOptions('complete_off', 'c-off', { mode: 'complete', tableCheck: false }));
  const cOn: number[] = [];
  const cOff: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const rows = rowsFrom(0, 10_000, r);
    cOn.push(await timed(() => completeOn.writeBatch({ batchTime: 1000 + r * 1000 }, rows)));
    cOff.push(await timed(() => completeOff.writeBatch({ batchTime: 1000 + r * 1000 }, rows)));
  }
  console.log('\n3. complete mode: 10 000 rows replaced per batch (median of %d)', rounds);
  console.log(`   check on  ${fmt(median(cOn))}\n   check off ${fmt(median(cOff))}   (on/off ${(median(cOn) / median(cOff)).toFixed(2)})`);
  await Promise.all([writer, on, off, completeOn, completeOff].map((s) => s.close()));
} finally {
  await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
  await admin.end();
}
