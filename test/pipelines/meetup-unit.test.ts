/**
 * The meetup RSVP pipeline without Kafka or PostgreSQL: the parser, the generator and the job's
 * streams on a queueStream (unit tests; the integration tests are meetup-job.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { ManualClock, StreamingContext } from '../../src/index.js';
import { generateMeetupEvents } from '../../src/apps/meetup/generate.js';
import { defineMeetupGraph, type MeetupBatch } from '../../src/apps/meetup/graph.js';
import { parseRsvp, type RsvpKey } from '../../src/apps/meetup/schema.js';
import { storable } from '../../src/apps/text.js';
import { pgQuery } from '../helpers/postgres.js';

const valid = {
  venue: { venue_name: 'Zilker Park', lon: -97.742989, lat: 30.26759, venue_id: 1 },
  visibility: 'public',
  response: 'yes',
  guests: 0,
  member: { member_id: 1, member_name: 'Ana' },
  rsvp_id: 1890,
  mtime: 1628717400000,
  event: { event_name: 'Nationals teams training', event_id: 'e1', time: 1629054000000, event_url: 'https://www.meetup.com/x/events/e1/' },
  group: {
    group_topics: [{ urlkey: 'kayaking', topic_name: 'Kayaking' }],
    group_city: 'Austin',
    group_country: 'us',
    group_id: 7,
    group_name: 'Austin Kayak Polo Club',
    group_lon: -97.76,
    group_urlname: 'austin-kayak',
    group_state: 'TX',
    group_lat: 30.24,
  },
};

describe('parseRsvp', () => {
  it('reduces an event to the seed’s grouping columns (numbers or numeric strings; NULL for what may be missing)', () => {
    expect(parseRsvp(JSON.stringify(valid))).toEqual({
      ok: true,
      key: [
        'Nationals teams training',
        'https://www.meetup.com/x/events/e1/',
        '1629054000000',
        'Austin Kayak Polo Club',
        'us',
        'TX',
        'Austin',
        30.24,
        -97.76,
        30.26759,
        -97.742989,
        'yes',
      ],
    });
    const { venue: _v, ...noVenue } = valid;
    const { group_state: _s, ...noState } = valid.group;
    const r = parseRsvp(
      JSON.stringify({ ...noVenue, group: { ...noState, group_lat: '51.44' }, event: { ...valid.event, time: '1629140400000' } }),
    );
    expect(r.ok && r.key).toEqual([
      'Nationals teams training',
      'https://www.meetup.com/x/events/e1/',
      '1629140400000',
      'Austin Kayak Polo Club',
      'us',
      null,
      'Austin',
      51.44,
      -97.76,
      null,
      null,
      'yes',
    ]);
  });

  it.each([
    ['{"venue": ', 'invalid JSON', /^invalid JSON: /],
    ['', 'invalid JSON', /^invalid JSON/],
    ['[1, 2]', 'not a JSON object', /^not a JSON object$/],
    ['null', 'not a JSON object', /^not a JSON object$/],
    [JSON.stringify({ ...valid, event: undefined }), 'missing field', /^missing field event$/],
    [JSON.stringify({ ...valid, event: { ...valid.event, event_url: null } }), 'missing field', /^missing field event\.event_url$/],
    [JSON.stringify({ ...valid, group: { ...valid.group, group_city: undefined } }), 'missing field', /^missing field group\.group_city$/],
    [JSON.stringify({ ...valid, rsvp_id: undefined }), 'missing field', /^missing field rsvp_id$/],
    [JSON.stringify({ ...valid, response: 'maybe' }), 'invalid response', /^invalid response "maybe"$/],
    [JSON.stringify({ ...valid, group: { ...valid.group, group_lat: 'north' } }), 'wrong type', /group\.group_lat is not a number: "north"/],
    [JSON.stringify({ ...valid, event: { ...valid.event, time: { $date: 1 } } }), 'wrong type', /event\.time is not a number/],
    [JSON.stringify({ ...valid, event: 'x' }), 'wrong type', /field event is not an object/],
    [JSON.stringify({ ...valid, venue: { lat: 'x' } }), 'wrong type', /venue\.lat is not a number/],
  ])('malformed %#: %s → %s', (value, category, reason) => {
    const r = parseRsvp(value);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.category).toBe(category);
      expect(r.reason).toMatch(reason);
    }
  });
});

describe('text PostgreSQL cannot store', () => {
  it('U+0000 in a field makes the event a dead letter; a lone surrogate is read as U+FFFD, so keys that are one row in PostgreSQL are one key', () => {
    const nul = parseRsvp(JSON.stringify({ ...valid, event: { ...valid.event, event_name: 'a\u0000b' } }));
    expect(nul).toEqual({ ok: false, category: 'invalid text', reason: 'field event.event_name holds U+0000, which PostgreSQL text cannot store' });
    // group_state too, which may be absent.
    expect(parseRsvp(JSON.stringify({ ...valid, group: { ...valid.group, group_state: 'T\u0000X' } }))).toMatchObject({ ok: false, category: 'invalid text' });
    expect(parseRsvp(JSON.stringify({ ...valid, group: { ...valid.group, group_state: 'TX\ud800' } }))).toEqual(
      parseRsvp(JSON.stringify({ ...valid, group: { ...valid.group, group_state: 'TX\ufffd' } })),
    );
    const lone = parseRsvp(JSON.stringify({ ...valid, event: { ...valid.event, event_name: 'Lone \ud800 surrogate' } }));
    const replaced = parseRsvp(JSON.stringify({ ...valid, event: { ...valid.event, event_name: 'Lone \ufffd surrogate' } }));
    expect(lone).toEqual(replaced);
  });

  it('a dead letter keeps what came as text PostgreSQL stores: U+0000 as the escape \\u0000, lone surrogates as U+FFFD', async () => {
    const payload = storable('{"x":"a\u0000b"} \ud800');
    expect(payload).toBe('{"x":"a\\u0000b"} \ufffd');
    expect((await pgQuery<{ t: string }>('SELECT $1::text AS t', [payload])).rows[0]!.t).toBe(payload);
    await expect(pgQuery('SELECT $1::text AS t', ['a\u0000b'])).rejects.toThrow(/0x00/);
  });
});

describe('generateMeetupEvents', () => {
  it('is reproducible, has the seed’s nested schema, and damages about the asked fraction', () => {
    const a = [...generateMeetupEvents({ count: 2000, malformed: 0.1, seed: 7 })];
    const b = [...generateMeetupEvents({ count: 2000, malformed: 0.1, seed: 7 })];
    expect(a).toEqual(b);
    const bad = a.filter((e) => !e.truth.ok).length;
    expect(bad).toBeGreaterThan(140);
    expect(bad).toBeLessThan(260);
    const doc = JSON.parse(a.find((e) => e.truth.ok)!.value);
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['visibility', 'response', 'guests', 'member', 'rsvp_id', 'mtime', 'event', 'group']));
    expect(Object.keys(doc.event).sort()).toEqual(['event_id', 'event_name', 'event_url', 'time']);
    expect(Object.keys(doc.group)).toEqual(
      expect.arrayContaining(['group_topics', 'group_city', 'group_country', 'group_id', 'group_name', 'group_lon', 'group_urlname', 'group_lat']),
    );
    // Some keys have NULLs (no venue; no state outside the US and Canada), and counts repeat.
    const keys = a.flatMap((e) => (e.truth.ok ? [e.truth.key] : []));
    expect(keys.some((k) => k[5] === null)).toBe(true);
    expect(keys.some((k) => k[9] === null)).toBe(true);
    expect(new Set(keys.map((k) => JSON.stringify(k))).size).toBeLessThan(keys.length / 2);
    // Every damage kind shows up.
    expect(new Set(a.flatMap((e) => (e.truth.ok ? [] : [e.truth.category]))).size).toBe(5);
  });

  it('the parser agrees with the generator’s truth on every event', () => {
    for (const e of generateMeetupEvents({ count: 5000, malformed: 0.2, seed: 3 })) {
      const r = parseRsvp(e.value);
      if (e.truth.ok) expect(r).toEqual({ ok: true, key: e.truth.key });
      else expect(r.ok ? 'ok' : r.category, e.value).toBe(e.truth.category);
    }
  });
});

async function runGraph(
  batches: Array<Array<[string | null, string]>>,
  initial: Array<[RsvpKey, number]> = [],
): Promise<MeetupBatch[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dstreams-meetup-unit-'));
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock, checkpointDir: dir });
  const out: MeetupBatch[] = [];
  defineMeetupGraph(ssc.queueStream(batches), initial, async (b) => void out.push(b));
  try {
    await ssc.start();
    await clock.advance(batches.length * 1000);
  } finally {
    await ssc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

describe('defineMeetupGraph (queueStream)', () => {
  const ev = (response: string, name = valid.event.event_name) =>
    JSON.stringify({ ...valid, response, event: { ...valid.event, event_name: name } });
  const key = (response: string, name = valid.event.event_name) => {
    const r = parseRsvp(ev(response, name));
    if (!r.ok) throw new Error('bad fixture');
    return r.key;
  };

  it('emits per batch only the keys it changed, with running totals, and the batch’s dead letters', async () => {
    const out = await runGraph(
      [
        [['1', ev('yes')], ['2', ev('yes')], ['3', ev('no')], [null, '{oops']],
        [['4', ev('yes')], ['5', ev('yes', 'Other')]],
        [],
        [['6', ev('maybe')]],
      ],
      [[key('no'), 10]],
    );
    expect(out.map((b) => b.time)).toEqual([1000, 2000, 3000, 4000]);
    const sorted = (b: MeetupBatch) => [...b.totals].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    expect(sorted(out[0]!)).toEqual([
      [key('no'), 11],
      [key('yes'), 2],
    ]);
    expect(out[0]!.valid).toBe(3);
    expect(out[0]!.deadLetters).toEqual([{ category: 'invalid JSON', reason: expect.stringMatching(/^invalid JSON/), key: null, payload: '{oops' }]);
    expect(sorted(out[1]!)).toEqual([
      [key('yes'), 3],
      [key('yes', 'Other'), 1],
    ]);
    expect(out[2]).toEqual({ time: 3000, totals: [], deadLetters: [], valid: 0, fullState: expect.any(Function) });
    // The whole state after a batch, for a rebuild of the table: every key, not only the changed ones.
    const full = (b: MeetupBatch) => b.fullState().sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    expect(full(out[2]!)).toEqual(sorted({ ...out[2]!, totals: [[key('no'), 11], [key('yes'), 3], [key('yes', 'Other'), 1]] }));
    expect(out[3]!.deadLetters.map((d) => [d.category, d.key])).toEqual([['invalid response', '6']]);
  });

  it('a dead letter holds no U+0000 anywhere, though JSON.parse quotes the payload in its reason', async () => {
    const out = await runGraph([[['k\u0000', '{"event": \u0000}'], [null, '\u0000']]]);
    expect(out[0]!.deadLetters).toHaveLength(2);
    for (const d of out[0]!.deadLetters) expect([d.reason, d.key ?? '', d.payload].join('')).not.toContain('\u0000');
    expect(out[0]!.deadLetters[0]!.key).toBe('k\\u0000');
    expect(out[0]!.deadLetters[0]!.payload).toBe('{"event": \\u0000}');
  });

  it('the last totals of each key equal the generator’s aggregate', async () => {
    const events = [...generateMeetupEvents({ count: 3000, malformed: 0.05, seed: 11 })];
    const batches: Array<Array<[string | null, string]>> = [];
    for (let i = 0; i < events.length; i += 400) batches.push(events.slice(i, i + 400).map((e) => [e.key, e.value]));
    const out = await runGraph(batches);
    const table = new Map<string, number>();
    for (const b of out) for (const [k, n] of b.totals) table.set(JSON.stringify(k), n);
    const expected = new Map<string, number>();
    for (const e of events) if (e.truth.ok) expected.set(JSON.stringify(e.truth.key), (expected.get(JSON.stringify(e.truth.key)) ?? 0) + 1);
    expect(table).toEqual(expected);
    expect(out.reduce((n, b) => n + b.deadLetters.length, 0)).toBe(events.filter((e) => !e.truth.ok).length);
    expect(out.reduce((n, b) => n + b.valid, 0)).toBe(events.filter((e) => e.truth.ok).length);
  });
});
