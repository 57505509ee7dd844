import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import type { ProbeSystemState } from '@ffs-lab/contract/mmap-probe-protocol';
import type { IoModeName } from '@ffs-lab/contract/io-modes';
import { labContext, type AgentHandle } from '../suite-runner/lab-context';
import { FaultGadget, leftovers } from './fault-gadget';
import { FaultStream, streamProblems } from './fault-stream';

const KiB = 1024;
const MiB = 1024 * KiB;
const VID = 0x1d6b;
/** Where the agent mounts FunctionFS (gadget-agent/src/gadget/functionfs-mount.ts): a mapping of a file below it is ours. */
const FFS_MOUNT_ROOT = '/run/ffs-lab/ffs/';

/**
 * The target as fault tests see it: a "watcher" agent, started before any gadget exists, that
 * signals the agents under test from the gadget machine (the runner on the host has no pid to
 * signal on a board) and checks the target between faults; the agents under test, closed after
 * each test; and the checks every fault ends with (nothing left, a fresh gadget passes).
 * Agents started later remove stale gadgets; the watcher holds none, so nothing of it is ever
 * removed underneath. Lifecycle: open() in `before`, endTest() in `afterEach`, close() in `after`.
 */
export class FaultTarget {
  private readonly opened: AgentHandle[] = [];

  private constructor(
    public watcher: AgentHandle,
    /** The target before any fault: what "nothing left" compares with. */
    readonly baseline: ProbeSystemState,
    /** The kernel has mmap zero-copy: streams use mmap buffers and mounts get a quota. */
    readonly mmap: boolean,
    /** mmap_memory_mb of every fault mount (when mmap). */
    readonly mmapMb: number,
  ) {}

  static async open(mmapMb: number): Promise<FaultTarget> {
    const watcher = await labContext().startAgent();
    return new FaultTarget(watcher, await watcher.agent.call('mmap.mounts', {}), labContext().kernel.features.mmap === 'present', mmapMb);
  }

  /** A fresh agent under test (closed by endTest()). */
  async start(): Promise<AgentHandle> {
    const h = await labContext().startAgent();
    this.opened.push(h);
    return h;
  }

  /** The default stream mode: mmap where the kernel has it, else aio. */
  defaultMode(): IoModeName {
    return this.mmap ? 'mmap' : 'aio';
  }

  /** The agent's function on `agent`, bound, found and (unless openHost is false) opened on the host. */
  gadget(agent: AgentHandle, name: string, productId: number, openHost = true): Promise<FaultGadget> {
    return FaultGadget.create(agent.agent, {
      name,
      vendorId: VID,
      productId,
      serial: crypto.randomBytes(6).toString('hex'),
      ...(this.mmap ? { mmapMb: this.mmapMb } : {}),
      openHost,
      ...(labContext().udc ? { udc: labContext().udc } : {}),
      enumerateTimeoutMs: labContext().usb.enumerateTimeoutMs,
    });
  }

  /** A stream on `g` for a fault to strike; `timeoutMs` bounds the whole stream at both ends (default 120 s). */
  stream(g: FaultGadget, kind: 'source' | 'sink', totalBytes: number, seed: number, mode = this.defaultMode(), transferSize = 64 * KiB, depth = 8, timeoutMs = 120_000): Promise<FaultStream> {
    return FaultStream.start(g.agent, g.dev!, { kind, mode, depth, transferSize, totalBytes, seed, timeoutMs });
  }

  /** A whole stream each way on `g`: every byte, in order, as planned. */
  async healthy(g: FaultGadget, seed: number, bytes = 2 * MiB): Promise<void> {
    for (const kind of ['source', 'sink'] as const) {
      const s = await this.stream(g, kind, bytes, seed);
      const host = await s.host(60_000);
      const agent = await s.agentReport(!host || Boolean(host.error));
      if (!host) assert.fail(`after the fault, the host end of a ${kind} stream of ${bytes} bytes did not end within 60 s (agent end: ${agent.state}, ${(agent.sent ?? agent.received)?.bytes ?? 0} bytes)`);
      assert.deepEqual(streamProblems(s.o, agent, host), [], `after the fault, a ${kind} stream on the function`);
    }
  }

  /** "The next test passes on a fresh gadget": a new function on `h`, a stream each way, removed. */
  async freshGadgetPasses(h: AgentHandle, productId: number, seed: number): Promise<void> {
    const g = await this.gadget(h, 'fault-fresh', productId);
    try {
      await this.healthy(g, seed, MiB);
    } finally {
      await g.remove();
    }
  }

  /**
   * Nothing left on the target compared with before the suite (the agents under test closed
   * first): no gadget in configfs, no FunctionFS mount, and no process anywhere on the target
   * with a file of ours mapped. Polls for up to 10 s, since teardown after a kill takes a moment.
   */
  async nothingLeft(): Promise<void> {
    let left: string[] = [];
    for (let i = 0; i < 50; i++) {
      left = [...leftovers(this.baseline, await this.watcher.agent.call('mmap.mounts', {})), ...(await this.mappedAnywhere())];
      if (!left.length) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(left, [], 'left on the target after the fault');
  }

  /** Mappings of FunctionFS files in any process on the target (from /proc/<pid>/maps), one line per process. */
  private async mappedAnywhere(): Promise<string[]> {
    // One grep over every maps file: a shell loop forking grep per process took over 20 s on the
    // debug kernel under TCG. -s: a process that exits meanwhile is not an error worth a word.
    const script = 'grep -s -l -F -- "$1" /proc/[0-9]*/maps; exit 0';
    const r = await this.watcher.agent.call('program.run', { argv: ['/bin/sh', '-c', script, 'sh', FFS_MOUNT_ROOT], timeoutMs: 60_000 }, 70_000);
    if (r.exitCode !== 0) throw new Error(`cannot read the target's /proc/*/maps: exit ${r.exitCode ?? r.signal}: ${r.stderr.trim()}`);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((p) => `process ${p.replace(/^\/proc\//, '').replace(/\/maps$/, '')} still maps a FunctionFS file`);
  }

  /** Poll until `pid` has exited on the target (ms bound). */
  async gone(pid: number, ms: number): Promise<boolean> {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      if (!(await this.watcher.agent.call('fault.process', { pid })).alive) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  /** After each test: close the agents under test; after a failure, a new watcher (it removes stale gadgets), so the next test starts clean. */
  async endTest(failed: boolean): Promise<void> {
    for (const h of this.opened.splice(0)) await h.close().catch(() => undefined);
    if (failed) {
      await this.watcher.close().catch(() => undefined);
      this.watcher = await labContext().startAgent();
    }
  }

  async close(): Promise<void> {
    for (const h of this.opened.splice(0)) await h.close().catch(() => undefined);
    await this.watcher.close();
  }
}
