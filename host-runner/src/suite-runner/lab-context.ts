import type { KernelFeatures } from '@ffs-lab/contract/protocol';
import type { AgentClient } from '../agent/agent-client';
import type { TargetConfig } from '../config/lab-config';

/** What suites know about the kernel under test. */
export interface KernelUnderTest {
  release: string;
  /** The kernel's page size in bytes, as the agent reads it (4096 from an agent too old to say). */
  pageSize: number;
  /** The buddy allocator's largest order on the target (PAGE_SIZE << it is the largest contiguous allocation), when the agent says. */
  maxPageOrder?: number;
  /** The target's machine (`uname -m`) and the agent process's architecture (node's `process.arch`), when the agent says. */
  machine?: string;
  agentArch?: string;
  /** Lab variant (`patched`, `vanilla`, `debug`) when the lab built it. */
  variant?: string;
  /** Number of patches in the series the lab applied (for expectations), when known. */
  seriesLength?: number;
  /** File names of the patches the lab applied, in order, when known (a suite may gate a case on a fix). */
  patches?: string[];
  /** Probed features (`unknown` with the reason in the `*Probe` fields when the target has no probe). */
  features: KernelFeatures;
  /**
   * What the kernel is expected to offer: from the lab config's `features:` on hardware targets,
   * from the variant in the lab (patched/debug: mmap present, vanilla: absent). Unset = no expectation.
   */
  expected?: { mmap?: 'present' | 'absent'; dmabuf?: 'present' | 'absent' };
}

/** Lab tool paths on the target (the lab's build, or the lab config's `tools:`). */
export interface TargetTools {
  /** tools/usb/ffs-test: the kernel's own FunctionFS source/sink gadget. */
  ffsTest: string;
  /** tools/usb/testusb. */
  testusb: string;
  /** The ffs-features probe. */
  ffsFeatures: string;
  /** The series' kselftest binary, when known. */
  selftest?: string;
  /** tools/usb/ffs-aio-example's device apps, when built for the target (lab tools, or tools.aioSimple/aioMultibuff). */
  aioSimple?: string;
  aioMultibuff?: string;
  /**
   * The benchmark's C reference pair built for the target's architecture (the arm64 lab's);
   * absent: the bench suite finds or builds one with this machine's gcc.
   */
  cPair?: { gadget: string; host: string };
}

/** How the host recognises the target's gadget, and how long it waits for it (lab config `usb:`). */
export interface TargetUsb {
  vendorId?: number;
  productId?: number;
  serial?: string;
  /** ms; default 15000. */
  enumerateTimeoutMs: number;
}

/** An agent session a suite opened: close() shuts the agent down and closes the transport. */
export interface AgentHandle {
  agent: AgentClient;
  close(): Promise<void>;
}

/**
 * Everything a suite needs from the runner, set once before mocha loads the suite files.
 * Suites read it with {@link labContext}; they never build transports themselves.
 */
export interface LabContext {
  kernel: KernelUnderTest;
  /** Lab tools (ffs-test, testusb, probes); absent on targets without the lab's tool build. */
  tools?: TargetTools;
  /** UDC to pass to `gadget.bind` (lab config `udc:`); undefined = the agent picks the only one. */
  udc?: string;
  /** USB match and enumeration timeout for the host side. */
  usb: TargetUsb;
  /** How the target was reached, for messages (e.g. `ssh://root@127.0.0.1:22`). */
  targetDescription: string;
  /** Start a fresh agent on the target (a new transport connection and agent process). */
  startAgent(): Promise<AgentHandle>;
  /** The target as configured, for a suite that starts a runner process of its own (the fault campaign kills one). */
  target?: TargetConfig;
}

let current: LabContext | undefined;

/** Install the context for the suites about to run. */
export function setLabContext(ctx: LabContext | undefined): void {
  current = ctx;
}

/** The context of the running suites; throws when suites are loaded outside the runner. */
export function labContext(): LabContext {
  if (!current) throw new Error('suites must be run by ffs-lab (no lab context)');
  return current;
}

/** Does the kernel under test carry this patch of the lab's series (file name without its number)? Unknown kernels: no. */
export function kernelCarriesPatch(name: string): boolean {
  return labContext().kernel.patches?.some((p) => p.includes(name)) ?? false;
}
