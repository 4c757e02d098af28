// A direct (receiver-less) input's rate: the REST API lists every input's rates (ours, /inputs,
// beside Spark's /receivers which has only receivers), and the page's Inputs table shows it
// (it showed "-" while the summary showed the rate).
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { launchChromium } from './chromium.js';
import { freePortBelow, getJson } from './helpers.js';

let browser: BrowserContext | undefined;
let closeBrowser: (() => Promise<void>) | undefined;
let ssc: StreamingContext;
let clock: ManualClock;
let base: string;

beforeAll(async () => {
  clock = new ManualClock();
  ssc = new StreamingContext({ batchDuration: 1000, clock, appName: 'direct', ui: { port: await freePortBelow() } });
  // Five records a batch (5 records/s) for the first four batches, then fifteen.
  const batch = (n: number): string[] => Array.from({ length: n }, (_, i) => `r${i}`);
  ssc.queueStream([...Array.from({ length: 4 }, () => batch(5)), ...Array.from({ length: 4 }, () => batch(15))]).foreachRDD(() => undefined);
  await ssc.start();
  for (let i = 0; i < 4; i++) await clock.advance(1000);
  const [app] = await getJson<Array<{ id: string }>>(`${ssc.uiWebUrl}api/v1/applications`);
  base = `${ssc.uiWebUrl}api/v1/applications/${app!.id}/streaming`;
}, 60_000);
afterAll(async () => {
  await closeBrowser?.();
  await ssc?.stop();
});

describe('a direct input’s rate', () => {
  it('is listed by /streaming/inputs, while Spark’s /receivers stays empty', async () => {
    expect(await getJson(`${base}/receivers`)).toEqual([]);
    expect(await getJson(`${base}/inputs`)).toEqual([
      { streamId: 0, streamName: 'QueueInputDStream-0', hasReceiver: false, avgEventRate: 5, eventRates: [1000, 2000, 3000, 4000].map((t) => [t, 5]) },
    ]);
  });

  it('shows in the page’s Inputs table, and follows new batches', async () => {
    ({ browser, close: closeBrowser } = await launchChromium());
    const page = await browser.newPage();
    await page.goto(ssc.uiWebUrl!);
    // Null-safe: a first poll may come before the table has its row (a throw ends the wait at once).
    const rate = "document.querySelector('#inputs tbody tr td:nth-child(4)')?.textContent";
    await page.waitForFunction(`${rate} === '5.00'`, undefined, { timeout: 15_000 });
    expect(await page.textContent('#inputs tbody tr td:nth-child(3)')).toBe('no receiver');
    // A batch of fifteen: the average over the retained batches goes to (4 × 5 + 15) / 5 = 7.
    await page.waitForFunction("document.getElementById('live')?.textContent === 'live'", undefined, { timeout: 15_000 });
    await clock.advance(1000);
    await page.waitForFunction(`${rate} === '7.00'`, undefined, { timeout: 10_000 });
  }, 60_000);
});
