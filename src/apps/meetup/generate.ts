/**
 * Generated meetup RSVPs in the nested schema of the seed (what `stream.meetup.com/2/rsvps` sent),
 * reproducible from a seed, with a configurable fraction of malformed events.
 *
 * The pool of groups and events is small so that the seed's aggregate (one row per event,
 * venue and response) has counts above one. Names carry what breaks naive writers: quotes,
 * commas, newlines, backslashes, `\.`, SQL, non-ASCII and the seed's own mojibake ("Â Outdoor").
 * Online events have Meetup's placeholder venue (-8.521147, 179.1962) as in the seed's table;
 * some events have no venue at all (NULL lat/lon), and groups outside the US and Canada have no
 * `group_state` (NULL), so the table's key has NULLs.
 *
 * Each generated event comes with the truth about it — the key it must be counted under, or the
 * kind of damage done to it — computed here, independently of the job's parser, so that tests
 * can check the job's table against it.
 */
import { Random } from '../random.js';
import type { Malformation, RsvpEvent, RsvpKey } from './schema.js';

export interface MeetupGeneratorOptions {
  /** Number of events. */
  count: number;
  /** Fraction of malformed events, 0–1. Default 0. */
  malformed?: number;
  /** PRNG seed. Default 1. */
  seed?: number;
  /** `mtime` of the first RSVP (ms); the others follow 250 ms apart. Default 1628700000000. */
  baseTime?: number;
  /** Number of groups in the pool (each with 1–4 events). Default 40. */
  groups?: number;
}

export type GeneratedTruth = { ok: true; key: RsvpKey } | { ok: false; category: Malformation };

export interface GeneratedRsvp {
  /** The Kafka message key: the RSVP id (null for some malformed events). */
  key: string | null;
  /** The Kafka message value. */
  value: string;
  truth: GeneratedTruth;
}

interface Group {
  id: number;
  name: string;
  urlname: string;
  city: string;
  country: string;
  state: string | undefined;
  lat: number;
  lon: number;
  topics: Array<{ urlkey: string; topic_name: string }>;
}

interface Event {
  group: Group;
  id: string;
  name: string;
  time: number;
  url: string;
  venue: { venue_name: string; lat: number; lon: number; venue_id: number } | undefined;
}

const CITIES: Array<[city: string, country: string, state: string | undefined, lat: number, lon: number]> = [
  ['Austin', 'us', 'TX', 30.24, -97.76],
  ['Charlotte', 'us', 'NC', 35.14, -80.94],
  ['Atlanta', 'us', 'GA', 33.86, -84.4],
  ['Cherry Hill', 'us', 'NJ', 39.88, -74.97],
  ['New York', 'us', 'NY', 40.72, -73.98],
  ['San Francisco', 'us', 'CA', 37.77, -122.41],
  ['Vancouver', 'ca', 'BC', 49.24, -123.1],
  ['Toronto', 'ca', 'ON', 43.74, -79.36],
  ['London', 'gb', undefined, 51.52, -0.1],
  ['Manchester', 'gb', undefined, 53.48, -2.23],
  ['São Paulo', 'br', undefined, -23.53, -46.63],
  ['SÃ£o Paulo', 'br', undefined, -23.53, -46.63],
  ['Zürich', 'ch', undefined, 47.38, 8.54],
  ['Kraków', 'pl', undefined, 50.06, 19.94],
  ['東京', 'jp', undefined, 35.67, 139.77],
];

const TOPICS = [
  ['kayaking', 'Kayaking'],
  ['badminton', 'Badminton'],
  ['softwaredev', 'Software Development'],
  ['sketching', 'Sketching'],
  ['fly-fishing', 'Fly Fishing'],
  ['magic-the-gathering', 'Magic: The Gathering'],
  ['singles', 'Singles'],
  ['trading', 'Stock Trading'],
] as const;

const GROUP_NAMES = [
  'Austin Kayak Polo Club',
  'Cocktails and Conversation',
  'Real Life Trading, "Live"',
  'South Jersey Pickleball',
  'Central Park Sketchers',
  'Women On The Fly',
  'Vancouver Modest Badminton',
  "30's and 40's Women's Social",
  'TOTVS Developers',
  'MTG Boston',
  'The Cool Table',
  'London Singles Sports & Social',
  "Robert'); DROP TABLE meetup_table;--",
  'Back\\slash \\N \\. Club',
  'Line\nBreak Society',
  'Ünïcödé ✓ 日本語 🚀 Meetup',
  'Comma, Separated, Values',
  '"Quoted" group',
];

const EVENT_NAMES = [
  'Nationals teams training',
  'Bi-monthly meeting',
  'Â Outdoor Pick-Up Game',
  'Sketch Carl Schurz Park',
  'Carolina Fly Fishing, "Day 2"',
  'FREE EVENT! In-person social',
  'Webinar da biblioteca',
  "Women's Rooftop Brunch",
  'Wednesday Magic in Medford',
  'UN VILLAGE AU SOLEIL',
  'IRL Thursday night run',
  'Drink and Dine - Ancoats',
  '#46982 London Wine Tasting',
  'Tab\there, newline\nthere',
  '\\.',
  "'; DELETE FROM meetup_table; --",
];

const ONLINE_VENUE = { venue_name: 'Online event', lat: -8.521147, lon: 179.1962, venue_id: 26906060 };

function buildPool(rnd: Random, groups: number): Event[] {
  const events: Event[] = [];
  for (let g = 0; g < groups; g++) {
    const [city, country, state, lat, lon] = rnd.pick(CITIES);
    const name = `${rnd.pick(GROUP_NAMES)}${g >= GROUP_NAMES.length ? ` #${g}` : ''}`;
    const urlname = `${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'group'}-${g}`;
    const topics = Array.from({ length: rnd.int(0, 3) }, () => {
      const [urlkey, topic_name] = rnd.pick(TOPICS);
      return { urlkey, topic_name };
    });
    const group: Group = { id: 1000 + g, name, urlname, city, country, state, lat, lon, topics };
    const nEvents = rnd.int(1, 4);
    for (let e = 0; e < nEvents; e++) {
      const id = String(279_000_000 + g * 10 + e);
      const kind = rnd.next();
      const venue =
        kind < 0.15
          ? ONLINE_VENUE
          : kind < 0.25
            ? undefined
            : {
                venue_name: `${city} venue ${e}`,
                lat: rnd.fixed(lat - 0.2, lat + 0.2, 6),
                lon: rnd.fixed(lon - 0.2, lon + 0.2, 6),
                venue_id: 2_000_000 + g * 10 + e,
              };
      events.push({
        group,
        id,
        name: rnd.pick(EVENT_NAMES),
        time: 1628717400000 + rnd.int(0, 60 * 24) * 3_600_000,
        url: `https://www.meetup.com/${urlname}/events/${id}/`,
        venue,
      });
    }
  }
  return events;
}

function rsvp(rnd: Random, ev: Event, rsvpId: number, mtime: number): RsvpEvent {
  const g = ev.group;
  const doc: RsvpEvent = {
    ...(ev.venue ? { venue: { ...ev.venue } } : {}),
    visibility: rnd.chance(0.9) ? 'public' : 'members',
    response: rnd.chance(0.75) ? 'yes' : 'no',
    guests: rnd.chance(0.8) ? 0 : rnd.int(1, 3),
    member: {
      member_id: 10_000_000 + rnd.int(0, 9_999_999),
      ...(rnd.chance(0.5) ? { photo: `https://secure.meetupstatic.com/photos/member/${rnd.int(1, 9999)}.jpeg` } : {}),
      member_name: rnd.pick(['Ana', 'Bo', 'Chloé', "D'Arcy", 'Eve "E" Smith', 'Fu 福']),
    },
    rsvp_id: rsvpId,
    mtime,
    event: { event_name: ev.name, event_id: ev.id, time: ev.time, event_url: ev.url },
    group: {
      group_topics: g.topics.map((t) => ({ ...t })),
      group_city: g.city,
      group_country: g.country,
      group_id: g.id,
      group_name: g.name,
      group_lon: g.lon,
      group_urlname: g.urlname,
      ...(g.state !== undefined ? { group_state: g.state } : {}),
      group_lat: g.lat,
    },
  };
  return doc;
}

function keyOf(doc: RsvpEvent): RsvpKey {
  const { event, group, venue } = doc;
  return [
    event.event_name,
    event.event_url,
    String(event.time),
    group.group_name,
    group.group_country,
    group.group_state ?? null,
    group.group_city,
    Number(group.group_lat),
    Number(group.group_lon),
    venue?.lat === undefined ? null : Number(venue.lat),
    venue?.lon === undefined ? null : Number(venue.lon),
    doc.response,
  ];
}

type Damage = (rnd: Random, doc: RsvpEvent, json: string) => { value: string; category: Malformation };

/** The ways an event is damaged, each with the category the job must report. */
const DAMAGES: Damage[] = [
  // Truncated in transit.
  (rnd, _doc, json) => ({ value: json.slice(0, rnd.int(1, json.length - 1)), category: 'invalid JSON' }),
  // Not JSON at all.
  (rnd) => ({ value: rnd.pick(['', '<html><body>502 Bad Gateway</body></html>', 'rsvp;yes;42', '{"unterminated": "str']), category: 'invalid JSON' }),
  // JSON, but not an object.
  (rnd) => ({ value: rnd.pick(['[]', '42', 'null', '"yes"', '[{"response":"yes"}]']), category: 'not a JSON object' }),
  // A required field missing.
  (rnd, doc) => {
    const d = structuredClone(doc) as unknown as Record<string, Record<string, unknown>>;
    const which = rnd.pick([
      ['event'],
      ['group'],
      ['response'],
      ['rsvp_id'],
      ['event', 'event_name'],
      ['event', 'event_url'],
      ['event', 'time'],
      ['group', 'group_name'],
      ['group', 'group_country'],
      ['group', 'group_city'],
      ['group', 'group_lat'],
      ['group', 'group_lon'],
    ]);
    if (which.length === 1) delete (d as Record<string, unknown>)[which[0]!];
    else if (rnd.chance(0.5)) delete d[which[0]!]![which[1]!];
    else d[which[0]!]![which[1]!] = null;
    return { value: JSON.stringify(d), category: 'missing field' };
  },
  // A field of the wrong type.
  (rnd, doc) => {
    const d = structuredClone(doc) as unknown as Record<string, Record<string, unknown>>;
    const how = rnd.int(0, 3);
    if (how === 0) d.group!.group_lat = 'north';
    else if (how === 1) d.event!.time = { $date: doc.event.time };
    else if (how === 2) (d as Record<string, unknown>).event = 'Nationals teams training';
    else d.event!.event_name = 12345;
    return { value: JSON.stringify(d), category: 'wrong type' };
  },
  // A response Meetup never sends.
  (rnd, doc) => ({ value: JSON.stringify({ ...doc, response: rnd.pick(['maybe', 'YES', '']) }), category: 'invalid response' }),
];

/** The events, lazily. The same options always give the same events. */
export function* generateMeetupEvents(options: MeetupGeneratorOptions): Generator<GeneratedRsvp> {
  const { count, malformed = 0, seed = 1, baseTime = 1628700000000, groups = 40 } = options;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  if (!(malformed >= 0 && malformed <= 1)) throw new RangeError(`malformed must be a fraction in [0, 1], got ${malformed}`);
  const rnd = new Random(seed);
  const pool = buildPool(new Random(seed ^ 0x5eed), Math.max(1, groups));
  for (let i = 0; i < count; i++) {
    const rsvpId = 1_890_000_000 + i;
    const doc = rsvp(rnd, rnd.pick(pool), rsvpId, baseTime + i * 250);
    const json = JSON.stringify(doc);
    if (rnd.chance(malformed)) {
      const { value, category } = rnd.pick(DAMAGES)(rnd, doc, json);
      yield { key: rnd.chance(0.5) ? String(rsvpId) : null, value, truth: { ok: false, category } };
    } else {
      yield { key: String(rsvpId), value: json, truth: { ok: true, key: keyOf(doc) } };
    }
  }
}
