import * as usb from 'usb';

/**
 * An opened device with one claimed interface and its bulk endpoints, found by direction (endpoint
 * numbers are whatever the UDC assigned; dummy_udc renumbers them). Lifecycle: open() -> use -> close().
 */
export class UsbFunctionHandle {
  private constructor(
    readonly device: usb.Device,
    readonly iface: usb.Interface,
    readonly bulkIn: usb.InEndpoint,
    readonly bulkOut: usb.OutEndpoint,
  ) {}

  /** Open `device`, claim interface `ifaceNumber`, find its first bulk IN and bulk OUT endpoints. */
  static open(device: usb.Device, ifaceNumber = 0): UsbFunctionHandle {
    try {
      device.open();
      // node usb reads the active configuration at open; a device that went away has none, and
      // one that goes away during open() makes it fail with a TypeError (no descriptor to read).
      if (!device.configDescriptor) throw new Error('no descriptor');
    } catch (err) {
      try {
        if (device.interfaces) device.close();
      } catch {
        /* the device is gone */
      }
      if ((err as { errno?: unknown }).errno !== undefined || device.configDescriptor) throw err;
      throw Object.assign(new Error(`USB device ${device.busNumber}-${device.deviceAddress} has no active configuration (it went away or is being reset)`), { code: 'ENOCONFIG' });
    }
    try {
      const iface = device.interface(ifaceNumber);
      tolerateVanishingDevice(iface);
      iface.claim();
      const bulk = iface.endpoints.filter((e) => e.transferType === usb.usb.LIBUSB_TRANSFER_TYPE_BULK);
      const bulkIn = bulk.find((e): e is usb.InEndpoint => e.direction === 'in');
      const bulkOut = bulk.find((e): e is usb.OutEndpoint => e.direction === 'out');
      if (!bulkIn || !bulkOut) throw new Error(`interface ${ifaceNumber} lacks a bulk IN or bulk OUT endpoint`);
      return new UsbFunctionHandle(device, iface, bulkIn, bulkOut);
    } catch (err) {
      device.close();
      throw err;
    }
  }

  /** Read a string descriptor by index (undefined for index 0). */
  stringDescriptor(index: number): Promise<string | undefined> {
    if (!index) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => this.device.getStringDescriptor(index, (err, value) => (err ? reject(err) : resolve(value))));
  }

  /** Release the interface and close the device; safe to call twice. */
  async close(): Promise<void> {
    try {
      await this.iface.releaseAsync();
    } catch {
      /* device gone or already released */
    }
    try {
      this.device.close();
    } catch {
      /* already closed */
    }
  }
}

/**
 * node usb's release callback re-reads the interface through refresh(), which reads the
 * device's configuration descriptor twice; when the device goes away between the two reads (a
 * UDC unbound as the interface is released, as the faults suite's ep0 race does), refresh()
 * throws inside libusb's callback: an uncaught TypeError, and a release that never settles (seen
 * once in ten rounds of the nightly profile). Nothing of a released interface is read again, so
 * a refresh that finds the device gone does nothing.
 */
export function tolerateVanishingDevice(iface: usb.Interface): void {
  const x = iface as unknown as { refresh(): void };
  const refresh = x.refresh.bind(iface);
  x.refresh = () => {
    try {
      refresh();
    } catch {
      /* the device went away: nothing to refresh */
    }
  };
}
