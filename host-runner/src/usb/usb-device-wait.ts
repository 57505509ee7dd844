import * as usb from 'usb';
import { infraError } from '@ffs-lab/contract/exit-codes';
import { listSysfsDevices, type SysfsUsbDevice } from './sysfs-usb';
import { confinedUsbPort, portMatches } from './usb-port';

/** Which device to wait for. */
export interface UsbMatch {
  vendorId: number;
  productId: number;
  /** Match the serial number string too, when several boards share VID:PID. */
  serial?: string;
  /** Only a device on this port (usb-port.ts: `1-2.3` or an ID_PATH). Default: the port the process is confined to, if any. */
  port?: string;
}

/** A device found on both sysfs and libusb. */
export interface FoundDevice {
  sysfs: SysfsUsbDevice;
  device: usb.Device;
}

/**
 * Wait until the host has enumerated and configured a matching device, then return its libusb
 * handle (unopened). Polls sysfs, so it works without hotplug events; libusb's own list is
 * consulted until it shows the same bus/address. Throws an infrastructure error (exit 3) naming
 * what was seen when nothing matches within `timeoutMs`.
 */
export async function waitForUsbDevice(match: UsbMatch, timeoutMs = 15_000): Promise<FoundDevice> {
  const deadline = Date.now() + timeoutMs;
  let seen: SysfsUsbDevice | undefined;
  const port = match.port ?? confinedUsbPort();
  for (;;) {
    seen = listSysfsDevices().find((d) => d.vendorId === match.vendorId && d.productId === match.productId && (match.serial === undefined || d.serial === match.serial) && (port === undefined || portMatches(d.name, port)));
    if (seen?.configured) {
      const device = usb.getDeviceList().find((d) => d.busNumber === seen!.busnum && d.deviceAddress === seen!.devnum);
      if (device) return { sysfs: seen, device };
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const id = `${hex(match.vendorId)}:${hex(match.productId)}${match.serial ? ` serial ${match.serial}` : ''}${port ? ` on port ${port}` : ''}`;
  const what = !seen
    ? 'it never appeared in /sys/bus/usb/devices'
    : !seen.configured
      ? `it appeared as ${seen.name} but was never configured`
      : `it is ${seen.name} (bus ${seen.busnum} address ${seen.devnum}) in sysfs but libusb does not list it (is udevd running?)`;
  throw infraError(`USB device ${id} did not enumerate within ${timeoutMs} ms: ${what}`);
}

function hex(n: number): string {
  return n.toString(16).padStart(4, '0');
}
