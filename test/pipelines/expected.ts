/**
 * The results the pipelines must produce, computed here from the generators' truth — not with
 * the jobs' parsers or streams — for the tests to compare the jobs' tables with.
 */
import type { GeneratedRsvp } from '../../src/apps/meetup/generate.js';
import type { GeneratedTweet } from '../../src/apps/tweets/generate.js';

/** Meetup: response_count per grouping key (the key as JSON), and the dead letters per category. */
export function expectedMeetup(events: Iterable<GeneratedRsvp>): { totals: Map<string, number>; malformed: Record<string, number> } {
  const totals = new Map<string, number>();
  const malformed: Record<string, number> = {};
  for (const e of events) {
    if (e.truth.ok) {
      const k = JSON.stringify(e.truth.key);
      totals.set(k, (totals.get(k) ?? 0) + 1);
    } else {
      malformed[e.truth.category] = (malformed[e.truth.category] ?? 0) + 1;
    }
  }
  return { totals, malformed };
}

/** Tweets: location → [count(id), sum(followers), sum(favorites), sum(retweets)] for `day`. */
export function expectedTweetTotals(tweets: Iterable<GeneratedTweet>, day: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const { truth } of tweets) {
    if (!truth.ok || truth.day !== day) continue;
    const t = (out[truth.location] ??= [0, 0, 0, 0]);
    t[0] += truth.counted;
    t[1] += truth.followers ?? 0;
    t[2] += truth.favorites;
    t[3] += truth.retweets;
  }
  return out;
}
