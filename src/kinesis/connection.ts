/**
 * How to reach Kinesis and the lease table: endpoints with their scheme, a region, credentials.
 * Every AWS client of the Kinesis input is made here, with a NodeHttpHandler: on Node 20 the
 * SDK's default handler fails against a local plain-HTTP endpoint (kinesalite, dynalite).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { KinesisConfigError } from './errors.js';

export interface KinesisConnection {
  /** Kinesis endpoint URL, e.g. `https://kinesis.us-east-1.amazonaws.com` or `http://127.0.0.1:4567`. */
  endpointUrl: string;
  regionName: string;
  awsAccessKeyId?: string | undefined;
  awsSecretKey?: string | undefined;
  /** Where the lease table lives; default: AWS's DynamoDB endpoint of the region. */
  dynamoDBEndpoint?: string | undefined;
}

function checkUrl(url: unknown, what: string): string {
  if (typeof url !== 'string' || url.trim() === '') throw new KinesisConfigError(`${what} must be a URL, e.g. https://kinesis.us-east-1.amazonaws.com`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new KinesisConfigError(`${what} "${url}" is not a URL with its scheme (e.g. http://127.0.0.1:4567)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new KinesisConfigError(`${what} "${url}" must be an http:// or https:// URL`);
  }
  return url.replace(/\/+$/, '');
}

/** Checks a connection's fields; returns it with the URLs normalised. */
export function checkConnection(c: KinesisConnection): KinesisConnection {
  const endpointUrl = checkUrl(c.endpointUrl, 'endpointUrl');
  if (typeof c.regionName !== 'string' || c.regionName.trim() === '') {
    throw new KinesisConfigError('regionName must be an AWS region name, e.g. us-east-1');
  }
  if ((c.awsAccessKeyId === undefined) !== (c.awsSecretKey === undefined)) {
    throw new KinesisConfigError('give both awsAccessKeyId and awsSecretKey, or neither (the SDK then finds credentials itself)');
  }
  return {
    ...c,
    endpointUrl,
    ...(c.dynamoDBEndpoint !== undefined ? { dynamoDBEndpoint: checkUrl(c.dynamoDBEndpoint, 'dynamoDBEndpoint') } : {}),
  };
}

function isLoopback(url: string): boolean {
  const h = new URL(url).hostname;
  return h === 'localhost' || h === '::1' || h === '[::1]' || h.startsWith('127.');
}

/**
 * Explicit keys when given; for a local endpoint (kinesalite, dynalite take any) placeholder
 * keys; otherwise the SDK's own chain (environment, profile, instance role).
 */
function credentials(c: KinesisConnection, url: string): { accessKeyId: string; secretAccessKey: string } | undefined {
  if (c.awsAccessKeyId !== undefined && c.awsSecretKey !== undefined) {
    return { accessKeyId: c.awsAccessKeyId, secretAccessKey: c.awsSecretKey };
  }
  return isLoopback(url) ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined;
}

const handler = (): NodeHttpHandler => new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 30_000, throwOnRequestTimeout: true });

export function kinesisClient(c: KinesisConnection): KinesisClient {
  const creds = credentials(c, c.endpointUrl);
  return new KinesisClient({
    endpoint: c.endpointUrl,
    region: c.regionName,
    requestHandler: handler(),
    maxAttempts: 1, // our own loops retry, with back-off, the per-shard read interval and a deadline
    ...(creds ? { credentials: creds } : {}),
  });
}

/** The lease table's endpoint: `dynamoDBEndpoint`, else AWS's for the region. */
export function dynamoDBEndpointOf(c: KinesisConnection): string {
  return c.dynamoDBEndpoint ?? `https://dynamodb.${c.regionName}.amazonaws.com`;
}

export function dynamoDBClient(c: KinesisConnection): DynamoDBClient {
  const url = dynamoDBEndpointOf(c);
  const creds = credentials(c, url);
  return new DynamoDBClient({
    endpoint: url,
    region: c.regionName,
    requestHandler: handler(),
    maxAttempts: 1,
    ...(creds ? { credentials: creds } : {}),
  });
}
