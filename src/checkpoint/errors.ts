/**
 * Errors of the checkpoint store. Every failure the store reports is a `CheckpointError`
 * with a stable `code` and a message that names the checkpoint directory.
 */

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
  | 'CLOSED';

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
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== null && typeof e === 'object' && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/** The innermost message of an error chain: LevelDB's own text rather than abstract-level's wrapper. */
export function innermostMessage(err: unknown): string {
  let msg = err instanceof Error ? err.message : String(err);
  let e: unknown = err;
  for (let depth = 0; e !== null && typeof e === 'object' && depth < 8; depth++) {
    if (e instanceof Error && e.message) msg = e.message;
    e = (e as { cause?: unknown }).cause;
  }
  return msg;
}
