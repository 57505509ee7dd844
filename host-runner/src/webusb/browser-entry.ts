/// <reference types="w3c-web-usb" />
/**
 * The test page's script: browser-bundle.ts bundles this file (with the stream module, the
 * pattern oracle and the browser stand-ins) into the script webusb-page.ts serves. It installs
 * `globalThis.ffsWebUsb`, which the runner drives with page.evaluate.
 */
import { runWebUsbStream } from './webusb-stream';
import type { WebUsbStreamReport, WebUsbStreamRequest } from './webusb-request';

/** What the page offers the runner. One stream at a time. */
export interface WebUsbPageApi {
  /** Set once the script ran. */
  ready: true;
  /** Is `navigator.usb` there, and is the page a secure context (WebUSB needs both)? */
  probe(): { secureContext: boolean; webusb: boolean; userAgent: string };
  /** The devices granted to this origin, as `vvvv:pppp serial S` (no prompt: from the policy). */
  grantedDevices(): Promise<string[]>;
  /** Run one host end; `host` names it in the report. */
  run(req: WebUsbStreamRequest, host: string): Promise<WebUsbStreamReport>;
  /** Abort the running stream (its report then says ABORTED with `reason`). */
  abort(reason: string): void;
}

interface PageGlobals {
  navigator?: { usb?: USB; userAgent?: string };
  isSecureContext?: boolean;
  ffsWebUsb?: WebUsbPageApi;
}

const g = globalThis as unknown as PageGlobals;
let running: AbortController | undefined;

function usbOrThrow(): USB {
  const usb = g.navigator?.usb;
  if (!usb) throw new Error(`navigator.usb is missing (secure context: ${String(g.isSecureContext)})`);
  return usb;
}

g.ffsWebUsb = {
  ready: true,
  probe: () => ({ secureContext: g.isSecureContext === true, webusb: Boolean(g.navigator?.usb), userAgent: g.navigator?.userAgent ?? '' }),
  grantedDevices: async () =>
    (await usbOrThrow().getDevices()).map((d) => `${d.vendorId.toString(16).padStart(4, '0')}:${d.productId.toString(16).padStart(4, '0')} serial ${d.serialNumber ?? '?'}`),
  run: async (req, host) => {
    const ac = new AbortController();
    running = ac;
    try {
      return await runWebUsbStream(usbOrThrow(), req, host, ac.signal);
    } finally {
      if (running === ac) running = undefined;
    }
  },
  abort: (reason) => running?.abort(new Error(reason)),
};
