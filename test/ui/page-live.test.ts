// The page in headless chromium when its event stream breaks: it reads the batches again when the
// stream reopens, and follows the application a new context runs on the same port.
import { describe, expect, it } from 'vitest';
import { ManualClock, StreamingContext } from '../../src/index.js';
import { textOf, usePageBrowser } from './chromium.js';
import { freePortBelow } from './helpers.js';

const { browser, cleanups } = usePageBrowser();
const text = textOf;

describe('web UI page: a broken event stream', () => {
  it('re-reads the batches when its event stream reopens: a batch that completed while it was disconnected leaves Active Batches', async () => {
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock, appName: 'ui-gap', ui: { port: await freePortBelow() } });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    ssc.queueStream([['x'], ['y']]).foreachRDD(async (_rdd, t) => {
      if (t === 1000) await gate;
    });
    cleanups.push(() => ssc.stop());
    await ssc.start();
    const advanced = clock.advance(1000); // batch 1000 runs until the gate opens

    const page = await browser().newPage();
    cleanups.push(() => page.close());
    // The first event stream fails (the page retries); the retry waits until the batch completed.
    let attempts = 0;
    let letThrough!: () => void;
    const through = new Promise<void>((r) => (letThrough = r));
    await page.route('**/streaming/events', async (route) => {
      if (++attempts === 1) return route.abort();
      await through;
      await route.continue();
    });
    await page.goto(ssc.uiWebUrl!);
    await page.waitForFunction(`${text('#active-head')} === 'Active Batches (1)'`, undefined, { timeout: 10_000 });
    await page.waitForFunction(`${text('#live')} === 'disconnected (retrying)'`, undefined, { timeout: 10_000 });

    release();
    await advanced; // completed while the page had no event stream
    letThrough();
    await page.waitForFunction(`${text('#live')} === 'live'`, undefined, { timeout: 15_000 });
    await page.waitForFunction(`${text('#active-head')} === 'Active Batches (0)'`, undefined, { timeout: 10_000 });
    expect(await page.getAttribute('#completed tbody tr:first-child', 'data-batch')).toBe('1000');
    expect(await page.textContent('#summary')).toContain('(1 completed batches');
    expect(attempts).toBe(2);
  }, 40_000);

  it('follows the new application when its event stream is refused because the application ended (a new context on the same port)', async () => {
    const port = await freePortBelow();
    const first = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), appName: 'first-app', ui: { port } });
    first.queueStream([['a']]).foreachRDD(() => undefined);
    cleanups.push(() => first.stop());
    await first.start();
    const page = await browser().newPage();
    cleanups.push(() => page.close());
    await page.goto(first.uiWebUrl!);
    await page.waitForFunction(`${text('#live')} === 'live'`, undefined, { timeout: 10_000 });
    expect(await page.textContent('#app-name')).toBe('first-app');

    await first.stop();
    const second = new StreamingContext({ batchDuration: 1000, clock: new ManualClock(), appName: 'second-app', ui: { port } });
    second.queueStream([['b']]).foreachRDD(() => undefined);
    cleanups.push(() => second.stop());
    await second.start();
    expect(second.uiWebUrl).toBe(first.uiWebUrl);
    // The stream ended (or, reconnecting, got 404 for the old application id): the page says so, then loads the new one.
    await page.waitForFunction(`${text('#live')}.includes('; following ')`, undefined, { timeout: 15_000 });
    expect(await page.textContent('#live')).toMatch(/^application local-\d+ has ended; following local-\d+$/);
    await page.waitForFunction(`${text('#app-name')} === 'second-app'`, undefined, { timeout: 15_000 });
    await page.waitForFunction(`${text('#live')} === 'live'`, undefined, { timeout: 10_000 });
  }, 40_000);
});
