/**
 * Text as PostgreSQL will store it. A `text` column cannot hold U+0000 (the batch fails with
 * 22021, and fails again on every restart: one record would stop the job for good), and a lone
 * UTF-16 surrogate is stored as U+FFFD, so two strings JavaScript tells apart could be one row.
 */

/** `s` with lone surrogates as U+FFFD (String.prototype.toWellFormed), as PostgreSQL will hold it. */
export function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** True when `s` holds U+0000, which a PostgreSQL text column cannot store. */
export function holdsNul(s: string): boolean {
  return s.includes('\u0000');
}

/** Any text made storable, for a dead letter that must keep whatever came: U+0000 written as the escape `\u0000`. */
export function storable(s: string): string {
  return wellFormed(s.replace(/\u0000/g, '\\u0000'));
}
