/**
 * PostgresSink throughput: multi-row INSERT vs COPY, in append, update and complete mode, and in
 * the meetup pipeline's own shape.
 *
 *   npx tsx bench/postgres-sink.ts [totalRows=100000] [batchRows=10000] [repeats=3]
 *
 * Writes `totalRows` rows of 6 columns in batches of `batchRows`, each batch one exactly-once
 * transaction, into a fresh table in a scratch schema that is dropped afterwards. Update mode
 * upserts keys `i % (totalRows / 2)`: the first half of the batches insert new keys, the second
 * half update them. Complete mode replaces the table with each batch (`batchRows` rows).
 * "meetup" is what src/apps/meetup writes: 14 columns upserted on the 12 grouping columns
 * (UNIQUE NULLS NOT DISTINCT, NULLs in the keys), offsetCheck 'contiguous', and ~5 % dead
 * letters appended alongside in the same transaction (rows counted: the totals').
 * Prints rows/s (best of `repeats`), the ratios and the better method per mode. No pass/fail.
 * Needs the PostgreSQL of the PG* variables (default 127.0.0.1:5432, database test, user
 * postgres, else root).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

import { generateMeetupEvents } from '../src/apps/meetup/generate.js';
import { DEAD_LETTER_TYPES, GROUP_COLUMNS, MEETUP_TABLE_TYPES, totalsRow } from '../src/apps/meetup/schema.js';
import { PostgresSink, DEFAULT_INSERT_CHUNK_ROWS, DEFAULT_METHOD, type WriteMethod } from '../src/sinks/postgres/index.js';

type BenchMode = 'append' | 'update' | 'complete' | 'meetup';

const totalRows = Number(process.argv[2] ?? 100_000);
const batchRows = Number(process.argv[3] ?? 10_000);
const repeats = Number(process.argv[4] ?? 3);

type Row = [number, string, string, number, number, number];
const columns = ['rsvp_key', 'event_name', 'group_city', 'lat', 'lon', 'response_count'];
const createTable = {
  rsvp_key: 'bigint',
  event_name: 'text',
  group_city: 'text',
  lat: 'double precision',
  lon: 'double precision',
  response_count: 'bigint',
};
const cities = ['Austin', 'Charlotte', 'São Paulo', 'New York', 'Zagreb', 'Manchester, UK', 'Toronto "ON"'];

function makeRows(from: number, n: number, keySpace: number): Row[] {
  return Array.from({ length: n }, (_, j): Row => {
    const i = from + j;
    return [
      i % keySpace,
      `Event ${i % 977}: kayak polo, badminton & "cocktails"`,
      cities[i % cities.length]!,
      30 + (i % 1000) / 97,
      -97 + (i % 1000) / 89,
      (i % 13) + 1,
    ];
  });
}

async function connection(): Promise<pg.PoolConfig> {
  const env = process.env;
  const base = {
    host: env.PGHOST || '127.0.0.1',
    port: env.PGPORT ? Number(env.PGPORT) : 5432,
    database: env.PGDATABASE || 'test',
    ...(env.PGPASSWORD !== undefined ? { password: env.PGPASSWORD } : {}),
  };
  const errors: string[] = [];
  for (const user of env.PGUSER ? [env.PGUSER] : ['postgres', 'root']) {
    const client = new pg.Client({ ...base, user });
    try {
      await client.connect();
      await client.end();
      return { ...base, user };
    } catch (err) {
      errors.push(`${user}: ${(err as Error).message}`);
    }
  }
  throw new Error(`cannot connect to PostgreSQL at ${base.host}:${base.port}/${base.database} (${errors.join('; ')})`);
}

/**
 * The meetup pipeline's batches: each batch the distinct keys of `batchRows` RSVPs with running
 * counts (as the job's mapWithState emits them), plus the dead letters of the batch.
 */
function meetupBatches(): Array<{ rows: Record<string, unknown>[]; dead: Record<string, unknown>[] }> {
  const totals = new Map<string, number>();
  const out: Array<{ rows: Record<string, unknown>[]; dead: Record<string, unknown>[] }> = [];
  let changed = new Map<string, Record<string, unknown>>();
  let dead: Record<string, unknown>[] = [];
  let i = 0;
  let t = 0;
  for (const e of generateMeetupEvents({ count: totalRows, malformed: 0.05, seed: 1, groups: 20_000 })) {
    if (e.truth.ok) {
      const k = JSON.stringify(e.truth.key);
      const n = (totals.get(k) ?? 0) + 1;
      totals.set(k, n);
      changed.set(k, totalsRow(e.truth.key, n, t));
    } else {
      dead.push({ batch_id: t, category: e.truth.category, reason: 'bench', kafka_key: e.key, payload: e.value });
    }
    if (++i % batchRows === 0 || i === totalRows) {
      out.push({ rows: [...changed.values()], dead });
      changed = new Map();
      dead = [];
      t += 1000;
    }
  }
  return out;
}

let meetupCache: ReturnType<typeof meetupBatches> | undefined;

async function runMeetup(config: pg.PoolConfig, admin: pg.Client, schema: string, method: WriteMethod, insertChunkRows?: number): Promise<number> {
  const table = `bench_meetup_${method}_${insertChunkRows ?? 'max'}_${randomBytes(3).toString('hex')}`;
  const common = { connection: config, method, ...(insertChunkRows ? { insertChunkRows } : {}) };
  const sink = new PostgresSink<Record<string, unknown>>({
    ...common,
    table: { schema, name: table },
    columns: [...GROUP_COLUMNS, 'response_count', 'batch_id'],
    createTable: MEETUP_TABLE_TYPES,
    keyColumns: [...GROUP_COLUMNS],
    keyNullsNotDistinct: true,
    mode: 'update',
    offsetCheck: 'contiguous',
    sinkId: table,
  });
  const deadLetters = new PostgresSink<Record<string, unknown>>({
    ...common,
    table: { schema, name: `${table}_dead` },
    columns: Object.keys(DEAD_LETTER_TYPES),
    createTable: { ...DEAD_LETTER_TYPES },
    sinkId: `${table}_dead`,
  });
  try {
    await Promise.all([sink.init(), deadLetters.init()]);
    const batches = (meetupCache ??= meetupBatches());
    const started = process.hrtime.bigint();
    let rows = 0;
    for (let b = 0; b < batches.length; b++) {
      const { rows: r, dead } = batches[b]!;
      rows += r.length;
      await sink.writeBatch(
        { batchTime: (b + 1) * 1000, offsetRanges: [{ topic: 'rsvps', partition: 0, fromOffset: b * batchRows, untilOffset: (b + 1) * batchRows }] },
        r,
        { alongside: [{ sink: deadLetters, rows: dead }] },
      );
    }
    return rows / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    await Promise.all([sink.close(), deadLetters.close()]);
    await admin.query(`DROP TABLE IF EXISTS "${schema}"."${table}", "${schema}"."${table}_dead"`);
  }
}

async function run(
  config: pg.PoolConfig,
  admin: pg.Client,
  schema: string,
  mode: BenchMode,
  method: WriteMethod,
  insertChunkRows?: number,
): Promise<number> {
  if (mode === 'meetup') return runMeetup(config, admin, schema, method, insertChunkRows);
  const table = `bench_${mode}_${method}_${insertChunkRows ?? 'max'}_${randomBytes(3).toString('hex')}`;
  const sink = new PostgresSink<Row>({
    connection: config,
    table: { schema, name: table },
    columns,
    createTable,
    mode,
    method,
    ...(insertChunkRows ? { insertChunkRows } : {}),
    ...(mode === 'update' ? { keyColumns: ['rsvp_key'] } : {}),
    sinkId: table,
  });
  try {
    await sink.init();
    const keySpace = mode === 'update' ? Math.max(1, Math.floor(totalRows / 2)) : mode === 'complete' ? batchRows : totalRows;
    // Rows are built before the clock starts: the figure is the sink's, not the generator's.
    const batches: Row[][] = [];
    for (let from = 0; from < totalRows; from += batchRows) {
      batches.push(makeRows(from, Math.min(batchRows, totalRows - from), keySpace));
    }
    const started = process.hrtime.bigint();
    let t = 0;
    for (const rows of batches) {
      t += 1000;
      await sink.writeBatch(
        { batchTime: t, offsetRanges: [{ topic: 'rsvps', partition: 0, untilOffset: t }] },
        rows,
      );
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const expected = mode === 'update' ? keySpace : mode === 'complete' ? batches.at(-1)!.length : totalRows;
    const count = await admin.query(`SELECT count(*)::int AS n FROM "${schema}"."${table}"`);
    if (count.rows[0].n !== expected) throw new Error(`${table}: expected ${expected} rows, found ${count.rows[0].n}`);
    return totalRows / seconds;
  } finally {
    await sink.close();
    await admin.query(`DROP TABLE IF EXISTS "${schema}"."${table}"`);
  }
}

async function main(): Promise<void> {
  const config = await connection();
  const admin = new pg.Client(config);
  await admin.connect();
  const version = (await admin.query('SHOW server_version')).rows[0].server_version;
  const schema = `dstreams_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await admin.query(`CREATE SCHEMA "${schema}"`);
  console.log(
    `PostgresSink bench: ${totalRows} rows × ${columns.length} columns in batches of ${batchRows}, ` +
      `best of ${repeats}; PostgreSQL ${version} at ${config.host}:${config.port}; Node ${process.version}`,
  );
  const variants: Array<{ label: string; method: WriteMethod; chunk?: number }> = [
    { label: 'INSERT (65535-param max)', method: 'insert', chunk: 1_000_000 },
    { label: 'INSERT (1000 rows/stmt)', method: 'insert' },
    { label: 'COPY', method: 'copy' },
  ];
  try {
    for (const mode of ['append', 'update', 'complete', 'meetup'] as BenchMode[]) {
      const best = new Map<string, number>();
      // Interleave the variants so that a slow phase of the machine hits all of them alike.
      for (let r = 0; r < repeats; r++) {
        for (const v of variants) {
          const rps = await run(config, admin, schema, mode, v.method, v.chunk);
          best.set(v.label, Math.max(best.get(v.label) ?? 0, rps));
        }
      }
      console.log(`\n${mode === 'meetup' ? 'meetup pipeline (update on 12 columns, dead letters alongside)' : `${mode} mode`}`);
      for (const v of variants) {
        console.log(`  ${v.label.padEnd(26)} ${Math.round(best.get(v.label)!).toLocaleString('en-US').padStart(10)} rows/s`);
      }
      const insert = Math.max(best.get(variants[0]!.label)!, best.get(variants[1]!.label)!);
      const copy = best.get('COPY')!;
      const winner = copy >= insert ? 'copy' : 'insert';
      console.log(
        `  COPY / best INSERT = ${(copy / insert).toFixed(2)}×  → better: ${winner}` +
          `  (INSERT max-size/1000-row statements = ${(best.get(variants[0]!.label)! / best.get(variants[1]!.label)!).toFixed(2)}×)`,
      );
    }
    console.log(`\ndefaults: method ${DEFAULT_METHOD}, insertChunkRows ${DEFAULT_INSERT_CHUNK_ROWS}`);
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
