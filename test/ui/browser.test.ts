// The web UI in a real browser: headless Debian chromium driven by playwright-core. The page
// loads, shows the batches of a running job and keeps adding them live, a batch's details open,
// the charts and the DStream graph render; a screenshot is written (docs/ui.png with
// DSTREAMS_UPDATE_SCREENSHOT=1, else .tmp/ui.png).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, StreamingContext } from '../../src/index.js';
import { launchChromium } from './chromium.js';
import { freePortBelow } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCREENSHOT = process.env.DSTREAMS_UPDATE_SCREENSHOT === '1' ? path.join(ROOT, 'docs/ui.png') : path.join(ROOT, '.tmp/ui.png');

/** Lines of a little text, a few every 20 ms, and one connection error at the start. */
class Lines extends Receiver<string> {
  private timer: NodeJS.Timeout | undefined;
  onStart(): void {
    const text = 'to be or not to be that is the question whether tis nobler in the mind to suffer the slings and arrows of outrageous fortune'.split(' ');
    let i = 0;
    this.reportError('connection refused (retrying)', new Error('ECONNREFUSED 127.0.0.1:9999'));
    this.timer = setInterval(() => {
      const n = 5 + (i % 17);
      const lines = Array.from({ length: n }, (_, j) => text.slice((i + j) % 20, ((i + j) % 20) + 6).join(' '));
      i++;
      void this.store(lines);
    }, 20);
  }
  onStop(): void {
    clearInterval(this.timer);
  }
}

let ssc: StreamingContext;
let browser: BrowserContext;
let closeBrowser: (() => Promise<void>) | undefined;
let checkpoint: string;

beforeAll(async () => {
  checkpoint = mkdtempSync(path.join(tmpdir(), 'dstreams-ui-cp-'));
  ssc = new StreamingContext({ batchDuration: 500, appName: 'network-wordcount', ui: { port: await freePortBelow() } });
  ssc.checkpoint(checkpoint);
  const words = ssc
    .receiverStream(new Lines(), { name: 'socket localhost:9999' })
    .flatMap((l) => l.split(' '))
    .map((w): [string, number] => [w, 1]);
  words.reduceByKey((a, b) => a + b).foreachRDD(() => undefined);
  words.updateStateByKey((vs: number[], s: number | undefined) => vs.reduce((a, b) => a + b, s ?? 0)).foreachRDD(async () => {
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20)); // a little processing time to chart
  });
  await ssc.start();
  ({ browser, close: closeBrowser } = await launchChromium());
}, 60_000);

afterAll(async () => {
  await closeBrowser?.();
  await ssc?.stop();
  if (checkpoint) rmSync(checkpoint, { recursive: true, force: true });
});

describe('web UI in headless chromium', () => {
  it('shows the batches of a running job, live, with charts, receivers, the graph and batch details; writes a screenshot', async () => {
    const page = browser.pages()[0] ?? (await browser.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => {
      if (!r.url().includes('/events')) errors.push(`request failed: ${r.url()}`);
    });
    // Let a few batches complete first, so the charts have something to show.
    await new Promise((r) => setTimeout(r, 4000));
    await page.goto(ssc.uiWebUrl!);
    expect(page.url()).toBe(`${ssc.uiWebUrl}streaming/`);
    await page.waitForFunction("document.querySelectorAll('#completed tbody tr').length >= 4", undefined, { timeout: 15_000 });
    expect(await page.textContent('#app-name')).toBe('network-wordcount');
    expect(await page.textContent('#summary')).toMatch(/^Running batches of 500 ms for .* \(\d+ completed batches, [\d,]+ records\)$/);
    // Memory after the last batch: heap and state keys (in memory, on disk), and that batch's input.
    await page.waitForFunction(
      "/^Memory after the last batch: heap [\\d.]+ [KMG]iB · state keys: [\\d,]+ in memory, 0 on disk · its input: [\\d,]+ records, -$/.test(document.querySelector('#memory')?.textContent)",
      undefined,
      { timeout: 10_000 },
    );

    // Live: new batches appear without reloading.
    const firstTop = await page.getAttribute('#completed tbody tr:first-child', 'data-batch');
    await page.waitForFunction(`document.querySelector('#completed tbody tr').getAttribute('data-batch') !== '${firstTop}'`, undefined, {
      timeout: 10_000,
    });
    expect(await page.textContent('#live')).toBe('live');

    // Charts: a timeline and a histogram for each of the four metrics.
    expect(await page.locator('.uplot').count()).toBe(8);
    // The receiver with its error, the graph with the stateful stream and its keys.
    await page.waitForFunction("/ACTIVE/.test(document.querySelector('#inputs tbody')?.textContent)", undefined, { timeout: 10_000 });
    expect(await page.textContent('#inputs tbody')).toContain('connection refused (retrying)');
    expect(await page.locator('#graph svg rect').count()).toBe(ssc.graph.streams.length);
    await page.waitForFunction("/state: \\d+ keys/.test(document.querySelector('#graph svg')?.textContent)", undefined, { timeout: 10_000 });

    // A batch's details: its input per stream and its output operations.
    await page.click('#completed tbody tr:nth-child(2)');
    await page.waitForSelector('#details h4');
    const details = await page.textContent('#details');
    expect(details).toContain('socket localhost:9999');
    expect(details).toContain('Output operations');
    expect(details).toMatch(/succeeded[\s\S]*succeeded/);

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const png = readFileSync(SCREENSHOT);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
    expect(errors).toEqual([]);
  }, 60_000);
});
