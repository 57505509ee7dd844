/**
 * The browser side of the comparison: Debian's Chromium, headless, driven by playwright-core
 * (never a downloaded browser), runs the shared stream module in a page on {@link PAGE_ORIGIN}
 * through `navigator.usb`. The page is served by page.route (no port is opened), and the device
 * is granted to that origin by the WebUsbAllowDevicesForUrls policy (chromium-policy.ts), which
 * must be in place before launch.
 */
import type { Browser, Page } from 'playwright-core';
import { PAGE_ORIGIN, pageResponse } from './webusb-page';
import type { WebUsbPageApi } from './browser-entry';
import type { WebUsbHost } from './webusb-host';
import type { WebUsbStreamReport, WebUsbStreamRequest } from './webusb-request';

/** Options of {@link ChromiumWebUsbHost.launch}. */
export interface ChromiumLaunchOptions {
  /** The Chromium executable (see chromium-prerequisites.ts). */
  executablePath: string;
  /** Bound on browser start plus page load (ms). Default 180000: Chromium on the TCG lab starts slowly. */
  timeoutMs?: number;
  /** Receives the page's console lines and errors, and the browser's disconnect. */
  log?: (line: string) => void;
}

/** Flags beyond playwright's own: no GPU and no background traffic in a VM without either. */
export const CHROMIUM_ARGS = ['--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'];

/**
 * Chromium's sandbox, unless it really cannot run: Chromium refuses to start as root with its
 * sandbox on (the lab VM runs everything as root), so only then is it off.
 */
export function chromiumSandboxFlags(uid: number | undefined = process.getuid?.()): { chromiumSandbox: boolean; args: string[] } {
  const root = uid === 0;
  return { chromiumSandbox: !root, args: root ? ['--no-sandbox', ...CHROMIUM_ARGS] : [...CHROMIUM_ARGS] };
}

type PageGlobal = typeof globalThis & { ffsWebUsb: WebUsbPageApi };

export class ChromiumWebUsbHost implements WebUsbHost {
  private closed = false;

  private constructor(
    private readonly browser: Browser,
    private readonly page: Page,
    readonly name: string,
  ) {}

  /**
   * Start Chromium headless, open the page on {@link PAGE_ORIGIN} and wait for its script.
   * Throws when the page is not a secure context or has no `navigator.usb`.
   */
  static async launch(opts: ChromiumLaunchOptions): Promise<ChromiumWebUsbHost> {
    const timeout = opts.timeoutMs ?? 180_000;
    const log = opts.log ?? (() => undefined);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a browser is started: most runs never need it
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    const browser = await chromium.launch({ executablePath: opts.executablePath, headless: true, ...chromiumSandboxFlags(), timeout });
    try {
      browser.on('disconnected', () => log('chromium: browser disconnected'));
      const page = await browser.newPage();
      page.on('console', (m) => log(`chromium console.${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => log(`chromium page error: ${e.message}`));
      await page.route(`${PAGE_ORIGIN}/**`, (route) => route.fulfill(pageResponse(route.request().url())));
      await page.goto(`${PAGE_ORIGIN}/`, { timeout });
      await page.waitForFunction(() => (globalThis as PageGlobal).ffsWebUsb?.ready === true, undefined, { timeout });
      const probe = await page.evaluate(() => (globalThis as PageGlobal).ffsWebUsb.probe());
      if (!probe.secureContext || !probe.webusb) throw new Error(`Chromium page ${PAGE_ORIGIN}: secure context ${probe.secureContext}, navigator.usb ${probe.webusb ? 'present' : 'missing'} (${probe.userAgent})`);
      return new ChromiumWebUsbHost(browser, page, `Chromium ${browser.version()}`);
    } catch (err) {
      await browser.close().catch(() => undefined);
      throw err;
    }
  }

  async stream(req: WebUsbStreamRequest, signal?: AbortSignal): Promise<WebUsbStreamReport> {
    const onAbort = () => {
      const reason = String((signal?.reason as Error | undefined)?.message ?? signal?.reason);
      void this.page.evaluate((r) => (globalThis as PageGlobal).ffsWebUsb.abort(r), reason).catch(() => undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.page.evaluate(([r, host]) => (globalThis as PageGlobal).ffsWebUsb.run(r, host), [req, this.name] as const);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  grantedDevices(): Promise<string[]> {
    return this.page.evaluate(() => (globalThis as PageGlobal).ffsWebUsb.grantedDevices());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.browser.close().catch(() => undefined);
  }
}
