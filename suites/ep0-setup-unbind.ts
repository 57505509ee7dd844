import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { labContext } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { oneLine } from '@ffs-lab/host-runner/faults/one-line';
import { within } from '@ffs-lab/host-runner/faults/within';
import { UsbFunctionHandle } from '@ffs-lab/host-runner/usb/usb-function-handle';
import { openUsbFunction } from '@ffs-lab/host-runner/usb/usb-function-open';
import { FfsFunction } from '@ffs-lab/gadget-agent/gadget/ffs-function';
import type { Ep0Event } from '@ffs-lab/native/ep0';
import { native } from '@ffs-lab/native/bindings';

const VID = 0x1d6b;

/**
 * One round of the faults suite's ep0 fault, in-process: a gadget of our own FfsFunction holds a
 * vendor control request's SETUP unanswered while the UDC is unbound (or answers it at the same
 * instant as the unbind); both the host and ep0 must end with an error within `noticeMs`, and
 * after a rebind ep0 must answer a new request properly. Returns the round's one-line account.
 */
export async function setupUnbind(dir: 'IN' | 'OUT', race: boolean, noticeMs: number): Promise<string> {
  const serial = crypto.randomBytes(6).toString('hex');
  const fn = FfsFunction.create({
    gadget: { name: 'fault-ep0', vendorId: VID, productId: 0x012b, manufacturer: 'ffs-lab', product: 'faults ep0', serial, function: 'fault_ep0' },
    function: { endpoints: [{ number: 1, direction: 'in', type: 'bulk' }, { number: 2, direction: 'out', type: 'bulk' }] },
    strings: ['faults ep0'],
  });
  let host: UsbFunctionHandle | undefined;
  try {
    let seen: (ev: Ep0Event) => void = () => undefined;
    const setup = new Promise<Ep0Event>((r) => (seen = r));
    fn.onSetup = async (_ep0, ev) => seen(ev);
    fn.bind(labContext().udc);
    host = (await openUsbFunction({ vendorId: VID, productId: 0x012b, serial }, labContext().usb.enumerateTimeoutMs)).handle;
    await fn.waitEnabled();
    host.device.timeout = noticeMs;
    // Vendor request to interface 0; the data stage is what the unbind interrupts.
    const control = new Promise<string>((resolve) =>
      host!.device.controlTransfer(dir === 'IN' ? 0xc1 : 0x41, 0x5a, 0, 0, dir === 'IN' ? 64 : Buffer.alloc(64, 0xa5), (err) => resolve(err ? oneLine(err) : 'completed')),
    );
    await within(setup, 5000, 'the SETUP never reached ep0');
    assert.ok(fn.ep0.setupPending, 'the SETUP should be pending');
    let answer: Promise<unknown>;
    if (race) {
      answer = fn.ep0.answerSetup(dir === 'IN' ? Buffer.alloc(64, 0x5a) : undefined);
      fn.gadget.unbind();
    } else {
      fn.gadget.unbind();
      answer = fn.ep0.answerSetup(dir === 'IN' ? Buffer.alloc(64, 0x5a) : undefined);
    }
    const ep0 = await within(
      answer.then((b) => (Buffer.isBuffer(b) ? `read ${b.length} bytes` : 'answered'), (e: unknown) => errnoLine(e)),
      noticeMs,
      'the ep0 data stage never ended after the unbind',
    );
    const hostSaw = await within(control, noticeMs + 5000, 'the host control transfer never ended after the unbind');
    await host.close();
    host = undefined;
    // Rebind: ep0 must answer a new request of the same kind properly.
    // What ep0 saw and did after the rebind goes into a failure message.
    const eventsBefore = fn.events.length;
    const answers: string[] = [];
    fn.onSetup = (ep0h) => ep0h.answerSetup(Buffer.alloc(64, 0x3c)).then(
      () => void answers.push('answered'),
      (e: unknown) => void answers.push(errnoLine(e)),
    );
    fn.bind(labContext().udc);
    host = (await openUsbFunction({ vendorId: VID, productId: 0x012b, serial }, labContext().usb.enumerateTimeoutMs)).handle;
    await fn.waitEnabled();
    host.device.timeout = noticeMs;
    // One request, answered at once: a STALL here was our ep0 code reading ep0 while its answer
    // to an IN SETUP was still on its way (FunctionFS stalls a wrong-direction data stage).
    let refused = '';
    const again = await new Promise<Buffer | undefined>((resolve) =>
      host!.device.controlTransfer(0xc1, 0x5a, 0, 0, 64, (err, data) => (err ? ((refused = oneLine(err)), resolve(undefined)) : resolve(data as Buffer))),
    );
    assert.ok(
      Buffer.isBuffer(again) && again.length === 64 && again.every((b) => b === 0x3c),
      `after the rebind, ep0 did not answer a control IN request (${refused || `got ${again?.length ?? 0} bytes`}); ep0 events since the rebind: ${fn.events.slice(eventsBefore).map((e) => e.type).join(' ') || 'none'}; answers: ${answers.join(', ') || 'none'}; setup pending: ${fn.ep0.setupPending ? 'yes' : 'no'}`,
    );
    return `${dir} control request${race ? ' answered as the UDC was unbound' : ' unanswered at the unbind'}: ep0 ${ep0}; host ${hostSaw}; after rebind ep0 answered again`;
  } finally {
    await host?.close();
    fn.destroy();
  }
}

/** An errno error in one line; node has no name for some errnos f_fs returns (EIDRM is 43 on Linux). */
function errnoLine(e: unknown): string {
  const n = (e as { errno?: unknown })?.errno;
  return typeof n === 'number' && n < 0 ? `${native().errnoName(-n)} (${oneLine(e).replace(/^Unknown system error -\d+: /, '')})` : oneLine(e);
}
