/**
 * The KCL's lease table in DynamoDB (named by the application, created when missing): one item
 * per shard, with the KCL's attribute names —
 *   leaseKey        the shard id (hash key)
 *   leaseOwner      the worker holding the lease (absent: free)
 *   leaseCounter    bumped by every renewal and change of owner: a lease whose counter has not
 *                   moved for the lease timeout belongs to a worker that is gone
 *   checkpoint      where the shard's consumers have got to: a sequence number (every record up to
 *                   it is stored), TRIM_HORIZON / LATEST / AT_TIMESTAMP:<ms> before any, or
 *                   SHARD_END once a closed shard has been read to its end
 *   ownerSwitchesSinceCheckpoint, parentShardId (string set)
 *   streamName      the stream the lease belongs to (dstreams' own: a table holding another
 *                   stream's leases is refused, where keys by shard id alone would mix them)
 * Every change is a conditional write (on the counter, or on the owner), so two workers never
 * both believe they hold a lease: the loser's write fails and it lets the lease go.
 * Leases of finished shards are deleted once they are no longer needed (LeaseCoordinator), so the
 * table holds about one lease per open shard, not one per shard the stream ever had.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { sleep } from '../util/sleep.js';
import { dynamoDBClient, dynamoDBEndpointOf, type KinesisConnection } from './connection.js';
import { awsErrorName, KinesisConfigError, KinesisStreamError } from './errors.js';
import { withRetry } from './retry.js';

export const SHARD_END = 'SHARD_END';

export interface Lease {
  leaseKey: string;
  leaseOwner: string | undefined;
  leaseCounter: number;
  checkpoint: string;
  ownerSwitchesSinceCheckpoint: number;
  parentShardIds: string[];
}

function toLease(item: Record<string, AttributeValue>): Lease {
  return {
    leaseKey: item.leaseKey?.S ?? '',
    leaseOwner: item.leaseOwner?.S,
    leaseCounter: Number(item.leaseCounter?.N ?? 0),
    checkpoint: item.checkpoint?.S ?? 'TRIM_HORIZON',
    ownerSwitchesSinceCheckpoint: Number(item.ownerSwitchesSinceCheckpoint?.N ?? 0),
    parentShardIds: item.parentShardId?.SS ?? [],
  };
}

const isConditionFailed = (e: unknown): boolean =>
  e instanceof ConditionalCheckFailedException || awsErrorName(e) === 'ConditionalCheckFailedException';

export class LeaseTable {
  private readonly db: DynamoDBClient;
  private readonly endpoint: string;

  constructor(
    readonly tableName: string,
    readonly streamName: string,
    connection: KinesisConnection,
    private readonly retryTimeoutMs = 120_000,
  ) {
    this.db = dynamoDBClient(connection);
    this.endpoint = dynamoDBEndpointOf(connection);
  }

  private get where(): string {
    return `lease table "${this.tableName}" (Kinesis stream "${this.streamName}") at ${this.endpoint}`;
  }

  /** Aborted by stopSoon's deadline (or close): every call in flight is cut short, none is retried. */
  private readonly aborter = new AbortController();
  private abortTimer: NodeJS.Timeout | undefined;

  /** Runs `op` (which passes `signal` to the SDK's send) with the transport's retry, cut short once stopping's grace has passed. */
  private call<T>(what: string, op: (signal: AbortSignal) => Promise<T>, onAttempt?: (sentAt: number) => void): Promise<T> {
    const giveUp = (): boolean => this.stopBy !== undefined && Date.now() > this.stopBy;
    const signal = this.aborter.signal;
    return withRetry(() => op(signal), {
      where: this.where,
      what,
      timeoutMs: this.retryTimeoutMs,
      passThrough: isConditionFailed,
      giveUp,
      signal,
      ...(onAttempt ? { onAttempt } : {}),
    });
  }

  /** Set by stopSoon: after it, a failing call is not retried (a stop does not wait out the retry timeout). */
  private stopBy: number | undefined;

  /**
   * The worker is stopping: its last checkpoints and releases are tried for `graceMs` at most;
   * then every call still in flight — a request to a table that does not answer waits up to its
   * 30 s request timeout — is aborted, and later calls fail at once. Leases it could not release
   * expire on their own (the lease timeout), and the next holder reads from the last checkpoint
   * that was written.
   */
  stopSoon(graceMs: number): void {
    const by = Date.now() + graceMs;
    if (this.stopBy !== undefined && this.stopBy <= by) return;
    this.stopBy = by;
    clearTimeout(this.abortTimer);
    this.abortTimer = setTimeout(() => this.aborter.abort(new Error(`the worker is stopping (its ${graceMs} ms for the lease table have passed)`)), graceMs);
    this.abortTimer.unref();
  }

  /** Creates the table when missing and waits until it is ACTIVE. */
  async ensureTable(): Promise<void> {
    const status = async (): Promise<string | undefined> => {
      try {
        const r = await this.call('describing the table', (signal) => this.db.send(new DescribeTableCommand({ TableName: this.tableName }), { abortSignal: signal }));
        return r.Table?.TableStatus;
      } catch (e) {
        if (awsErrorName((e as KinesisStreamError).cause) === 'ResourceNotFoundException') return undefined;
        throw e;
      }
    };
    let s = await status();
    if (s === undefined) {
      try {
        await this.call('creating the table', (signal) =>
          this.db.send(
            new CreateTableCommand({
              TableName: this.tableName,
              AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
              KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
              ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 10 },
            }),
            { abortSignal: signal },
          ),
        );
      } catch (e) {
        // Another worker created it first.
        if (awsErrorName((e as KinesisStreamError).cause) !== 'ResourceInUseException') throw e;
      }
    }
    const t0 = Date.now();
    while ((s = await status()) !== 'ACTIVE') {
      if (Date.now() - t0 > this.retryTimeoutMs) throw new KinesisStreamError(`${this.where}: the table did not become ACTIVE (${s ?? 'missing'})`);
      await sleep(100);
    }
  }

  async list(): Promise<Lease[]> {
    const out: Lease[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const s = start;
      const r = await this.call('reading the leases', (signal) =>
        this.db.send(new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ...(s ? { ExclusiveStartKey: s } : {}) }), { abortSignal: signal }),
      );
      for (const item of r.Items ?? []) {
        const owner = item.streamName?.S;
        if (owner !== undefined && owner !== this.streamName) {
          throw new KinesisConfigError(
            `lease table "${this.tableName}" holds the leases of Kinesis stream "${owner}", not "${this.streamName}": ` +
              'an application name (the lease table) serves one stream; give this one its own',
          );
        }
        out.push(toLease(item));
      }
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** Creates the lease of a shard unless it exists. */
  async create(shardId: string, checkpoint: string, parentShardIds: string[]): Promise<boolean> {
    const item: Record<string, AttributeValue> = {
      leaseKey: { S: shardId },
      leaseCounter: { N: '0' },
      checkpoint: { S: checkpoint },
      ownerSwitchesSinceCheckpoint: { N: '0' },
    };
    if (parentShardIds.length > 0) item.parentShardId = { SS: parentShardIds };
    // Whose lease it is: leases are keyed by shard id alone, so another stream's job under the
    // same application name would take these for its own (see list()).
    item.streamName = { S: this.streamName };
    try {
      await this.call(`creating the lease of ${shardId}`, (signal) =>
        this.db.send(new PutItemCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(leaseKey)' }), { abortSignal: signal }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  private async update(
    what: string,
    lease: Lease,
    update: string,
    condition: string,
    values: Record<string, AttributeValue>,
    onAttempt?: (sentAt: number) => void,
  ): Promise<Lease | undefined> {
    try {
      const r = await this.call(what, (signal) =>
        this.db.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { leaseKey: { S: lease.leaseKey } },
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
          { abortSignal: signal },
        ),
        onAttempt,
      );
      return r.Attributes ? toLease(r.Attributes) : undefined;
    } catch (e) {
      if (isConditionFailed(e)) return undefined;
      throw e;
    }
  }

  /**
   * Takes a lease as last seen (its counter unchanged since): undefined when someone else moved
   * first. `onAttempt` is told when each attempt is sent (the last one is the take that counts).
   */
  take(lease: Lease, owner: string, onAttempt?: (sentAt: number) => void): Promise<Lease | undefined> {
    return this.update(
      `taking the lease of ${lease.leaseKey}`,
      lease,
      'SET leaseOwner = :owner, leaseCounter = leaseCounter + :one, ownerSwitchesSinceCheckpoint = ownerSwitchesSinceCheckpoint + :one',
      'leaseCounter = :counter',
      { ':owner': { S: owner }, ':one': { N: '1' }, ':counter': { N: String(lease.leaseCounter) } },
      onAttempt,
    );
  }

  /** Bumps the counter of a lease still held by `owner` (as last renewed); undefined: lost. `onAttempt` as take's. */
  renew(lease: Lease, owner: string, onAttempt?: (sentAt: number) => void): Promise<Lease | undefined> {
    return this.update(
      `renewing the lease of ${lease.leaseKey}`,
      lease,
      'SET leaseCounter = leaseCounter + :one',
      'leaseOwner = :owner AND leaseCounter = :counter',
      { ':owner': { S: owner }, ':one': { N: '1' }, ':counter': { N: String(lease.leaseCounter) } },
      onAttempt,
    );
  }

  /**
   * Records the shard's checkpoint if `owner` still holds the lease; false: lost, or — for a
   * sequence number — the shard is SHARD_END already. A finished shard never goes back to a
   * sequence number (a late, retried checkpoint would have it taken and read again), as the KCL.
   */
  async checkpoint(lease: Lease, owner: string, checkpoint: string): Promise<boolean> {
    const finishing = checkpoint === SHARD_END;
    const r = await this.update(
      `checkpointing ${lease.leaseKey} at ${checkpoint}`,
      lease,
      'SET checkpoint = :cp, ownerSwitchesSinceCheckpoint = :zero',
      finishing ? 'leaseOwner = :owner' : 'leaseOwner = :owner AND checkpoint <> :end',
      { ':owner': { S: owner }, ':cp': { S: checkpoint }, ':zero': { N: '0' }, ...(finishing ? {} : { ':end': { S: SHARD_END } }) },
    );
    return r !== undefined;
  }

  /** Lets a lease go (on a clean stop), so another worker takes it without waiting for the timeout. */
  async release(lease: Lease, owner: string): Promise<boolean> {
    const r = await this.update(
      `releasing the lease of ${lease.leaseKey}`,
      lease,
      'REMOVE leaseOwner SET leaseCounter = leaseCounter + :one',
      'leaseOwner = :owner',
      { ':owner': { S: owner }, ':one': { N: '1' } },
    );
    return r !== undefined;
  }

  /**
   * Deletes a lease — only while its checkpoint is still `checkpoint` when given (a finished
   * shard's SHARD_END). False: it was gone already, or no longer so.
   */
  async delete(leaseKey: string, checkpoint?: string): Promise<boolean> {
    try {
      await this.call(`deleting the lease of ${leaseKey}`, (signal) =>
        this.db.send(
          new DeleteItemCommand({
            TableName: this.tableName,
            Key: { leaseKey: { S: leaseKey } },
            ...(checkpoint !== undefined
              ? { ConditionExpression: 'checkpoint = :cp', ExpressionAttributeValues: { ':cp': { S: checkpoint } } }
              : { ConditionExpression: 'attribute_exists(leaseKey)' }),
          }),
          { abortSignal: signal },
        ),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  close(): void {
    clearTimeout(this.abortTimer);
    this.aborter.abort(new Error('the lease table client is closed'));
    this.db.destroy();
  }
}
