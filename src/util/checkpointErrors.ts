/**
 * Errors of the checkpoint store. Every failure the store reports is a `CheckpointError`
 * with a stable `code` and a message that names the checkpoint directory.
 */
import { causeChain } from './causeChain.js';

export type CheckpointErrorCode =
  /** The directory (or a parent) cannot be created or written. */
  | 'DIR_UNWRITABLE'
  /** The path exists but is a file, not a directory. */
  | 'NOT_A_DIRECTORY'
  /** The directory is non-empty and holds something other than a dstreams checkpoint store. */
  | 'NOT_A_STORE'
  /** The store was written by an incompatible version of the format. */
  | 'INCOMPATIBLE_VERSION'
  /** Another open store (this process or another one) holds the directory's lock. */
  | 'LOCKED'
  /** The store's files are damaged (truncated, overwritten, missing) and cannot be read. */
  | 'CORRUPT'
  /** An I/O error LevelDB reported that is not known to be corruption. */
  | 'IO_ERROR'
  /** A value of a commit cannot be serialised (a function, a symbol, …); nothing was written. */
  | 'UNSERIALIZABLE'
  /** A key, stream id, slice time or blob name that the store does not accept. */
  | 'INVALID_ARGUMENT'
  /** The store has been closed. */
  | 'CLOSED'
  /** The job's graph differs from the one the checkpoint was written by, in a way it cannot resume from. */
  | 'GRAPH_MISMATCH';

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  readonly code: CheckpointErrorCode;
  /** The checkpoint directory the error is about. */
  readonly dir: string;

  constructor(code: CheckpointErrorCode, dir: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.dir = dir;
  }
}

/** The codes of an error and of its chain of causes (abstract-level wraps LevelDB's errors). */
export function levelCodes(err: unknown): string[] {
  return causeChain(err)
    .map((e) => (e as { code?: unknown } | undefined)?.code)
    .filter((c): c is string => typeof c === 'string');
}

/** The innermost message of an error chain: LevelDB's own text rather than abstract-level's wrapper. */
export function innermostMessage(err: unknown): string {
  let msg = err instanceof Error ? err.message : String(err);
  for (const e of causeChain(err)) if (e instanceof Error && e.message) msg = e.message;
  return msg;
}

export const fail = (code: CheckpointErrorCode, dir: string, message: string, cause?: unknown): CheckpointError =>
  new CheckpointError(code, dir, message, cause === undefined ? undefined : { cause });

export function corrupt(dir: string, detail: string, cause?: unknown): CheckpointError {
  return fail(
    'CORRUPT',
    dir,
    `checkpoint directory ${dir} holds a damaged checkpoint store that cannot be read: ${detail}. ` +
      `It was left as it is: restore it from a backup, or delete it to start fresh`,
    cause,
  );
}

export function mapOpenError(dir: string, err: unknown): CheckpointError {
  const codes = levelCodes(err);
  const msg = innermostMessage(err);
  if (codes.includes('LEVEL_LOCKED')) {
    return fail(
      'LOCKED',
      dir,
      `checkpoint directory ${dir} is already in use by another StreamingContext ` +
        `(its LevelDB lock is held by this or another process): ${msg}`,
      err,
    );
  }
  if (codes.includes('LEVEL_CORRUPTION')) return corrupt(dir, msg, err);
  if (codes.includes('LEVEL_IO_ERROR')) {
    if (/No such file or directory/i.test(msg)) return corrupt(dir, `a file of the store is missing: ${msg}`, err);
    if (/Permission denied|Read-only/i.test(msg)) {
      return fail('DIR_UNWRITABLE', dir, `checkpoint directory ${dir} is not writable: ${msg}`, err);
    }
    return fail('IO_ERROR', dir, `checkpoint directory ${dir} cannot be opened: ${msg}`, err);
  }
  return fail('IO_ERROR', dir, `checkpoint directory ${dir} cannot be opened: ${msg}`, err);
}

export function mapReadError(dir: string, err: unknown, what = 'read'): CheckpointError {
  if (err instanceof CheckpointError) return err;
  const codes = levelCodes(err);
  const msg = innermostMessage(err);
  if (codes.includes('LEVEL_DATABASE_NOT_OPEN') && !codes.some((c) => c !== 'LEVEL_DATABASE_NOT_OPEN')) {
    return fail('CLOSED', dir, `checkpoint store ${dir} is closed`, err);
  }
  if (codes.includes('LEVEL_CORRUPTION')) return corrupt(dir, msg, err);
  if (codes.includes('LEVEL_IO_ERROR') && /No such file or directory/i.test(msg)) {
    return corrupt(dir, `a file of the store is missing: ${msg}`, err);
  }
  return fail('IO_ERROR', dir, `checkpoint directory ${dir}: ${what} failed: ${msg}`, err);
}
