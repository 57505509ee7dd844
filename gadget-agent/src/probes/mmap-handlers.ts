import * as path from 'node:path';
import { AgentError } from '../session/agent-error';
import { ProbeMemory } from './probe-memory';
import { memInfo, ProbeMounts, probeSystemState } from './probe-mounts';
import { killRaceChildren, raceMmap } from './mmap-race';
import { ensureContiguous } from './contiguous-memory';
import type { Methods } from '@ffs-lab/contract/protocol';

type MmapMethod = Extract<keyof Methods, `mmap.${string}`>;
type Handler<M extends MmapMethod> = (params: Methods[M]['params']) => Promise<Methods[M]['result']> | Methods[M]['result'];

/** The agent's function as the probes see it: its mount point, when one exists. */
export interface ProbeFunctionView {
  mountPoint(): string | undefined;
}

/** Mount key of a probe mount in ProbeMemory. */
const key = (ref: number | 'function') => (ref === 'function' ? 'function' : `m${ref}`);

/**
 * The `mmap.*` methods (probes of the mapping, limit and zero-copy rules), on probe mounts of
 * their own or on the function of `function.create`. Lifecycle: releaseFunction() before the function
 * goes; reset() releases everything; teardown() for exit paths.
 */
export class MmapHandlers {
  private readonly mounts = new ProbeMounts();
  private readonly memory = new ProbeMemory();

  constructor(private readonly fn: ProbeFunctionView, private readonly log: (line: string) => void) {}

  /** Params arrive checked against the method's schema (contract/src/request-schemas.ts); defaults are filled in here. */
  readonly handlers: { [M in MmapMethod]: Handler<M> } = {
    'mmap.mount': (p) => this.mounts.create(p.mountOptions),
    'mmap.unmount': (p) => {
      this.memory.releaseMount(key(p.id));
      this.mounts.remove(p.id);
      return {};
    },
    'mmap.remount': (p) => this.mounts.remount(p.id, p.mountOptions),
    'mmap.mounts': () => probeSystemState(),
    'mmap.meminfo': () => memInfo(),
    'mmap.contiguous': (p) => ensureContiguous(p.order),
    'mmap.open': (p) => {
      if (p.file === 'ep0') {
        // ep0 is open once, by the mount's owner: take a dup of its descriptor.
        if (p.mount === 'function') throw new AgentError('BAD_REQUEST', "mmap.open: ep0 only on probe mounts (the function's ep0 serves the host)");
        return { fd: this.memory.adoptDup(this.mounts.ep0Fd(p.mount), key(p.mount)) };
      }
      return { fd: this.memory.open(path.join(this.mountPoint(p.mount), p.file), key(p.mount), p.access ?? 'rw') };
    },
    'mmap.dup': (p) => ({ fd: this.memory.dup(p.fd) }),
    'mmap.close': (p) => {
      this.memory.close(p.fd);
      return {};
    },
    'mmap.buffer': (p) => {
      const prot = p.prot ?? 'rw';
      if (p.kind === 'anonymous') return this.memory.buffer({ kind: p.kind, bytes: p.bytes, prot });
      return this.memory.buffer({ kind: p.kind, bytes: p.bytes, fd: p.fd!, private: p.private ?? false, offset: p.offset ?? 0, tailBytes: p.tailBytes ?? 0, prot });
    },
    'mmap.protect': (p) => {
      this.memory.protect(p.buffer, p.prot, p.offset !== undefined || p.length !== undefined ? { offset: p.offset ?? 0, ...(p.length !== undefined ? { length: p.length } : {}) } : undefined);
      return {};
    },
    'mmap.fill': (p) => this.memory.fill(p.fd, p.maxChunkBytes ?? 4 << 20),
    'mmap.release': (p) => {
      this.memory.release(p.buffer);
      return {};
    },
    'mmap.mremap': (p) => ({ errno: this.memory.mremap(p.buffer, p.newBytes) }),
    'mmap.poke': (p) => {
      this.memory.poke(p.buffer, p.offset, p.length, p.seed, p.streamOffset ?? 0);
      return {};
    },
    'mmap.peek': (p) => ({ base64: this.memory.peek(p.buffer, p.offset, p.length, p.via ?? 'load', p.dir) }),
    'mmap.submit': async (p) => ({ io: await this.memory.submit({ ...p, settleMs: p.settleMs ?? 300 }) }),
    'mmap.wait': (p) => this.memory.wait(p.io, p.timeoutMs ?? 30_000),
    'mmap.race': (p) => raceMmap(path.join(this.mountPoint(p.mount), p.file), p.processes, p.bytes, p.timeoutMs ?? 60_000, p.memoryMaxBytes),
    'mmap.reset': () => {
      this.reset();
      return {};
    },
  };

  /** Release the probes' files and mappings on the agent's function (before it is removed). */
  releaseFunction(): void {
    try {
      this.memory.releaseMount('function');
    } catch (err) {
      this.log(`mmap probes: ${(err as Error).message}`);
    }
  }

  /** Cancel transfers, release every buffer and file, remove every probe mount. */
  reset(): void {
    killRaceChildren();
    try {
      this.memory.releaseAll();
    } catch (err) {
      this.log(`mmap probes: ${(err as Error).message}`);
    }
    this.mounts.removeAll(this.log);
  }

  private mountPoint(ref: number | 'function'): string {
    if (ref !== 'function') return this.mounts.mountPoint(ref);
    const m = this.fn.mountPoint();
    if (!m) throw new AgentError('BAD_STATE', 'no function: call function.create first');
    return m;
  }
}
