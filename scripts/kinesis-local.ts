/**
 * Local Kinesis and DynamoDB for tests, benchmarks and the examples: kinesalite and dynalite
 * (npm dev dependencies) in this process, in memory, on free ports below 32768 (the ephemeral
 * range above can be taken by outgoing connections). Both are pure JavaScript in memory (their
 * LevelDB backends are used only with a path), so nothing native is built at install.
 *
 *   const local = await startLocalKinesis();   // { kinesisEndpoint, dynamoDBEndpoint, close() }
 *
 * Run directly (`npx tsx scripts/kinesis-local.ts [kinesisPort] [dynamoPort]`) it serves until
 * interrupted, for the examples: `dstreams feed --kinesis-stream …` and `dstreams run kinesis-wordcount …`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Module from 'node:module';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

interface Server {
  listen(port: number, host: string, cb: () => void): void;
  close(cb?: () => void): void;
  once(event: 'error', cb: (e: Error) => void): void;
}

const require = createRequire(import.meta.url);

export interface LocalKinesis {
  kinesisEndpoint: string;
  dynamoDBEndpoint: string;
  close(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function listen(make: () => Server, port: number | undefined): Promise<[Server, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const p = port ?? 20_000 + Math.floor(Math.random() * 12_000);
    if (port === undefined && !(await portFree(p))) continue;
    const srv = make();
    const ok = await new Promise<boolean>((resolve) => {
      srv.once('error', () => resolve(false));
      srv.listen(p, '127.0.0.1', () => resolve(true));
    });
    if (ok) return [srv, p];
    if (port !== undefined) throw new Error(`port ${port} is taken`);
  }
  throw new Error('no free port below 32768 for the local Kinesis servers');
}

/**
 * kinesalite 3.3.3 never answers GetShardIterator AT_TIMESTAMP when no record of the shard
 * arrived at or after the timestamp (its lookup waits for a first match that never comes); AWS
 * then gives an iterator at the shard's tip. The inputs use AT_TIMESTAMP for LATEST positions
 * pinned at a start time, so this patches kinesalite's action, in memory, to answer as AWS
 * does. Nothing else of kinesalite is changed.
 */
function patchKinesaliteAtTimestamp(): void {
  const file = require.resolve('kinesalite/actions/getShardIterator.js');
  if (require.cache[file]) return;
  const original = readFileSync(file, 'utf8');
  const broken = `.head(function(item) {
          iteratorSeq = item.key.split('/')[1]`;
  if (!original.includes(broken)) return; // another kinesalite: leave it as it is
  const fixed = original.replace(
    broken,
    `.take(1).join(function(items) {
          var item = items[0]
          iteratorSeq = item ? item.key.split('/')[1] : db.stringifySequence({
            shardCreateTime: shardSeqObj.shardCreateTime,
            seqIx: stream._seqIx[Math.floor(shardIx / 5)],
            seqTime: now,
            shardIx: shardSeqObj.shardIx,
          })`,
  );
  const m = new Module(file) as Module & { _compile(code: string, filename: string): void };
  m.filename = file;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(file.replace(/[/\\][^/\\]*$/, ''));
  m._compile(fixed, file);
  m.loaded = true;
  require.cache[file] = m;
}

export async function startLocalKinesis(ports: { kinesis?: number; dynamo?: number } = {}): Promise<LocalKinesis> {
  let kinesalite: (o: object) => Server;
  let dynalite: (o: object) => Server;
  try {
    patchKinesaliteAtTimestamp();
    kinesalite = require('kinesalite') as typeof kinesalite;
    dynalite = require('dynalite') as typeof dynalite;
  } catch (e) {
    throw new Error(`kinesalite and dynalite (npm dev dependencies) are not installed: run npm ci (${(e as Error).message})`);
  }
  // Streams and tables become ACTIVE almost at once. kinesalite's shard limit counts every stream
  // of the account (a test run creates many): high enough never to matter.
  const [k, kp] = await listen(() => kinesalite({ createStreamMs: 20, deleteStreamMs: 20, updateStreamMs: 50, shardLimit: 100_000 }), ports.kinesis);
  const [d, dp] = await listen(() => dynalite({ createTableMs: 20, deleteTableMs: 20, updateTableMs: 20 }), ports.dynamo);
  return {
    kinesisEndpoint: `http://127.0.0.1:${kp}`,
    dynamoDBEndpoint: `http://127.0.0.1:${dp}`,
    close: async () => {
      await Promise.all([new Promise<void>((r) => k.close(() => r())), new Promise<void>((r) => d.close(() => r()))]);
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [kp, dp] = process.argv.slice(2).map(Number);
  const local = await startLocalKinesis({ ...(kp ? { kinesis: kp } : {}), ...(dp ? { dynamo: dp } : {}) });
  console.log(`kinesalite on ${local.kinesisEndpoint}, dynalite on ${local.dynamoDBEndpoint} (Ctrl-C stops both)`);
  const stop = (): void => void local.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
