import * as path from 'node:path';
import { AgentError } from '../session/agent-error';
import { MAX_PROBE_BUFFER, ProbeMemory } from './probe-memory';
import { memInfo, ProbeMounts, probeSystemState } from './probe-mounts';
import { ProbeParams } from './probe-params';
import { killRaceChildren, raceMmap } from './mmap-race';
import { PEEK_VIA } from '../../../contract/src/mmap-probe-protocol';
import type { Methods } from '../../../contract/src/protocol';

type MmapMethod = Extract<keyof Methods, `mmap.${string}`>;
type Handler<M extends MmapMethod> = (params: Methods[M]['params']) => Promise<Methods[M]['result']> | Methods[M]['result'];

/** The agent's function as the probes see it: its mount point, when one exists. */
export interface ProbeFunctionView {
  mountPoint(): string | undefined;
}

/** Every mapping protection, for param checks. */
const PROTECTIONS = ['rw', 'r', 'w', 'none'] as const;

/** Mount key of a probe mount in ProbeMemory. */
const key = (ref: number | 'function') => (ref === 'function' ? 'function' : `m${ref}`);

/**
 * The `mmap.*` methods (probes of the mapping, limit and zero-copy rules): their params checked, on probe mounts of their
 * own or on the function of `function.create`. Lifecycle: releaseFunction() before the function
 * goes; reset() releases everything; teardown() for exit paths.
 */
export class MmapHandlers {
  private readonly mounts = new ProbeMounts();
  private readonly memory = new ProbeMemory();

  constructor(private readonly fn: ProbeFunctionView, private readonly log: (line: string) => void) {}

  readonly handlers: { [M in MmapMethod]: Handler<M> } = {
    'mmap.mount': (raw) => this.mounts.create(new ProbeParams(raw, 'mmap.mount').mountOptions('mountOptions')),
    'mmap.unmount': (raw) => {
      const id = new ProbeParams(raw, 'mmap.unmount').int('id', 1, Number.MAX_SAFE_INTEGER);
      this.memory.releaseMount(key(id));
      this.mounts.remove(id);
      return {};
    },
    'mmap.remount': (raw) => {
      const p = new ProbeParams(raw, 'mmap.remount');
      return this.mounts.remount(p.int('id', 1, Number.MAX_SAFE_INTEGER), p.mountOptions('mountOptions'));
    },
    'mmap.mounts': () => probeSystemState(),
    'mmap.meminfo': () => memInfo(),
    'mmap.open': (raw) => {
      const p = new ProbeParams(raw, 'mmap.open');
      const ref = p.mount('mount');
      const file = p.endpointFile('file');
      if (file === 'ep0') {
        // ep0 is open once, by the mount's owner: take a dup of its descriptor.
        if (ref === 'function') throw new AgentError('BAD_REQUEST', "mmap.open: ep0 only on probe mounts (the function's ep0 serves the host)");
        return { fd: this.memory.adoptDup(this.mounts.ep0Fd(ref), key(ref)) };
      }
      return { fd: this.memory.open(path.join(this.mountPoint(ref), file), key(ref), p.choice('access', ['rw', 'r', 'w'] as const, 'rw')) };
    },
    'mmap.dup': (raw) => ({ fd: this.memory.dup(new ProbeParams(raw, 'mmap.dup').int('fd', 1, Number.MAX_SAFE_INTEGER)) }),
    'mmap.close': (raw) => {
      this.memory.close(new ProbeParams(raw, 'mmap.close').int('fd', 1, Number.MAX_SAFE_INTEGER));
      return {};
    },
    'mmap.buffer': (raw) => {
      const p = new ProbeParams(raw, 'mmap.buffer');
      const kind = p.choice('kind', ['mapping', 'anonymous'] as const);
      const bytes = p.int('bytes', 1, MAX_PROBE_BUFFER);
      const prot = p.choice('prot', PROTECTIONS, 'rw');
      if (kind === 'anonymous') return this.memory.buffer({ kind, bytes, prot });
      return this.memory.buffer({
        kind,
        bytes,
        fd: p.int('fd', 1, Number.MAX_SAFE_INTEGER),
        private: p.flag('private'),
        offset: p.int('offset', 0, MAX_PROBE_BUFFER, 0),
        tailBytes: p.int('tailBytes', 0, MAX_PROBE_BUFFER, 0),
        prot,
      });
    },
    'mmap.protect': (raw) => {
      const p = new ProbeParams(raw, 'mmap.protect');
      this.memory.protect(p.int('buffer', 1, Number.MAX_SAFE_INTEGER), p.choice('prot', PROTECTIONS));
      return {};
    },
    'mmap.fill': (raw) => {
      const p = new ProbeParams(raw, 'mmap.fill');
      return this.memory.fill(p.int('fd', 1, Number.MAX_SAFE_INTEGER), p.int('maxChunkBytes', 1, MAX_PROBE_BUFFER, 4 << 20));
    },
    'mmap.release': (raw) => {
      this.memory.release(new ProbeParams(raw, 'mmap.release').int('buffer', 1, Number.MAX_SAFE_INTEGER));
      return {};
    },
    'mmap.mremap': (raw) => {
      const p = new ProbeParams(raw, 'mmap.mremap');
      return { errno: this.memory.mremap(p.int('buffer', 1, Number.MAX_SAFE_INTEGER), p.int('newBytes', 1, MAX_PROBE_BUFFER)) };
    },
    'mmap.poke': (raw) => {
      const p = new ProbeParams(raw, 'mmap.poke');
      this.memory.poke(p.int('buffer', 1, Number.MAX_SAFE_INTEGER), p.int('offset', 0, MAX_PROBE_BUFFER), p.int('length', 0, MAX_PROBE_BUFFER), p.int('seed', 0, 0xffffffff), p.int('streamOffset', 0, Number.MAX_SAFE_INTEGER, 0));
      return {};
    },
    'mmap.peek': (raw) => {
      const p = new ProbeParams(raw, 'mmap.peek');
      return { base64: this.memory.peek(p.int('buffer', 1, Number.MAX_SAFE_INTEGER), p.int('offset', 0, MAX_PROBE_BUFFER), p.int('length', 0, 1 << 20), p.choice('via', PEEK_VIA, 'load'), p.directory('dir')) };
    },
    'mmap.submit': async (raw) => {
      const p = new ProbeParams(raw, 'mmap.submit');
      const io = await this.memory.submit({
        fd: p.int('fd', 1, Number.MAX_SAFE_INTEGER),
        buffer: p.int('buffer', 1, Number.MAX_SAFE_INTEGER),
        offset: p.int('offset', 0, MAX_PROBE_BUFFER),
        length: p.int('length', 0, MAX_PROBE_BUFFER),
        direction: p.choice('direction', ['in', 'out'] as const),
        syscall: p.choice('syscall', ['aio', 'plain'] as const),
        settleMs: p.int('settleMs', 0, 10_000, 300),
      });
      return { io };
    },
    'mmap.wait': (raw) => {
      const p = new ProbeParams(raw, 'mmap.wait');
      return this.memory.wait(p.int('io', 1, Number.MAX_SAFE_INTEGER), p.int('timeoutMs', 1, 600_000, 30_000));
    },
    'mmap.race': (raw) => {
      const p = new ProbeParams(raw, 'mmap.race');
      const ref = p.mount('mount');
      const file = p.endpointFile('file');
      const memoryMax = raw.memoryMaxBytes === undefined ? undefined : p.int('memoryMaxBytes', 1 << 20, MAX_PROBE_BUFFER);
      return raceMmap(path.join(this.mountPoint(ref), file), p.int('processes', 1, 64), p.int('bytes', 1, MAX_PROBE_BUFFER), p.int('timeoutMs', 1, 600_000, 60_000), memoryMax);
    },
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
