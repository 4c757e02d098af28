/** Errors of the Kinesis input. Messages name the stream and the endpoint they concern. */

/** A bad argument (no stream name, an endpoint without a scheme, an unknown position…). */
export class KinesisConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KinesisConfigError';
  }
}

/** Kinesis or the lease table could not do what was asked (missing stream, unreachable endpoint, data trimmed…). */
export class KinesisStreamError extends Error {
  override readonly cause: unknown;
  /** 'stream': the stream itself does not exist (a call on the stream, not on a shard, was refused so). */
  readonly missing: 'stream' | undefined;
  constructor(message: string, cause?: unknown, missing?: 'stream') {
    super(message);
    this.name = 'KinesisStreamError';
    this.cause = cause;
    this.missing = missing;
  }
}

/** The AWS error name (`ResourceNotFoundException`, …) or a Node socket code (`ECONNREFUSED`). */
export function awsErrorName(e: unknown): string {
  const x = e as { name?: unknown; code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof x?.code === 'string') return x.code;
  if (typeof x?.cause?.code === 'string') return x.cause.code;
  return typeof x?.name === 'string' ? x.name : 'Error';
}

/** Why a call failed, in a few words: `ECONNREFUSED`, `ResourceNotFoundException: Stream s …`. */
export function describeAwsError(e: unknown): string {
  const name = awsErrorName(e);
  const msg = e instanceof Error ? e.message : String(e);
  return msg && !msg.startsWith(name) ? `${name}: ${msg}` : msg || name;
}

/** Errors a retry may fix: the endpoint down or slow, throttling, a server error. */
export function isTransient(e: unknown): boolean {
  const name = awsErrorName(e);
  if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|TimeoutError|RequestTimeout)/.test(name)) {
    return true;
  }
  if (/Throttl|LimitExceeded|ProvisionedThroughputExceeded|InternalFailure|ServiceUnavailable|KMSThrottling/.test(name)) return true;
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}
