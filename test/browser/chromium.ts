// Debian Chromium driven by playwright-core, as ../shared/notes/vscode-e2e.md describes: the
// new headless mode (Playwright's own --headless is the old one), a fresh profile, no network
// chatter; --enable-unsafe-webgpu gives the SwiftShader WebGPU adapter.
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface BrowserPage {
  readonly page: Page;
  /** Console lines and uncaught errors of the page, for failure messages. */
  readonly log: string[];
  close(): Promise<void>;
}

export async function openPage(url: string, opts: { webgpu: boolean }): Promise<BrowserPage> {
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM, headless: false,
    args: ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...(opts.webgpu ? ['--enable-unsafe-webgpu'] : [])],
  });
  const log: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
    await page.goto(url);
    await page.waitForFunction(() => 'harness' in globalThis, undefined, { timeout: 15_000 });
    return { page, log, close: () => browser.close() };
  } catch (e) {
    await browser.close();
    throw new Error(`${(e as Error).message}\npage log:\n${log.join('\n')}`, { cause: e });
  }
}

/** Runs `globalThis.harness[name](...args)` in the page; a failure carries the page's log. */
export async function callHarness(b: BrowserPage, name: string, args: readonly unknown[]): Promise<unknown> {
  try {
    return await b.page.evaluate(([n, a]) => {
      const h = (globalThis as unknown as { harness: Record<string, (...x: unknown[]) => unknown> }).harness;
      return h[n](...a);
    }, [name, args] as const);
  } catch (e) {
    throw new Error(`${name} in the page failed: ${(e as Error).message}\npage log:\n${b.log.join('\n')}`, { cause: e });
  }
}
