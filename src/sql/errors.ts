/** Spark's exception names, so messages read as Spark's do. */

/** A query that cannot be analysed: unknown column, unsupported operation, output mode not allowed. */
export class AnalysisException extends Error {
  override name = 'AnalysisException';
}

/** A bad argument value (Spark's java.lang.IllegalArgumentException): an interval string that does not parse, a negative delay. */
export class IllegalArgumentException extends Error {
  override name = 'IllegalArgumentException';
}

/** Bad SQL text: names the token and its position. */
export class ParseException extends Error {
  override name = 'ParseException';
  constructor(
    message: string,
    readonly position: number,
    readonly text: string,
  ) {
    super(message);
  }
}

/** A running query failed; `cause` is what failed (a sink, a user function, a source). */
export class StreamingQueryException extends Error {
  override name = 'StreamingQueryException';
}
