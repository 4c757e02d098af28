// Helpers of the UI and package tests.
import { freePort } from '../helpers/ports.js';

/** A free TCP port below the ephemeral range (32768+): the one helper every test uses (test/helpers/ports.ts). */
export const freePortBelow = (): Promise<number> => freePort();

/** Fetches JSON, failing with the body when the status is not 200. */
export async function getJson<T = unknown>(url: string): Promise<T> {
  const r = await fetch(url);
  const text = await r.text();
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Metric samples by `name{labels}` (labels as written), e.g. `dstreams_records_total{app="x"}`. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
