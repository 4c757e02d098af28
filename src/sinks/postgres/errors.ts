import { causeChain } from '../../util/causeChain.js';
import { quoteIdent } from './identifiers.js';

/**
 * Error classification for the PostgreSQL sink: which failures are worth retrying (the
 * server or the network is away for a while) and which are permanent (the SQL or the data
 * is wrong, and retrying would only delay the failure).
 */

/** Node.js socket / DNS error codes that mean "the server is unreachable right now". */
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTCONN',
]);

/** SQLSTATEs (outside class 08) that are transient. */
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown (server shutting down, or pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (server starting up / in recovery)
  '53300', // too_many_connections
]);

/** Messages node-postgres uses for a connection that went away (these errors have no code). */
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /connection timeout/i,
  /timeout expired/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /client was closed and is not queryable/i,
  /server closed the connection unexpectedly/i,
  /terminating connection/i,
];

/** The fields node-postgres puts on a server error (pg-protocol's DatabaseError). */
export interface PgErrorFields {
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
  position?: string;
  where?: string;
}

/** The SQLSTATE of a server error (5 characters), if the error or its cause has one. */
export function sqlStateOf(err: unknown): string | undefined {
  for (const e of causeChain(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * True when retrying the whole transaction later may succeed: the server is unreachable,
 * the connection dropped, the server is shutting down or starting up, or the transaction
 * lost a serialization / deadlock race.
 */
export function isTransientError(err: unknown): boolean {
  for (const e of causeChain(err)) {
    if (e instanceof PostgresSinkError) return e.retryable;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (TRANSIENT_NODE_CODES.has(code)) return true;
      if (/^[0-9A-Z]{5}$/.test(code)) {
        return code.startsWith('08') || TRANSIENT_SQLSTATES.has(code);
      }
    }
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && TRANSIENT_MESSAGES.some((re) => re.test(message))) return true;
  }
  return false;
}

export interface PostgresSinkErrorInfo {
  sinkId: string;
  /** The quoted, qualified table name, e.g. `"s"."t"`. */
  table: string;
  columns: readonly string[];
  batchTime?: number | undefined;
  /** SQLSTATE of the underlying server error, or the Node.js error code. */
  sqlState?: string | undefined;
  retryable: boolean;
  attempts: number;
  cause: unknown;
}

/** The error every failing sink operation rejects with. */
export class PostgresSinkError extends Error {
  readonly sinkId: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly batchTime: number | undefined;
  readonly sqlState: string | undefined;
  /** True when the failure was transient but the retry budget ran out. */
  readonly retryable: boolean;
  readonly attempts: number;

  constructor(what: string, info: PostgresSinkErrorInfo) {
    const cause = info.cause as PgErrorFields | undefined;
    const code = info.sqlState ?? sqlStateOf(info.cause) ?? (cause as { code?: string } | undefined)?.code;
    const parts = [
      `PostgresSink "${info.sinkId}": ${what}`,
      info.batchTime !== undefined ? ` (batch ${info.batchTime})` : '',
      ` on table ${info.table} (columns ${info.columns.map(quoteIdent).join(', ')})`,
      info.retryable ? ` gave up after ${info.attempts} attempt(s)` : ' failed',
      `: ${describeCause(info.cause)}`,
      code ? ` [SQLSTATE ${code}]` : '',
    ];
    super(parts.join(''), { cause: info.cause });
    this.name = 'PostgresSinkError';
    this.sinkId = info.sinkId;
    this.table = info.table;
    this.columns = info.columns;
    this.batchTime = info.batchTime;
    this.sqlState = code;
    this.retryable = info.retryable;
    this.attempts = info.attempts;
  }
}

function describeCause(err: unknown): string {
  if (err == null || typeof err !== 'object') return String(err);
  const e = err as PgErrorFields & { message?: string };
  let msg = e.message;
  if (!msg && err instanceof AggregateError) msg = err.errors.map((x) => String(x?.message ?? x)).join('; ');
  if (!msg) msg = String(err);
  const extra: string[] = [];
  if (e.table) extra.push(`table ${e.schema ? e.schema + '.' : ''}${e.table}`);
  if (e.column) extra.push(`column ${e.column}`);
  if (e.constraint) extra.push(`constraint ${e.constraint}`);
  if (e.detail) extra.push(`detail: ${e.detail}`);
  if (e.hint) extra.push(`hint: ${e.hint}`);
  if (e.where) extra.push(`where: ${e.where}`);
  return extra.length ? `${msg} (${extra.join('; ')})` : msg;
}
