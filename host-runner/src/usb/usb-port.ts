import * as fs from 'node:fs';
import * as path from 'node:path';

const DEVICES = '/sys/bus/usb/devices';

/**
 * Where a device is plugged in, as a lab names the host's ports: the sysfs name (`1-2.3`: bus 1,
 * root port 2, hub port 3) or udev's ID_PATH, which labgrid's USB resources match on
 * (`pci-0000:00:14.0-usb-0:2.3`; an interface suffix such as `:1.0` is ignored). ID_PATH stays
 * the same when bus numbers are handed out in another order after a reboot.
 */
export function portMatches(sysName: string, port: string): boolean {
  return portNamesMatch(sysName, idPathOf(sysName), port);
}

/** {@link portMatches} on names already read: the sysfs name, or the ID_PATH without an interface suffix. */
export function portNamesMatch(sysName: string, idPath: string | undefined, port: string): boolean {
  if (sysName === port) return true;
  // `...-usb-0:2.3:1.0` names interface 0 of configuration 1 on port 2.3: the device is `...-usb-0:2.3`.
  const wanted = port.replace(/(-usb-\d+:\d+(?:\.\d+)*):\d+\.\d+$/, '$1');
  return idPath !== undefined && idPath === wanted;
}

/**
 * udev's ID_PATH of a USB device (path_id's rules for the parts that lead to USB: the closest
 * PCI or platform device, then `usb-0:` and the port chain), or undefined when sysfs does not
 * have the device.
 */
export function idPathOf(sysName: string): string | undefined {
  let real: string;
  try {
    real = fs.realpathSync(path.join(DEVICES, sysName));
  } catch {
    return undefined;
  }
  const parts = real.split('/');
  const bus = parts.findIndex((p) => /^usb\d+$/.test(p));
  const ports = /^\d+-(.+)$/.exec(sysName)?.[1];
  if (bus < 1 || ports === undefined) return undefined;
  const parent = parts[bus - 1]!;
  const usb = `usb-0:${ports}`;
  if (/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]$/i.test(parent)) return `pci-${parent}-${usb}`;
  if (parts.includes('platform')) return `platform-${parent}-${usb}`;
  return `${parent}-${usb}`;
}

/** The port this process's USB lookups are confined to (a target's `usb.port`); undefined: anywhere. */
let confinedTo: string | undefined;

/**
 * Confine every USB device lookup of this process to one port (or none): set from the target's
 * `usb.port` before its suites run, so that a host with several boards of one kind never opens
 * another board's gadget, whatever VID:PID or serial a suite asks for. One target per process:
 * several targets run as separate processes (`ffs-lab run` with more than one `--target`).
 */
export function confineToUsbPort(port: string | undefined): void {
  confinedTo = port;
}

/** The port set by {@link confineToUsbPort}. */
export function confinedUsbPort(): string | undefined {
  return confinedTo;
}
