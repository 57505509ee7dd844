import * as fs from 'node:fs';
import { fillPattern } from '@ffs-lab/contract/pattern';
import { AioQueue } from '@ffs-lab/native/aio-queue';
import { native } from '@ffs-lab/native/bindings';
import { type Protection } from '@ffs-lab/contract/mmap-probe-protocol';
import { openEndpointFd } from '@ffs-lab/native/open-endpoint-fd';
import { AgentError, toAgentError } from '../session/agent-error';
import type { PeekVia, ProbeBufferParams, ProbeFill, ProbeIoResult, ProbeSubmitParams } from '@ffs-lab/contract/mmap-probe-protocol';
import { pageSize } from '@ffs-lab/native/page-size';

/** Most transfers the probes keep in flight at once (one AIO context). */
const AIO_DEPTH = 32;
/** Largest buffer the probes make, bytes (past the largest contiguous allocation on any page size). */
export const MAX_PROBE_BUFFER = 1 << 30;
/** Most mappings one `fill` makes: a safety net against a kernel with no limit at all. */
const FILL_CAP = 20_000;

interface ProbeFile {
  fd: number;
  /** The mount the file belongs to (`function` or `m<id>`), so its files can be closed before it goes. */
  mount: string;
}

interface ProbeBuffer {
  /** Memory mapped by the addon (a file mapping, or anonymous memory): released with munmap. */
  ab: ArrayBuffer;
  /** `mapping`: of an endpoint file; `anonymous`: ordinary process memory. */
  kind: 'mapping' | 'anonymous';
  /** Its protection now; peek and poke refuse what it does not allow rather than fault. */
  prot: Protection;
  /** Ranges protected apart from the rest (a partial mprotect), checked like `prot`. */
  parts?: Array<{ offset: number; length: number; prot: Protection }>;
  /** Mount of the file it maps, for mappings. */
  mount?: string;
}

interface ProbeIo {
  outcome?: ProbeIoResult;
  done: Promise<ProbeIoResult>;
}

/**
 * The files, buffers and transfers of the mmap probes, by handle. Mappings and transfers are made
 * exactly as the cases of docs/behaviour.md section 3 need them (same file, dup'ed file, another open, straddling a
 * mapping's end, anonymous memory; AIO or plain syscalls), with errors returned as errno codes.
 * Lifecycle: handles are made and released by the probe methods; releaseMount() before a mount
 * goes, releaseAll() on reset and teardown (it cancels what is in flight and waits for it).
 */
export class ProbeMemory {
  private readonly files = new Map<number, ProbeFile>();
  private readonly buffers = new Map<number, ProbeBuffer>();
  private readonly ios = new Map<number, ProbeIo>();
  private queue: AioQueue | undefined;
  private nextId = 1;

  /**
   * Open `path` O_NONBLOCK (AIO before ENABLE fails with EAGAIN rather than blocking the agent),
   * O_RDWR unless `access` says `r` (O_RDONLY) or `w` (O_WRONLY).
   */
  open(path: string, mount: string, access: 'rw' | 'r' | 'w' = 'rw'): number {
    const fd = access === 'rw' ? openEndpointFd(path, true) : fs.openSync(path, (access === 'r' ? fs.constants.O_RDONLY : fs.constants.O_WRONLY) | fs.constants.O_NONBLOCK);
    return this.add(this.files, { fd, mount });
  }

  /** Keep a dup of a descriptor someone else owns (ep0 of a function). */
  adoptDup(fd: number, mount: string): number {
    return this.add(this.files, { fd: native().dup(fd), mount });
  }

  /** dup(): the new handle shares the struct file of `handle`. */
  dup(handle: number): number {
    const f = this.file(handle);
    return this.add(this.files, { fd: native().dup(f.fd), mount: f.mount });
  }

  close(handle: number): void {
    const f = this.file(handle);
    this.files.delete(handle);
    fs.closeSync(f.fd);
  }

  /** Make a buffer (see ProbeBufferParams); a refused mmap throws its errno. */
  buffer(p: Required<Pick<ProbeBufferParams, 'kind' | 'bytes'>> & ProbeBufferParams): { buffer: number; bytes: number } {
    const prot = p.prot ?? 'rw';
    if (p.kind === 'anonymous') {
      const ab = native().mmapAnonymous(p.bytes);
      const id = this.add(this.buffers, { ab, kind: 'anonymous', prot: 'rw' });
      if (prot !== 'rw') this.protect(id, prot);
      return { buffer: id, bytes: ab.byteLength };
    }
    if (p.fd === undefined) throw new AgentError('BAD_REQUEST', 'mmap.buffer: a mapping needs fd');
    const f = this.file(p.fd);
    const ab = native().mmapFile(f.fd, p.bytes, {
      ...(p.private ? { private: true } : {}),
      ...(p.offset ? { offset: p.offset } : {}),
      ...(p.tailBytes ? { tail: p.tailBytes } : {}),
      prot,
    });
    return { buffer: this.add(this.buffers, { ab, kind: 'mapping', prot, mount: f.mount }), bytes: ab.byteLength };
  }

  /**
   * mprotect a whole buffer (a mapping's anonymous tail too), or the page-aligned `range` of it
   * (which splits its VMA; length defaults to the rest of the buffer); the next transfer sees it.
   */
  protect(id: number, prot: Protection, range?: { offset: number; length?: number }): void {
    const b = this.buf(id);
    if (range) {
      const length = range.length ?? b.ab.byteLength - range.offset;
      native().mprotectBuffer(b.ab, prot, range.offset, length);
      (b.parts ??= []).push({ offset: range.offset, length, prot });
      return;
    }
    native().mprotectBuffer(b.ab, prot);
    b.prot = prot;
    delete b.parts;
  }

  /** Map on `handle` greedily, chunk sizes from `maxChunk` down to one page (each a quarter of the last), until refused. */
  fill(handle: number, maxChunk: number): ProbeFill {
    const f = this.file(handle);
    const page = pageSize();
    const out: ProbeFill = { buffers: [], sizes: [], bytes: 0, stoppedBy: '' };
    for (let size = Math.max(page, Math.floor(maxChunk / page) * page); ; size = Math.max(page, Math.floor(size / 4 / page) * page)) {
      for (;;) {
        if (out.buffers.length >= FILL_CAP) {
          out.stoppedBy = `more than ${FILL_CAP} mappings`;
          return out;
        }
        let ab: ArrayBuffer;
        try {
          ab = native().mmapFile(f.fd, size);
        } catch (err) {
          out.stoppedBy = toAgentError(err).code;
          break;
        }
        out.buffers.push(this.add(this.buffers, { ab, kind: 'mapping', prot: 'rw', mount: f.mount }));
        out.sizes.push(size);
        out.bytes += size;
      }
      if (size === page) return out;
    }
  }

  /** Release a buffer (munmap for mappings; the kernel keeps what in-flight transfers still use). */
  release(id: number): void {
    const b = this.buf(id);
    this.buffers.delete(id);
    native().munmapBuffer(b.ab);
  }

  /** mremap the mapping; null when it moved (it is then unmapped and forgotten), else the errno. */
  mremap(id: number, newBytes: number): string | null {
    const b = this.buf(id);
    if (b.kind !== 'mapping') throw new AgentError('BAD_REQUEST', `mmap.mremap: buffer ${id} is not a mapping`);
    const err = native().tryMremap(b.ab, newBytes);
    if (err !== 0) return native().errnoName(err);
    this.buffers.delete(id);
    return null;
  }

  /** Fill a range with the pattern of `seed` (stream offsets from `streamOffset`). */
  poke(id: number, offset: number, length: number, seed: number, streamOffset: number): void {
    fillPattern(this.view(id, offset, length, 'mmap.poke', 'w'), seed, streamOffset);
  }

  /**
   * A range's bytes, base64: read by the agent (`load`), or by the kernel through
   * get_user_pages (`process_vm_readv`, `vmsplice` into a pipe, or an O_DIRECT write into a file
   * in `dir`; each fails with its errno on a PFN mapping).
   */
  peek(id: number, offset: number, length: number, via: PeekVia = 'load', dir?: string): string {
    if (via === 'load') return Buffer.from(this.view(id, offset, length, 'mmap.peek', 'r')).toString('base64');
    this.view(id, offset, length, 'mmap.peek');
    const { ab } = this.buf(id);
    if (via === 'o_direct') return directIoRead(ab, offset, length, directIoDir(dir));
    return (via === 'vmsplice' ? native().vmspliceRead(ab, offset, length) : native().processVmRead(ab, offset, length)).toString('base64');
  }

  /**
   * Start a transfer. AIO: resolves once io_submit has returned (the kernel has taken or copied
   * the data); a refused submission is its outcome. Plain: resolves `settleMs` after the syscall started.
   */
  async submit(p: ProbeSubmitParams): Promise<number> {
    const f = this.file(p.fd);
    const view = this.view(p.buffer, p.offset, p.length, 'mmap.submit');
    const write = p.direction === 'in';
    let done: Promise<number>;
    if (p.syscall === 'aio') {
      this.queue ??= new AioQueue(AIO_DEPTH);
      done = this.queue.submit(f.fd, write, view, 0, view.byteLength);
    } else {
      done = new Promise((resolve, reject) => {
        const cb = (err: NodeJS.ErrnoException | null, n: number) => (err ? reject(err) : resolve(n));
        if (write) fs.write(f.fd, view, 0, view.byteLength, null, cb);
        else fs.read(f.fd, view, 0, view.byteLength, null, cb);
      });
    }
    const io: ProbeIo = {
      done: done.then(
        (bytes) => (io.outcome = { bytes, errno: null }),
        (err: unknown) => (io.outcome = { bytes: null, errno: toAgentError(err).code }),
      ),
    };
    const id = this.add(this.ios, io);
    // AIO: the batch goes to io_submit in a microtask, which has run by the next macrotask.
    await new Promise<void>((r) => (p.syscall === 'aio' ? setImmediate(r) : setTimeout(r, p.settleMs ?? 300)));
    return id;
  }

  /** The outcome of transfer `id`, waiting at most `timeoutMs` (TIMEOUT error past it; it stays in flight). */
  async wait(id: number, timeoutMs: number): Promise<ProbeIoResult> {
    const io = this.ios.get(id);
    if (!io) throw new AgentError('BAD_REQUEST', `no transfer ${id}`);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([io.done, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)))]);
    clearTimeout(timer);
    if (!outcome) throw new AgentError('TIMEOUT', `transfer ${id} still in flight after ${timeoutMs} ms`);
    this.ios.delete(id);
    return outcome;
  }

  /** Release the mappings and close the files of one mount (before it is unmounted). */
  releaseMount(mount: string): void {
    for (const [id, b] of this.buffers) if (b.mount === mount) this.release(id);
    for (const [id, f] of this.files) if (f.mount === mount) this.close(id);
  }

  /** Cancel and reap every transfer (io_destroy), release every buffer, close every file. */
  releaseAll(): void {
    this.queue?.close();
    this.queue = undefined;
    this.ios.clear();
    for (const id of [...this.buffers.keys()]) this.release(id);
    for (const id of [...this.files.keys()]) {
      try {
        this.close(id);
      } catch {
        /* closed already */
      }
    }
  }

  private file(handle: number): ProbeFile {
    const f = this.files.get(handle);
    if (!f) throw new AgentError('BAD_REQUEST', `no open probe file ${handle}`);
    return f;
  }

  private buf(id: number): ProbeBuffer {
    const b = this.buffers.get(id);
    if (!b) throw new AgentError('BAD_REQUEST', `no probe buffer ${id}`);
    return b;
  }

  /** A range of buffer `id`; with `access`, only when the agent itself may read (`r`) or write (`w`) it. */
  private view(id: number, offset: number, length: number, method: string, access?: 'r' | 'w'): Uint8Array {
    const b = this.buf(id);
    if (access && !b.prot.includes(access)) throw new AgentError('BAD_REQUEST', `${method}: buffer ${id} is mapped '${b.prot}': touching it would kill the agent`);
    const part = access && b.parts?.find((r) => !r.prot.includes(access) && r.offset < offset + length && offset < r.offset + r.length);
    if (part) throw new AgentError('BAD_REQUEST', `${method}: [${part.offset}, ${part.offset + part.length}) of buffer ${id} is mapped '${part.prot}': touching it would kill the agent`);
    if (offset + length > b.ab.byteLength) throw new AgentError('BAD_REQUEST', `${method}: [${offset}, ${offset + length}) is outside buffer ${id} (${b.ab.byteLength} bytes)`);
    return new Uint8Array(b.ab, offset, length);
  }

  private add<T>(map: Map<number, T>, value: T): number {
    const id = this.nextId++;
    map.set(id, value);
    return id;
  }
}

/** statfs f_type of tmpfs (linux/magic.h). */
export const TMPFS_MAGIC = 0x01021994;

/**
 * The O_DIRECT peek, base64. A file system without direct I/O refuses the open with EINVAL: that
 * is the target's limit (UNSUPPORTED), while an EINVAL from the write itself stays a failure.
 */
function directIoRead(ab: ArrayBuffer, offset: number, length: number, dir: string): string {
  try {
    return native().directIoRead(ab, offset, length, dir).toString('base64');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EINVAL' && err.syscall === 'open' && err.message.includes('O_DIRECT')) throw new AgentError('UNSUPPORTED', `mmap.peek: ${dir} refuses O_DIRECT files (${err.message})`);
    throw e;
  }
}

/**
 * `dir` checked for an O_DIRECT peek: given, a directory, and not tmpfs, whose O_DIRECT (since
 * Linux 6.6) copies from the caller's memory instead of pinning it, so it would prove nothing.
 */
function directIoDir(dir: string | undefined): string {
  if (dir === undefined) throw new AgentError('BAD_REQUEST', 'mmap.peek: via o_direct needs dir (a directory on a file system that does direct I/O)');
  let st;
  try {
    st = fs.statfsSync(dir);
    if (!fs.statSync(dir).isDirectory()) throw new AgentError('BAD_REQUEST', `mmap.peek: ${dir} is not a directory`);
  } catch (e) {
    throw toAgentError(e);
  }
  if (st.type === TMPFS_MAGIC) throw new AgentError('UNSUPPORTED', `mmap.peek: ${dir} is on tmpfs, whose O_DIRECT copies instead of pinning pages; name a directory on a block file system, 9p or NFS`);
  return dir;
}
