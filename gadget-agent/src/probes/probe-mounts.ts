import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentError } from '../session/agent-error';
import { GADGET_PREFIX, GADGET_ROOT } from '@ffs-lab/contract/gadget-names';
import { FfsFunction } from '../gadget/ffs-function';
import { DEFAULT_STREAM_FUNCTION } from '../gadget/function-params';
import { functionfsMounts, remountFunctionfs } from '../gadget/functionfs-mount';
import type { ProbeMemInfo, ProbeMountInfo, ProbeSystemState } from '@ffs-lab/contract/mmap-probe-protocol';
import { native } from '@ffs-lab/native/bindings';

/**
 * FunctionFS mounts made for mmap probes (`mmap.mount`): each is an unbound configfs gadget with
 * one FunctionFS instance mounted with the given options and descriptors written (bulk IN ep1, bulk
 * OUT ep2), so its endpoint files exist and can be mapped. Never bound: the limits do not need a
 * host. Lifecycle: create() -> (probe files and buffers on it) -> remove() / removeAll().
 */
export class ProbeMounts {
  private readonly mounts = new Map<number, FfsFunction>();
  private nextId = 1;

  /** Mount with `mountOptions`; a refused option string fails with the mount's errno (EINVAL) and leaves nothing behind. */
  create(mountOptions: Record<string, string | number | boolean> | undefined): ProbeMountInfo {
    const id = this.nextId++;
    const fn = FfsFunction.create({
      gadget: {
        name: `mmap-probe-${id}`,
        vendorId: 0x1d6b,
        productId: 0x0104,
        manufacturer: 'ffs-lab',
        product: 'mmap probe',
        serial: `mmap-probe-${id}`,
        function: `ffslab_mmap${id}`,
        ...(mountOptions ? { mountOptions } : {}),
      },
      function: DEFAULT_STREAM_FUNCTION,
      strings: ['mmap probe'],
    });
    this.mounts.set(id, fn);
    return this.info(id);
  }

  /** Remount probe mount `id` with `mountOptions` (a refused option string fails with EINVAL); its options afterwards. */
  remount(id: number, mountOptions: Record<string, string | number | boolean> | undefined): ProbeMountInfo {
    remountFunctionfs(this.get(id).mountPoint, mountOptions);
    return this.info(id);
  }

  /** Mount point and /proc/mounts options of probe mount `id`. */
  private info(id: number): ProbeMountInfo {
    const mount = this.get(id).mountPoint;
    return { id, mount, options: functionfsMounts().find((m) => m.target === mount)?.options ?? '' };
  }

  /** The mount point of probe mount `id`. */
  mountPoint(id: number): string {
    return this.get(id).mountPoint;
  }

  /** The ep0 descriptor of probe mount `id` (owned by the mount; dup it to keep it). */
  ep0Fd(id: number): number {
    return this.get(id).ep0.fd;
  }

  /** Close ep0, unmount, remove the gadget. Files and mappings on it must be released first. */
  remove(id: number): void {
    const fn = this.get(id);
    this.mounts.delete(id);
    fn.destroy();
  }

  /** Remove every probe mount; errors are logged, the rest still go. */
  removeAll(log: (line: string) => void): void {
    for (const id of [...this.mounts.keys()]) {
      try {
        this.remove(id);
      } catch (err) {
        log(`mmap probe mount ${id}: ${(err as Error).message}`);
      }
    }
  }

  private get(id: number): FfsFunction {
    const fn = this.mounts.get(id);
    if (!fn) throw new AgentError('BAD_REQUEST', `no mmap probe mount ${id}`);
    return fn;
  }
}

/** The kernel's memory figures from /proc/meminfo (KiB); a field the kernel lacks reads 0. */
export function memInfo(): ProbeMemInfo {
  const text = fs.readFileSync('/proc/meminfo', 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { memAvailableKiB: field('MemAvailable'), memFreeKiB: field('MemFree'), vmallocUsedKiB: field('VmallocUsed'), slabKiB: field('Slab') };
}

/** What is mounted and configured now (every functionfs mount, every ffs-lab gadget) and the agent's live mappings. */
export function probeSystemState(): ProbeSystemState {
  let gadgets: string[] = [];
  try {
    gadgets = fs.readdirSync(GADGET_ROOT).filter((n) => n.startsWith(GADGET_PREFIX));
  } catch {
    /* no configfs: no gadgets */
  }
  return {
    mounts: functionfsMounts().map((m) => ({ source: m.source, target: path.normalize(m.target), options: m.options })),
    gadgets,
    liveMappings: native().liveMappings(),
  };
}
