import * as path from 'node:path';
import { Ep0, type Ep0Event } from '@ffs-lab/native/ep0';
import { buildDescriptors, buildStrings } from '@ffs-lab/native/descriptors';
import { type FunctionSpec } from '@ffs-lab/contract/function-spec';
import { ConfigfsGadget } from './configfs-gadget';
import type { GadgetSpec } from '@ffs-lab/contract/protocol';

/** Options of {@link FfsFunction.create}. */
export interface FfsFunctionOptions {
  gadget: GadgetSpec;
  function: FunctionSpec;
  /** US-English strings; index 1 is the interface name. */
  strings: string[];
}

/**
 * A FunctionFS function served by this process through the native addon: the configfs gadget,
 * the mount, ep0 (descriptors, strings, events). SETUP requests nobody handles are stalled.
 * Lifecycle: create() -> bind() -> waitEnabled() -> endpoint I/O -> destroy().
 */
export class FfsFunction {
  /** Every ep0 event seen, in order. */
  readonly events: Ep0Event[] = [];
  private enabled = false;
  private enables = 0;
  private waiters: Array<() => void> = [];
  /** Answer SETUPs; the default stalls them. */
  onSetup: ((ep0: Ep0, ev: Ep0Event) => Promise<void>) | undefined;

  private constructor(readonly gadget: ConfigfsGadget, readonly ep0: Ep0) {}

  /** Build the gadget, mount FunctionFS, write descriptors and strings, start ep0 events. */
  static create(opts: FfsFunctionOptions): FfsFunction {
    const descriptors = buildDescriptors(opts.function);
    const strings = buildStrings({ 0x0409: opts.strings });
    const gadget = new ConfigfsGadget(opts.gadget);
    gadget.create();
    let ep0: Ep0 | undefined;
    try {
      ep0 = Ep0.open(gadget.mountPoint!);
      ep0.writeDescriptors(descriptors);
      ep0.writeStrings(strings);
    } catch (err) {
      ep0?.close();
      gadget.remove();
      throw err;
    }
    const f = new FfsFunction(gadget, ep0);
    ep0.on('event', (ev: Ep0Event) => f.onEvent(ev));
    ep0.on('error', () => undefined);
    ep0.start();
    return f;
  }

  /** Path of data endpoint file N (1-based, in descriptor order). */
  endpointPath(n: number): string {
    return path.join(this.gadget.mountPoint!, `ep${n}`);
  }

  get mountPoint(): string {
    return this.gadget.mountPoint!;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  bind(udc?: string): string {
    return this.gadget.bind(udc);
  }

  /** Resolve once the host has set a configuration (ENABLE); reject after `timeoutMs`. */
  waitEnabled(timeoutMs = 10_000): Promise<void> {
    if (this.enabled) return Promise.resolve();
    return this.waitForEnable(timeoutMs);
  }

  /**
   * ENABLE events so far: the host's SET_CONFIGURATION and SET_INTERFACE each make one (a
   * SET_INTERFACE without a DISABLE before it).
   */
  get enableCount(): number {
    return this.enables;
  }

  /** Resolve once the function is enabled by an ENABLE after the first `count`; reject after `timeoutMs`. */
  waitEnabledAfter(count: number, timeoutMs: number): Promise<void> {
    if (this.enabled && this.enables > count) return Promise.resolve();
    return this.waitForEnable(timeoutMs);
  }

  private waitForEnable(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        // A waiter that gave up is dropped: long waits in turns must not pile them up.
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`function not enabled within ${timeoutMs} ms (events: ${this.events.map((e) => e.type).join(', ') || 'none'})`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Unbind, close ep0, unmount and remove the gadget. Endpoint files must be closed first. */
  destroy(): void {
    try {
      this.gadget.unbind();
    } finally {
      this.ep0.close();
      this.gadget.remove();
    }
  }

  private onEvent(ev: Ep0Event): void {
    this.events.push(ev);
    if (ev.type === 'ENABLE') {
      this.enabled = true;
      this.enables++;
      for (const w of this.waiters.splice(0)) w();
    } else if (ev.type === 'DISABLE' || ev.type === 'UNBIND') {
      this.enabled = false;
    } else if (ev.type === 'SETUP') {
      const handler = this.onSetup ?? ((e0: Ep0) => e0.stallSetup());
      handler(this.ep0, ev).catch(() => undefined);
    }
  }
}
