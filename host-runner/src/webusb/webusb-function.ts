/// <reference types="w3c-web-usb" />
/**
 * The gadget function as a WebUSB host sees it: find the granted device, open it, claim its
 * vendor-specific interface and name the bulk endpoint pair. Standard WebUSB calls only, so the
 * same code runs on `navigator.usb` in Chromium and on node usb's `WebUSB` class.
 */
import type { WebUsbMatch } from './webusb-request';

/** bInterfaceClass of a vendor-specific interface: the only kind WebUSB lets a page claim freely. */
export const VENDOR_SPECIFIC_CLASS = 0xff;

/** The interface and bulk endpoints a stream runs on. */
export interface BulkPair {
  interfaceNumber: number;
  /** Endpoint numbers without the direction bit (dummy_udc renumbers them, so they are looked up). */
  inEndpoint: number;
  outEndpoint: number;
  /** wMaxPacketSize of the pair (IN and OUT are checked to be equal). */
  packetSize: number;
}

/** An opened device with its interface claimed. close() releases it; safe to call twice. */
export interface OpenedFunction {
  device: USBDevice;
  pair: BulkPair;
  close(): Promise<void>;
}

/** A failure with a short code for the report (`NOT_FOUND`, `NO_BULK_PAIR`, `WEBUSB`). */
export type CodedError = Error & { code: string };

export function codedError(code: string, message: string): CodedError {
  return Object.assign(new Error(message), { code });
}

/** True when `d` is the device `m` describes. */
export function matchesDevice(d: Pick<USBDevice, 'vendorId' | 'productId' | 'serialNumber'>, m: WebUsbMatch): boolean {
  return d.vendorId === m.vendorId && d.productId === m.productId && (m.serialNumber === undefined || d.serialNumber === m.serialNumber);
}

/**
 * The first vendor-specific interface (class 0xff, current alternate setting) of the device's
 * active configuration (else its first) that has a bulk IN and a bulk OUT endpoint. Throws
 * NO_BULK_PAIR naming what the configuration holds.
 */
export function bulkPairOf(device: Pick<USBDevice, 'configuration' | 'configurations'>): BulkPair {
  const config = device.configuration ?? device.configurations[0];
  if (!config) throw codedError('NO_BULK_PAIR', 'the device has no configuration');
  const seen: string[] = [];
  for (const iface of config.interfaces) {
    const alt = iface.alternate ?? iface.alternates[0];
    if (!alt) continue;
    seen.push(`interface ${iface.interfaceNumber} class 0x${alt.interfaceClass.toString(16)} (${alt.endpoints.map((e) => `${e.type} ${e.direction} ${e.endpointNumber}`).join(', ') || 'no endpoints'})`);
    if (alt.interfaceClass !== VENDOR_SPECIFIC_CLASS) continue;
    const bulkIn = alt.endpoints.find((e) => e.type === 'bulk' && e.direction === 'in');
    const bulkOut = alt.endpoints.find((e) => e.type === 'bulk' && e.direction === 'out');
    if (!bulkIn || !bulkOut) continue;
    if (bulkIn.packetSize !== bulkOut.packetSize) {
      throw codedError('NO_BULK_PAIR', `interface ${iface.interfaceNumber}: bulk IN packet size ${bulkIn.packetSize} differs from bulk OUT ${bulkOut.packetSize}`);
    }
    return { interfaceNumber: iface.interfaceNumber, inEndpoint: bulkIn.endpointNumber, outEndpoint: bulkOut.endpointNumber, packetSize: bulkIn.packetSize };
  }
  throw codedError('NO_BULK_PAIR', `no vendor-specific interface with a bulk IN and OUT endpoint in configuration ${config.configurationValue}: ${seen.join('; ') || 'no interfaces'}`);
}

/**
 * Wait until `usb.getDevices()` lists a device matching `match` (polling every 200 ms: a browser
 * learns of devices through udev, a moment after the kernel). Throws NOT_FOUND after `timeoutMs`,
 * listing what was granted instead.
 */
export async function findDevice(usb: USB, match: WebUsbMatch, timeoutMs: number): Promise<USBDevice> {
  const deadline = Date.now() + timeoutMs;
  let seen: USBDevice[];
  for (;;) {
    seen = await usb.getDevices();
    const d = seen.find((x) => matchesDevice(x, match));
    if (d) return d;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const want = `${hex4(match.vendorId)}:${hex4(match.productId)}${match.serialNumber ? ` serial ${match.serialNumber}` : ''}`;
  const got = seen.map((d) => `${hex4(d.vendorId)}:${hex4(d.productId)} serial ${d.serialNumber ?? '?'}`).join(', ') || 'none';
  throw codedError('NOT_FOUND', `USB device ${want} is not among the devices granted to this host within ${timeoutMs} ms (granted: ${got})`);
}

/**
 * Find, open, select the configuration if the device has none active, claim the vendor
 * interface. On failure the device is closed again.
 */
export async function openFunction(usb: USB, match: WebUsbMatch, findTimeoutMs: number): Promise<OpenedFunction> {
  const device = await findDevice(usb, match, findTimeoutMs);
  await webusbCall('open', () => device.open());
  try {
    if (!device.configuration) {
      const first = device.configurations[0];
      if (!first) throw codedError('NO_BULK_PAIR', 'the device has no configuration');
      await webusbCall('selectConfiguration', () => device.selectConfiguration(first.configurationValue));
    }
    const pair = bulkPairOf(device);
    await webusbCall('claimInterface', () => device.claimInterface(pair.interfaceNumber));
    let closed = false;
    return {
      device,
      pair,
      close: async () => {
        if (closed) return;
        closed = true;
        // releaseInterface aborts the transfers still pending on the interface (WebUSB and usbfs alike).
        await device.releaseInterface(pair.interfaceNumber).catch(() => undefined);
        await device.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await device.close().catch(() => undefined);
    throw err;
  }
}

/** Run a WebUSB call; a rejection becomes a WEBUSB error naming the call (DOMException names kept). */
async function webusbCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw asCodedError(err, what);
  }
}

/** Any thrown value as a CodedError: its own `code` when it has one, else WEBUSB with `what` and the DOMException name. */
export function asCodedError(err: unknown, what?: string): CodedError {
  const e = err as { code?: unknown; name?: string; message?: string } | undefined;
  if (e && typeof e.code === 'string' && e instanceof Error) return e as CodedError;
  const name = e?.name && e.name !== 'Error' ? `${e.name}: ` : '';
  return codedError('WEBUSB', `${what ? `${what}: ` : ''}${name}${e?.message ?? String(err)}`);
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
