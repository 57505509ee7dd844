import * as crypto from 'node:crypto';
import type { AgentClient } from '@ffs-lab/host-runner/agent/agent-client';
import { labContext } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { UsbFunctionHandle } from '@ffs-lab/host-runner/usb/usb-function-handle';
import { openUsbFunction } from '@ffs-lab/host-runner/usb/usb-function-open';

/** What tells one suite's probe function from another's on the bus. */
export interface ProbeFunctionSpec {
  /** configfs gadget name, e.g. `zero-copy`. */
  name: string;
  /** FunctionFS instance name, e.g. `zero_copy`. */
  function: string;
  /** Product string. */
  product: string;
  /** The suite's own product id under vendor 0x1d6b. */
  productId: number;
  /** FunctionFS mount options (default: none). */
  mountOptions?: Record<string, string | number>;
}

/**
 * Create the agent's function (the default stream function: bulk IN ep1, bulk OUT ep2), bind it,
 * open it on the host (both bulk endpoints with a 10 s timeout) and wait until the gadget side is
 * enabled: what the probe suites (zero-copy, mmap-limits, mmap-protection) do before their cases.
 * Lifecycle: the caller closes the handle, then calls `gadget.remove`.
 */
export async function bindProbeFunction(a: AgentClient, spec: ProbeFunctionSpec): Promise<UsbFunctionHandle> {
  const ctx = labContext();
  const serial = crypto.randomBytes(6).toString('hex');
  await a.call('function.create', {
    gadget: { name: spec.name, vendorId: 0x1d6b, productId: spec.productId, manufacturer: 'ffs-lab', product: spec.product, serial, function: spec.function, ...(spec.mountOptions ? { mountOptions: spec.mountOptions } : {}) },
  });
  await a.call('gadget.bind', ctx.udc ? { udc: ctx.udc } : {});
  const dev = (await openUsbFunction({ vendorId: 0x1d6b, productId: spec.productId, serial }, ctx.usb.enumerateTimeoutMs)).handle;
  dev.bulkIn.timeout = 10_000;
  dev.bulkOut.timeout = 10_000;
  await a.call('function.status', { waitEnabledMs: 10_000 }, 15_000);
  return dev;
}

/** Undo {@link bindProbeFunction}, whatever state a failure left: cancel the probes' transfers, close the host side, remove the gadget. */
export async function releaseProbeFunction(a: AgentClient | undefined, dev: UsbFunctionHandle | undefined): Promise<void> {
  await a?.call('mmap.reset', {}).catch(() => undefined);
  await dev?.close();
  await a?.call('gadget.remove', {}).catch(() => undefined);
}
