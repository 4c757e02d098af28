/** A duration in milliseconds. Every argument typed `Duration` accepts a plain number. */
export type Duration = number;

export const Milliseconds = (n: number): Duration => n;
export const Seconds = (n: number): Duration => n * 1000;
export const Minutes = (n: number): Duration => n * 60_000;

/** Throws a clear error unless `ms` is a positive whole number of milliseconds. */
export function checkDuration(ms: unknown, what: string): Duration {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || !Number.isInteger(ms)) {
    const got = typeof ms === 'string' ? `the string '${ms}'` : String(ms);
    throw new RangeError(`${what} must be a positive whole number of milliseconds, got ${got}`);
  }
  return ms;
}

/** Throws unless `d` is a whole multiple of `unit` (window and slide durations against a parent's slide). */
export function checkMultiple(d: Duration, unit: Duration, what: string, unitName: string): void {
  if (d % unit !== 0) {
    throw new RangeError(`${what} (${d} ms) must be a multiple of ${unitName} (${unit} ms)`);
  }
}
