// The page once its application has ended: a failed batch (which stops the context, and the
// server with it) shows why it failed in its row and in its details, from the row the page holds;
// the summary says the application ended and stops counting its running time.
import { describe, expect, it } from 'vitest';
import { StreamingContext } from '../../src/index.js';
import { textOf, usePageBrowser } from './chromium.js';
import { freePortBelow } from './helpers.js';

const { browser, cleanups } = usePageBrowser();
const text = textOf;

describe('web UI page: an ended application', () => {
  it("shows a failed batch's reason in its row and, the server gone, in its details", async () => {
    const ssc = new StreamingContext({ batchDuration: 200, appName: 'fails', ui: { port: await freePortBelow() } });
    let pageLive!: () => void;
    const live = new Promise<void>((r) => (pageLive = r));
    let n = 0;
    ssc.queueStream(Array.from({ length: 50 }, (_, i) => [`r${i}`])).foreachRDD(async () => {
      // The third batch fails once the page follows the job.
      if (++n === 3) {
        await live;
        throw new Error('sink refused: duplicate key\nsecond line of the reason');
      }
    });
    const ended = ssc.awaitTermination().catch((e: unknown) => e);
    cleanups.push(() => ssc.stop().catch(() => undefined));
    await ssc.start();
    const page = await browser().newPage();
    cleanups.push(() => page.close());
    await page.goto(ssc.uiWebUrl!);
    await page.waitForFunction(`${text('#live')} === 'live'`, undefined, { timeout: 15_000 });
    pageLive();
    expect(String(await ended)).toContain('sink refused: duplicate key');
    await page.waitForFunction(`${text('#live')}.includes('has ended')`, undefined, { timeout: 15_000 });

    // The batch table's Error column: the first line of the reason, all of it on hover.
    const row = page.locator('#completed tbody tr.failed');
    await expect.poll(() => row.count(), { timeout: 5000 }).toBe(1);
    expect(await page.isVisible('#error-head')).toBe(true);
    const cell = row.locator('td.error');
    expect(await cell.textContent()).toBe('Error: sink refused: duplicate key');
    expect(await cell.getAttribute('title')).toContain('second line of the reason');

    // Its details cannot be fetched any more (the server closed): the held row says why it failed.
    await row.click();
    await page.waitForFunction(`${text('#details')}.includes('Details unavailable')`, undefined, { timeout: 10_000 });
    const details = (await page.textContent('#details'))!;
    expect(details).toContain('0/1 (1 failed)');
    expect(details).toContain('sink refused: duplicate key\nsecond line of the reason');
  }, 60_000);

  it('says the application ended and stops counting its running time', async () => {
    const ssc = new StreamingContext({ batchDuration: 200, appName: 'ends', ui: { port: await freePortBelow() } });
    ssc.queueStream([['a'], ['b']]).foreachRDD(() => undefined);
    cleanups.push(() => ssc.stop());
    await ssc.start();
    const page = await browser().newPage();
    cleanups.push(() => page.close());
    await page.goto(ssc.uiWebUrl!);
    await page.waitForFunction(`${text('#live')} === 'live'`, undefined, { timeout: 15_000 });
    await page.waitForFunction(`${text('#summary')}.startsWith('Running batches of 200 ms for ')`, undefined, { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 600));
    await ssc.stop();
    await page.waitForFunction(`${text('#live')}.includes('has ended')`, undefined, { timeout: 15_000 });
    await page.waitForFunction(`${text('#summary')}.startsWith('Ended: ')`, undefined, { timeout: 5_000 });
    const summary = (await page.textContent('#summary'))!;
    expect(summary).toMatch(/^Ended: ran batches of 200 ms for \d+ seconds? from \S+ \S+ to \S+ \S+ \(\d+ completed batches, \d+ records\)$/);
    // The time does not go on counting.
    await new Promise((r) => setTimeout(r, 2200));
    expect(await page.textContent('#summary')).toBe(summary);
  }, 60_000);
});
