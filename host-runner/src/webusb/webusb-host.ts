/**
 * A WebUSB host: something that runs the shared stream module (webusb-stream.ts) on its own
 * WebUSB implementation. Two drivers: node usb's WebUSB class (node-webusb-host.ts) and
 * Chromium's navigator.usb driven by playwright-core (chromium-host.ts).
 */
import type { WebUsbStreamReport, WebUsbStreamRequest } from './webusb-request';

export interface WebUsbHost {
  /** For reports, e.g. `Chromium 156.0.8078.79` or `node usb 2.18.0 WebUSB`. */
  readonly name: string;
  /** Run one host end of a stream. Never rejects for stream failures: they are in the report. */
  stream(req: WebUsbStreamRequest, signal?: AbortSignal): Promise<WebUsbStreamReport>;
  /** The devices granted to this host, as `vvvv:pppp serial S` (for checks and messages). */
  grantedDevices(): Promise<string[]>;
  /** Release everything the host holds (the browser process); safe to call twice. */
  close(): Promise<void>;
}
