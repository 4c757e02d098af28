/** Spark's interval strings (`'10 minutes'`, `'1 second'`, `'1 hour 30 minutes'`, `'500 milliseconds'`) in ms. */
const UNITS: Record<string, number> = {
  microsecond: 0.001,
  millisecond: 1,
  ms: 1,
  second: 1000,
  sec: 1000,
  s: 1000,
  minute: 60_000,
  min: 60_000,
  hour: 3_600_000,
  h: 3_600_000,
  day: 86_400_000,
  d: 86_400_000,
  week: 604_800_000,
  // Spark's watermark delay counts a month as 31 days.
  month: 2_678_400_000,
  year: 32_140_800_000,
};

export function parseInterval(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new RangeError(`an interval must be a non-negative number of ms, got ${text}`);
    return text;
  }
  const s = String(text).trim().toLowerCase().replace(/^interval\s+/, '');
  const re = /(\d+(?:\.\d+)?)\s*([a-z]+)/g;
  let total = 0;
  let matched = '';
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const unit = m[2]!.replace(/s$/, '');
    const ms = UNITS[unit] ?? UNITS[m[2]!];
    if (ms === undefined) throw new SyntaxError(`cannot parse the interval '${text}': unknown unit '${m[2]}'`);
    total += Number(m[1]) * ms;
    matched += m[0];
  }
  if (matched.replace(/\s/g, '') !== s.replace(/\s/g, '') || matched === '') {
    throw new SyntaxError(`cannot parse the interval '${text}' (expected e.g. '10 minutes', '1 second')`);
  }
  return total;
}
