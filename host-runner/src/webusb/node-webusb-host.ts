/**
 * The node side of the comparison: node usb@2's `WebUSB` class (the WebUSB API over libusb)
 * running the same stream module as the browser. The devices are granted up front with
 * `allowedDevices`, the counterpart of Chromium's WebUsbAllowDevicesForUrls policy.
 */
import { WebUSB } from 'usb';
import { runWebUsbStream } from './webusb-stream';
import type { WebUsbHost } from './webusb-host';
import type { WebUsbMatch, WebUsbStreamReport, WebUsbStreamRequest } from './webusb-request';

/** Version of the installed `usb` package (for the host's name). */
function usbVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a package's own package.json, read at run time
    return (require('usb/package.json') as { version: string }).version;
  } catch {
    return '?';
  }
}

export class NodeWebUsbHost implements WebUsbHost {
  readonly name = `node usb ${usbVersion()} WebUSB`;
  private readonly usb: USB;

  /** `grants`: the devices this host may open without a requestDevice() call. */
  constructor(grants: readonly WebUsbMatch[]) {
    this.usb = new WebUSB({ allowedDevices: grants.map((g) => ({ vendorId: g.vendorId, productId: g.productId, ...(g.serialNumber !== undefined ? { serialNumber: g.serialNumber } : {}) })) });
  }

  stream(req: WebUsbStreamRequest, signal?: AbortSignal): Promise<WebUsbStreamReport> {
    return runWebUsbStream(this.usb, req, this.name, signal);
  }

  async grantedDevices(): Promise<string[]> {
    return (await this.usb.getDevices()).map((d) => `${hex4(d.vendorId)}:${hex4(d.productId)} serial ${d.serialNumber ?? '?'}`);
  }

  async close(): Promise<void> {
    /* nothing held between streams: each stream opens and closes its device */
  }
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
