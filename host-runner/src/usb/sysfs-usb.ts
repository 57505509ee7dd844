import * as fs from 'node:fs';
import * as path from 'node:path';

const DEVICES = '/sys/bus/usb/devices';

/** A USB device as the host kernel lists it in sysfs. */
export interface SysfsUsbDevice {
  /** sysfs name, e.g. `1-1`. */
  name: string;
  busnum: number;
  devnum: number;
  vendorId: number;
  productId: number;
  serial?: string;
  /** Negotiated speed in Mbit/s (12, 480, 5000...). */
  speedMbps: number;
  /** True once a configuration is set and interface 0 exists (the host finished enumeration). */
  configured: boolean;
}

function read(dir: string, attr: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, attr), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Every USB device (not interfaces, not root hubs' interfaces) in sysfs. */
export function listSysfsDevices(): SysfsUsbDevice[] {
  let names: string[];
  try {
    names = fs.readdirSync(DEVICES);
  } catch {
    return [];
  }
  const out: SysfsUsbDevice[] = [];
  for (const name of names.filter((n) => !n.includes(':'))) {
    const dir = path.join(DEVICES, name);
    const vid = read(dir, 'idVendor');
    const pid = read(dir, 'idProduct');
    if (!vid || !pid) continue;
    const serial = read(dir, 'serial');
    out.push({
      name,
      busnum: Number(read(dir, 'busnum')),
      devnum: Number(read(dir, 'devnum')),
      vendorId: parseInt(vid, 16),
      productId: parseInt(pid, 16),
      ...(serial !== undefined ? { serial } : {}),
      speedMbps: Number(read(dir, 'speed') ?? 0),
      configured: Boolean(read(dir, 'bConfigurationValue')) && fs.existsSync(path.join(dir, `${name}:${read(dir, 'bConfigurationValue')}.0`)),
    });
  }
  return out;
}
