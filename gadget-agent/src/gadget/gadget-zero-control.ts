import type { Ep0, Ep0Event } from '@ffs-lab/native/ep0';

/** f_sourcesink's control buffer: composite's ep0 request (USB_COMP_EP0_BUFSIZ). */
const EP0_BUFFER_BYTES = 4096;
const USB_DIR_IN = 0x80;
const USB_TYPE_VENDOR = 0x40;
const USB_RECIP_INTERFACE = 0x01;
const USB_REQ_GET_STATUS = 0x00;
/** usbtest's control-write test request (test 14): the host's data is kept. */
const GZ_CONTROL_WRITE = 0x5b;
/** usbtest's control-read test request: the kept data goes back. */
const GZ_CONTROL_READ = 0x5c;

/**
 * The control requests the kernel's Gadget Zero (f_sourcesink's setup()) answers, for a
 * FunctionFS function that asks for every recipient (FUNCTIONFS_ALL_CTRL_RECIP): vendor 0x5b
 * (OUT, wValue = wIndex = 0) stores up to 4096 bytes, vendor 0x5c (IN) returns that many of them.
 * GET_STATUS of the interface is two zero bytes: what composite answers itself on a SuperSpeed
 * gadget (below SuperSpeed it passes the request on, and f_sourcesink stalls it; usbtest's queued
 * control test expects an answer). The rest is stalled, as f_sourcesink does. One buffer per
 * function, like f_sourcesink's.
 */
export function gadgetZeroControl(): (ep0: Ep0, ev: Ep0Event) => Promise<void> {
  const kept = Buffer.alloc(EP0_BUFFER_BYTES);
  return async (ep0, ev) => {
    const s = ev.setup!;
    const plain = s.wValue === 0 && s.wIndex === 0 && s.wLength <= EP0_BUFFER_BYTES;
    if (s.bRequest === GZ_CONTROL_WRITE && s.bRequestType === USB_TYPE_VENDOR && plain) {
      const data = await ep0.answerSetup();
      data?.copy(kept);
      return;
    }
    if (s.bRequest === GZ_CONTROL_READ && s.bRequestType === (USB_DIR_IN | USB_TYPE_VENDOR) && plain) {
      await ep0.answerSetup(kept.subarray(0, s.wLength));
      return;
    }
    if (s.bRequest === USB_REQ_GET_STATUS && s.bRequestType === (USB_DIR_IN | USB_RECIP_INTERFACE) && s.wValue === 0 && s.wLength === 2) {
      await ep0.answerSetup(Buffer.alloc(2));
      return;
    }
    await ep0.stallSetup();
  };
}
