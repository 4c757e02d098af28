// Headless Debian chromium for the page's tests, driven by playwright-core.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';

/** A browser with a fresh profile; `close()` closes it and removes the profile. */
export async function launchChromium(): Promise<{ browser: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Debian's chromium is not installed at ${CHROMIUM}: apt-get update && apt-get install -y chromium (.ci/run does this)`);
  }
  const profile = mkdtempSync(path.join(tmpdir(), 'dstreams-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 1000 },
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A test file's browser, launched once; `cleanups` run after each test, last first. */
export function usePageBrowser(): { browser: () => BrowserContext; cleanups: Array<() => unknown> } {
  let launched: { browser: BrowserContext; close: () => Promise<void> } | undefined;
  const cleanups: Array<() => unknown> = [];
  beforeAll(async () => {
    launched = await launchChromium();
  }, 60_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    await launched?.close();
  });
  return { browser: () => launched!.browser, cleanups };
}

/** A page expression: the text of the element `selector` selects (undefined before it exists: a wait that polls it must not throw). */
export const textOf = (selector: string): string => `document.querySelector(${JSON.stringify(selector)})?.textContent`;
