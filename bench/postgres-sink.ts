/**
 * PostgresSink throughput: multi-row INSERT vs COPY, in append and update mode.
 *
 *   npx tsx bench/postgres-sink.ts [totalRows=100000] [batchRows=10000] [repeats=3]
 *
 * Writes `totalRows` rows of 6 columns (the shape of the meetup RSVP aggregate) in batches of
 * `batchRows`, each batch one exactly-once transaction, into a fresh table in a scratch schema
 * that is dropped afterwards. Update mode upserts keys `i % (totalRows / 2)`: the first half of
 * the batches insert new keys, the second half update them. Prints rows/s (best of `repeats`),
 * the ratios and the better method per mode. No pass/fail. Needs the PostgreSQL of the PG*
 * variables (default 127.0.0.1:5432, database test, user postgres, else root).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

import { PostgresSink, DEFAULT_INSERT_CHUNK_ROWS, DEFAULT_METHOD, type OutputMode, type WriteMethod } from '../src/sinks/index.js';

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

async function run(
  config: pg.PoolConfig,
  admin: pg.Client,
  schema: string,
  mode: OutputMode,
  method: WriteMethod,
  insertChunkRows?: number,
): Promise<number> {
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
    const keySpace = mode === 'update' ? Math.max(1, Math.floor(totalRows / 2)) : totalRows;
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
    const expected = mode === 'update' ? keySpace : totalRows;
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
    for (const mode of ['append', 'update'] as OutputMode[]) {
      const best = new Map<string, number>();
      // Interleave the variants so that a slow phase of the machine hits all of them alike.
      for (let r = 0; r < repeats; r++) {
        for (const v of variants) {
          const rps = await run(config, admin, schema, mode, v.method, v.chunk);
          best.set(v.label, Math.max(best.get(v.label) ?? 0, rps));
        }
      }
      console.log(`\n${mode} mode`);
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
