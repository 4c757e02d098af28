/**
 * The meetup RSVP events of the seed (Meetup's `stream.meetup.com/2/rsvps`): their nested schema,
 * parsing with validation, and the seed's grouping columns.
 *
 * The seed reads every field as a string (`StringType`) and casts the coordinates to double; the
 * real stream sends numbers for ids, times and coordinates, so both are accepted: `event.time`
 * becomes the text of the number (`event_time` is a string column in the seed), coordinates
 * become doubles. A value that is neither a number nor a numeric string is an error here where
 * Spark's cast would give NULL: the event goes to the dead letters instead of a NULL group.
 */

import { holdsNul, wellFormed } from '../text.js';
export interface RsvpEvent {
  venue?: { venue_name?: string; lon?: number | string; lat?: number | string; venue_id?: number | string } | null;
  visibility?: string;
  response: string;
  guests?: number | string;
  member?: { member_id?: number | string; photo?: string; member_name?: string };
  rsvp_id: number | string;
  mtime?: number | string;
  event: { event_name: string; event_id?: string; time: number | string; event_url: string };
  group: {
    group_topics?: Array<{ urlkey: string; topic_name: string }>;
    group_city: string;
    group_country: string;
    group_id?: number | string;
    group_name: string;
    group_lon: number | string;
    group_urlname?: string;
    group_state?: string | null;
    group_lat: number | string;
  };
}

/** The seed's grouping columns, in its order; with `response_count` and `batch_id` they are the table. */
export const GROUP_COLUMNS = [
  'event_name',
  'event_url',
  'event_time',
  'group_name',
  'group_country',
  'group_state',
  'group_city',
  'group_lat',
  'group_lon',
  'lat',
  'lon',
  'response',
] as const;

export type GroupColumn = (typeof GROUP_COLUMNS)[number];

/** One RSVP reduced to the seed's grouping columns: the key of the aggregate, as a tuple in GROUP_COLUMNS order. */
export type RsvpKey = [
  event_name: string,
  event_url: string,
  event_time: string,
  group_name: string,
  group_country: string,
  group_state: string | null,
  group_city: string,
  group_lat: number,
  group_lon: number,
  lat: number | null,
  lon: number | null,
  response: string,
];

/** The table's SQL types (the seed's final schema: strings, doubles, a long count, the batch id). */
export const MEETUP_TABLE_TYPES: Record<GroupColumn | 'response_count' | 'batch_id', string> = {
  event_name: 'text',
  event_url: 'text',
  event_time: 'text',
  group_name: 'text',
  group_country: 'text',
  group_state: 'text',
  group_city: 'text',
  group_lat: 'double precision',
  group_lon: 'double precision',
  lat: 'double precision',
  lon: 'double precision',
  response: 'text',
  response_count: 'bigint',
  batch_id: 'bigint',
};

export const DEAD_LETTER_TYPES = {
  batch_id: 'bigint',
  category: 'text',
  reason: 'text',
  kafka_key: 'text',
  payload: 'text',
} as const;

export interface DeadLetter {
  category: Malformation;
  reason: string;
  key: string | null;
  payload: string;
}

/** Why an event is malformed, coarsely (the dead letter's `reason` says which field). */
export type Malformation = 'invalid JSON' | 'not a JSON object' | 'missing field' | 'wrong type' | 'invalid response' | 'invalid text';

export type ParseResult = { ok: true; key: RsvpKey } | { ok: false; category: Malformation; reason: string };

/** The responses Meetup sends. */
export const RESPONSES = ['yes', 'no'];

class Invalid extends Error {
  constructor(
    readonly category: Malformation,
    message: string,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function field(obj: Record<string, unknown>, name: string, path: string): unknown {
  const v = obj[name];
  if (v === undefined || v === null) throw new Invalid('missing field', `missing field ${path}${name}`);
  return v;
}

function object(obj: Record<string, unknown>, name: string, path = ''): Record<string, unknown> {
  const v = field(obj, name, path);
  if (!isObject(v)) throw new Invalid('wrong type', `field ${path}${name} is not an object`);
  return v;
}

function string(obj: Record<string, unknown>, name: string, path: string): string {
  const v = field(obj, name, path);
  if (typeof v !== 'string') throw new Invalid('wrong type', `field ${path}${name} is not a string`);
  if (holdsNul(v)) throw new Invalid('invalid text', `field ${path}${name} holds U+0000, which PostgreSQL text cannot store`);
  // As PostgreSQL will store it, so keys that are one row there are one key here.
  return wellFormed(v);
}

function numericText(obj: Record<string, unknown>, name: string, path: string): string {
  const v = field(obj, name, path);
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return v;
  throw new Invalid('wrong type', `field ${path}${name} is not a number: ${JSON.stringify(v).slice(0, 40)}`);
}

function toDouble(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new Invalid('wrong type', `field ${what} is not a number: ${JSON.stringify(v).slice(0, 40)}`);
  return n;
}

function double(obj: Record<string, unknown>, name: string, path: string): number {
  return toDouble(field(obj, name, path), `${path}${name}`);
}

function optionalDouble(obj: Record<string, unknown>, name: string, path: string): number | null {
  const v = obj[name];
  return v === undefined || v === null ? null : toDouble(v, `${path}${name}`);
}

/**
 * Parses one Kafka value. Never throws: a malformed event comes back with the reason — `invalid
 * JSON: …`, `not a JSON object`, `missing field event.event_url`, `field group.group_lat is not a
 * number: "north"`, `invalid response "maybe"`.
 *
 * Required: `rsvp_id`, `response` (yes/no), `event.{event_name, event_url, time}`,
 * `group.{group_name, group_country, group_city, group_lat, group_lon}`. Optional (NULL when
 * missing, as in the seed's table): `group.group_state`, `venue` and its `lat`/`lon`.
 */
export function parseRsvp(value: string): ParseResult {
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch (e) {
    return { ok: false, category: 'invalid JSON', reason: `invalid JSON: ${(e as Error).message.slice(0, 120)}` };
  }
  if (!isObject(doc)) return { ok: false, category: 'not a JSON object', reason: 'not a JSON object' };
  try {
    const rsvpId = field(doc, 'rsvp_id', '');
    if (typeof rsvpId !== 'number' && typeof rsvpId !== 'string') throw new Invalid('wrong type', 'field rsvp_id is not a number or string');
    const response = string(doc, 'response', '');
    if (!RESPONSES.includes(response)) throw new Invalid('invalid response', `invalid response ${JSON.stringify(response).slice(0, 40)}`);
    const event = object(doc, 'event');
    const group = object(doc, 'group');
    const venue = doc.venue === undefined || doc.venue === null ? undefined : doc.venue;
    if (venue !== undefined && !isObject(venue)) throw new Invalid('wrong type', 'field venue is not an object');
    const state = group.group_state;
    if (state !== undefined && state !== null && typeof state !== 'string') throw new Invalid('wrong type', 'field group.group_state is not a string');
    const key: RsvpKey = [
      string(event, 'event_name', 'event.'),
      string(event, 'event_url', 'event.'),
      numericText(event, 'time', 'event.'),
      string(group, 'group_name', 'group.'),
      string(group, 'group_country', 'group.'),
      state === undefined || state === null ? null : string(group, 'group_state', 'group.'),
      string(group, 'group_city', 'group.'),
      double(group, 'group_lat', 'group.'),
      double(group, 'group_lon', 'group.'),
      venue ? optionalDouble(venue, 'lat', 'venue.') : null,
      venue ? optionalDouble(venue, 'lon', 'venue.') : null,
      response,
    ];
    return { ok: true, key };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, category: e.category, reason: e.message };
    throw e;
  }
}

/** A table row (object keyed by column) for a key, its running count and the batch. */
export function totalsRow(key: RsvpKey, count: number, batchId: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  GROUP_COLUMNS.forEach((c, i) => (row[c] = key[i]));
  row.response_count = count;
  row.batch_id = batchId;
  return row;
}
