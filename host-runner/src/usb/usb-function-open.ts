import * as usb from 'usb';
import { waitForUsbDevice, type FoundDevice, type UsbMatch } from './usb-device-wait';
import { UsbFunctionHandle } from './usb-function-handle';

/** A device found by {@link openUsbFunction}, opened, with its interface claimed. */
export interface OpenedFunction extends FoundDevice {
  handle: UsbFunctionHandle;
}

/** libusb errors that mean the device went away (or is re-enumerating) between listing and opening. */
const GONE = new Set([usb.usb.LIBUSB_ERROR_NO_DEVICE, usb.usb.LIBUSB_ERROR_NOT_FOUND, usb.usb.LIBUSB_ERROR_IO]);

/**
 * Wait for a matching device (waitForUsbDevice) and open it (UsbFunctionHandle.open). A device
 * that vanishes between the two, as one does when a gadget is unbound and bound again in quick
 * succession and the host still lists the old instance, is waited for again until `timeoutMs`
 * has passed in all; other open errors are thrown at once.
 */
export async function openUsbFunction(match: UsbMatch, timeoutMs = 15_000, ifaceNumber = 0): Promise<OpenedFunction> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await waitForUsbDevice(match, Math.max(1000, deadline - Date.now()));
    try {
      return { ...found, handle: UsbFunctionHandle.open(found.device, ifaceNumber) };
    } catch (err) {
      if (!deviceWentAway(err) || Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function deviceWentAway(err: unknown): boolean {
  const e = err as { errno?: unknown; code?: unknown };
  return (typeof e?.errno === 'number' && GONE.has(e.errno)) || e?.code === 'ENOCONFIG';
}
