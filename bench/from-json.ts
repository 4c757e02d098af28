/**
 * from_json's parse, µs a document: seed 004's Meetup RSVPs (generated, src/apps/meetup) through
 * the seed's schema, a wide document through a two-field schema, and JSON.parse of the same text
 * alone (a floor: it neither checks Spark's rules nor converts). Prints figures and ratios, never
 * fails.
 *
 *   npx tsx bench/from-json.ts [documents=50000] [rounds=5]
 */
import { performance } from 'node:perf_hooks';
import { generateMeetupEvents } from '../src/apps/meetup/generate.js';
import { parseJsonRow } from '../src/sql/json.js';
import { StructType, toSchema } from '../src/sql/types.js';
import { meetupSchema } from '../examples/structured/meetup-query.js';

const n = Number(process.argv[2] ?? 50_000);
const rounds = Number(process.argv[3] ?? 5);

const meetup = [...generateMeetupEvents({ count: n })].map((e) => e.value);
const wide = Array.from({ length: n }, (_, i) =>
  JSON.stringify({
    id: i,
    user: { name: `user${i}`, followers: i * 7, bio: 'x'.repeat(80), tags: ['a', 'b', 'c'] },
    text: `tweet number ${i} with some words in it`,
    entities: { hashtags: [{ text: 'h', indices: [1, 2] }], urls: [], mentions: [{ id: i, name: 'm' }] },
    lang: 'en',
    retweets: i % 100,
    place: { country: 'NL', full_name: 'Amsterdam', bbox: [[4.7, 52.2], [5.1, 52.5]] },
  }),
);
const narrow: StructType = toSchema('id BIGINT, lang STRING');

function time(docs: string[], f: (s: string) => unknown): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    let sink = 0;
    for (const d of docs) if (f(d) !== null) sink++;
    const us = ((performance.now() - t0) * 1000) / docs.length;
    if (sink !== docs.length) throw new Error('a document gave null');
    best = Math.min(best, us);
  }
  return best;
}

const schema = meetupSchema();
for (const [name, docs, s] of [
  ['meetup RSVPs, seed 004 schema', meetup, schema],
  ['wide document, 2-field schema', wide, narrow],
] as const) {
  const ours = time(docs, (d) => parseJsonRow(d, s));
  const floor = time(docs, (d) => JSON.parse(d));
  console.log(`${name}: from_json ${ours.toFixed(2)} µs a document, JSON.parse alone ${floor.toFixed(2)} µs; from_json ÷ JSON.parse ${(ours / floor).toFixed(2)}`);
}
