// Helpers for tests against the run's local Kinesis and DynamoDB (kinesalite and dynalite,
// started by test/setup/kinesis.global.ts).
//
//   const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
//   const stream = uniqueName('words');
//   await createKinesisStream(stream, 4);
//   await putLines(stream, lines);
import { randomBytes } from 'node:crypto';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { inject } from 'vitest';

export interface KinesisEndpoints {
  kinesisEndpoint: string;
  dynamoDBEndpoint: string;
}

function injected<K extends 'kinesisEndpoint' | 'dynamoDBEndpoint' | 'kinesisError'>(key: K): string | undefined {
  try {
    return inject(key);
  } catch {
    return undefined;
  }
}

export function kinesisEndpoints(): KinesisEndpoints {
  const kinesisEndpoint = injected('kinesisEndpoint') || process.env.KINESIS_ENDPOINT;
  const dynamoDBEndpoint = injected('dynamoDBEndpoint') || process.env.DYNAMODB_ENDPOINT;
  if (!kinesisEndpoint || !dynamoDBEndpoint) {
    throw new Error(injected('kinesisError') || 'No local Kinesis: test/setup/kinesis.global.ts did not start kinesalite/dynalite');
  }
  return { kinesisEndpoint, dynamoDBEndpoint };
}

export const REGION = 'us-east-1';

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

let client: KinesisClient | undefined;
export function kinesis(): KinesisClient {
  client ??= new KinesisClient({
    endpoint: kinesisEndpoints().kinesisEndpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
  });
  return client;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitActive(stream: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await kinesis().send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    if (r.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await sleep(25);
  }
  throw new Error(`stream ${stream} did not become ACTIVE`);
}

export async function createKinesisStream(stream: string, shards: number): Promise<void> {
  await kinesis().send(new CreateStreamCommand({ StreamName: stream, ShardCount: shards }));
  await waitActive(stream);
}

export async function listShards(stream: string): Promise<Shard[]> {
  return (await kinesis().send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
}

/** Puts lines, 500 a request, partition keys spread over the shards (or an explicit hash key for all). */
export async function putLines(stream: string, lines: readonly string[], explicitHashKey?: string): Promise<void> {
  for (let i = 0; i < lines.length; i += 500) {
    const batch = lines.slice(i, i + 500);
    const r = await kinesis().send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: batch.map((l, j) => ({
          Data: Buffer.from(l, 'utf8'),
          PartitionKey: String(i + j),
          ...(explicitHashKey !== undefined ? { ExplicitHashKey: explicitHashKey } : {}),
        })),
      }),
    );
    if (r.FailedRecordCount) throw new Error(`${r.FailedRecordCount} records were not put`);
  }
}

/** Splits an open shard in the middle of its hash key range; returns the children. */
export async function splitShard(stream: string, shardId: string): Promise<string[]> {
  const s = (await listShards(stream)).find((x) => x.ShardId === shardId)!;
  const lo = BigInt(s.HashKeyRange!.StartingHashKey!);
  const hi = BigInt(s.HashKeyRange!.EndingHashKey!);
  await kinesis().send(new SplitShardCommand({ StreamName: stream, ShardToSplit: shardId, NewStartingHashKey: String((lo + hi) / 2n + 1n) }));
  await waitActive(stream);
  return (await listShards(stream)).filter((x) => x.ParentShardId === shardId).map((x) => x.ShardId!);
}

export async function mergeShards(stream: string, a: string, b: string): Promise<string> {
  await kinesis().send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: a, AdjacentShardToMerge: b }));
  await waitActive(stream);
  return (await listShards(stream)).find((x) => x.ParentShardId === a && x.AdjacentParentShardId === b)!.ShardId!;
}

/** The middle of a shard's hash key range (to put records into that shard). */
export async function hashKeyIn(stream: string, shardId: string): Promise<string> {
  const s = (await listShards(stream)).find((x) => x.ShardId === shardId)!;
  return String((BigInt(s.HashKeyRange!.StartingHashKey!) + BigInt(s.HashKeyRange!.EndingHashKey!)) / 2n);
}
