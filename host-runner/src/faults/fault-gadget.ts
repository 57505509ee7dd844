import type { AgentClient } from '../agent/agent-client';
import type { ProbeSystemState } from '@ffs-lab/contract/mmap-probe-protocol';
import { waitForUsbDevice } from '../usb/usb-device-wait';
import { UsbFunctionHandle } from '../usb/usb-function-handle';

/** Options of {@link FaultGadget.create}. */
export interface FaultGadgetOptions {
  /** Gadget name (configfs `ffslab-<name>`) and FunctionFS instance (`-` becomes `_`). */
  name: string;
  vendorId: number;
  productId: number;
  serial: string;
  /** mmap_memory_mb of the function's mount; absent = no option (kernels without mmap). */
  mmapMb?: number;
  /** Open the device and claim its interface on the host (default true); false = only wait until it is configured. */
  openHost?: boolean;
  udc?: string;
  enumerateTimeoutMs: number;
}

/**
 * The agent's function (function.create, bound) as a fault test uses it: the host side found,
 * opened, and the function enabled; re-attach after a disconnect, reset or rebind; remove.
 * Lifecycle: create() -> (fault) -> reattach()* -> remove().
 */
export class FaultGadget {
  /** The host's handle, when open. */
  dev: UsbFunctionHandle | undefined;
  private last: { busnum: number; devnum: number } | undefined;

  private constructor(readonly agent: AgentClient, readonly o: FaultGadgetOptions) {}

  /** Create, bind, enumerate, open (unless openHost is false) and wait for ENABLE. */
  static async create(agent: AgentClient, o: FaultGadgetOptions): Promise<FaultGadget> {
    await agent.call('function.create', {
      gadget: {
        name: o.name,
        vendorId: o.vendorId,
        productId: o.productId,
        manufacturer: 'ffs-lab',
        product: `faults ${o.name}`,
        serial: o.serial,
        function: o.name.replace(/-/g, '_'),
        ...(o.mmapMb !== undefined ? { mountOptions: { mmap_memory_mb: o.mmapMb } } : {}),
      },
    });
    const g = new FaultGadget(agent, o);
    try {
      await agent.call('gadget.bind', o.udc ? { udc: o.udc } : {});
      await g.attach(false);
    } catch (err) {
      await g.remove().catch(() => undefined);
      throw err;
    }
    return g;
  }

  /**
   * Find the device again and wait for ENABLE. `newDevice`: after a disconnect or rebind the host
   * gives it a new address, so wait for that one rather than the old entry still in sysfs.
   */
  async attach(newDevice: boolean): Promise<void> {
    await this.closeHost();
    const deadline = Date.now() + this.o.enumerateTimeoutMs;
    for (;;) {
      const found = await waitForUsbDevice({ vendorId: this.o.vendorId, productId: this.o.productId, serial: this.o.serial }, Math.max(1000, deadline - Date.now()));
      const stale = newDevice && this.last && found.sysfs.busnum === this.last.busnum && found.sysfs.devnum === this.last.devnum;
      if (!stale) {
        this.last = { busnum: found.sysfs.busnum, devnum: found.sysfs.devnum };
        if (this.o.openHost !== false) this.dev = UsbFunctionHandle.open(found.device);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the device did not come back with a new address within ${this.o.enumerateTimeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.agent.call('function.status', { waitEnabledMs: 10_000 }, 15_000);
  }

  /** Close the host handle (if open); safe twice. */
  async closeHost(): Promise<void> {
    const d = this.dev;
    this.dev = undefined;
    await d?.close();
  }

  /** Close the host side and remove the gadget on the agent (when the agent still answers). */
  async remove(): Promise<void> {
    await this.closeHost();
    await this.agent.call('gadget.remove', {}, 30_000);
  }
}

/**
 * The mount's mmap quota left now: map on `file` of the agent's function until the kernel refuses
 * (mmap.fill), then release it all. Bytes.
 */
export async function mmapQuota(agent: AgentClient, file = 'ep1'): Promise<number> {
  const { fd } = await agent.call('mmap.open', { mount: 'function', file });
  try {
    const f = await agent.call('mmap.fill', { fd }, 60_000);
    for (const b of f.buffers) await agent.call('mmap.release', { buffer: b });
    if (f.stoppedBy !== 'ENOMEM') throw new Error(`mmap.fill stopped by ${f.stoppedBy}, not by the quota (ENOMEM)`);
    return f.bytes;
  } finally {
    await agent.call('mmap.close', { fd }).catch(() => undefined);
  }
}

/**
 * What a fault left behind on the target compared with before the suite: ffs-lab gadgets in
 * configfs, FunctionFS mounts, and (for an agent still running) mappings. Empty = nothing left.
 */
export function leftovers(before: ProbeSystemState, now: ProbeSystemState, agentMappings = 0): string[] {
  const out: string[] = [];
  const newGadgets = now.gadgets.filter((g) => !before.gadgets.includes(g));
  if (newGadgets.length) out.push(`gadget(s) left in configfs: ${newGadgets.join(', ')}`);
  const key = (m: { source: string; target: string }) => `${m.source} on ${m.target}`;
  const had = new Set(before.mounts.map(key));
  const newMounts = now.mounts.map(key).filter((m) => !had.has(m));
  if (newMounts.length) out.push(`FunctionFS mount(s) left: ${newMounts.join(', ')}`);
  if (agentMappings) out.push(`${agentMappings} mapping(s) left in the agent`);
  return out;
}
