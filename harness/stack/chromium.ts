// Headless chromium for the tests that look at what a person sees: the console, the report, screenshots.
import { type Browser, chromium } from 'playwright-core';

/** The system chromium (the bootstrap installs it), or CHROMIUM_PATH. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Runs `look` with a fresh browser and closes it whatever happens. */
export async function withBrowser<T>(look: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await launchChromium();
  try {
    return await look(browser);
  } finally {
    await browser.close();
  }
}
