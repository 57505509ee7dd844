import * as fs from 'node:fs';
import { fillPattern, verifyPattern } from '@ffs-lab/contract/pattern';
import { native, type NativeFdWatcher } from '@ffs-lab/native/bindings';
import { EndpointFile } from '@ffs-lab/native/endpoint-file';
import { AgentError } from '../session/agent-error';
import type { DmabufFenceState, DmabufLoopReport, DmabufMethods } from '@ffs-lab/contract/dmabuf-protocol';
import { pageSize } from '@ffs-lab/native/page-size';

/** A method's params, already checked against its schema (contract/src/request-schemas.ts). */
type Params<M extends keyof DmabufMethods> = DmabufMethods[M]['params'];

/** How often `dmabuf.wait` reads a fence (ms). */
const FENCE_POLL_MS = 2;
/** Transfers whose fences are kept for `dmabuf.wait`; the oldest go first. */
const KEEP_TRANSFERS = 1024;

/** Where endpoint file N of the agent's function is, and its direction as declared. */
export type EndpointResolver = (n: number) => { path: string; direction: 'in' | 'out' };

interface LabBuffer {
  fd: number;
  memfd: number;
  data: ArrayBuffer;
}

interface LabTransfer {
  /** sync_file of the transfer's fence (exported right after the ioctl); -1 without CONFIG_SYNC_FILE. */
  syncFd: number;
  dmabufFd: number;
  started: bigint;
}

/**
 * The agent side of the DMABUF suite: raw FUNCTIONFS_DMABUF_* ioctls on the agent's function,
 * addressed by handles, so each error and ordering case is one request from the host; and the
 * attach/transfer/complete/end loop, run here because DETACH or close must follow a completion
 * within microseconds (the window of the use-after-free fixed in 2026), which no round trip over
 * SSH can do. reset() closes everything and never issues DETACH (after a UDC unbind, 6.12's
 * DETACH dereferences the gone gadget).
 */
export class DmabufHandlers {
  private nextId = 1;
  private readonly files = new Map<number, EndpointFile>();
  private readonly buffers = new Map<number, LabBuffer>();
  private readonly transfers = new Map<number, LabTransfer>();

  constructor(private readonly endpoint: EndpointResolver) {}

  open(p: Params<'dmabuf.open'>): { handle: number } {
    const file = new EndpointFile(this.endpoint(p.endpoint).path, p.nonBlocking ?? true);
    const handle = this.nextId++;
    this.files.set(handle, file);
    return { handle };
  }

  create(p: Params<'dmabuf.create'>): { buffer: number } {
    const made = native().udmabufCreate(p.size);
    const buffer = this.nextId++;
    this.buffers.set(buffer, { fd: made.fd, memfd: made.memfd, data: made.buffer });
    return { buffer };
  }

  attach(p: Params<'dmabuf.attach'>): Record<string, never> {
    const { file, buf } = this.pair(p, 'dmabuf.attach');
    native().dmabufAttach(file.fd, buf.fd);
    return {};
  }

  detach(p: Params<'dmabuf.detach'>): Record<string, never> {
    const { file, buf } = this.pair(p, 'dmabuf.detach');
    native().dmabufDetach(file.fd, buf.fd);
    return {};
  }

  transfer(p: Params<'dmabuf.transfer'>): { transfer: number } {
    const { file, buf } = this.pair(p, 'dmabuf.transfer');
    if (p.fill !== undefined) {
      if (p.fill.length !== undefined && p.fill.length > buf.data.byteLength) throw bad(`dmabuf.transfer: fill.length ${p.fill.length} is past buffer ${p.buffer} (${buf.data.byteLength} bytes)`);
      fillPattern(new Uint8Array(buf.data, 0, Math.min(p.fill.length ?? p.length, buf.data.byteLength)), p.fill.seed, p.fill.offset);
    }
    const started = process.hrtime.bigint();
    const syncFd = native().dmabufTransferFenced(file.fd, buf.fd, p.length, p.flags ?? 0);
    const transfer = this.nextId++;
    this.transfers.set(transfer, { syncFd, dmabufFd: buf.fd, started });
    this.forgetOld();
    return { transfer };
  }

  /**
   * Read the fence every few ms until it signals or `timeoutMs` passes (then `pending`). Without
   * a sync_file (no CONFIG_SYNC_FILE), poll the dma-buf instead: all its fences, no error.
   */
  async wait(p: Params<'dmabuf.wait'>): Promise<DmabufFenceState> {
    const t = this.transfers.get(p.transfer);
    if (!t) throw bad(`dmabuf.wait: no transfer ${String(p.transfer)}`);
    const until = Date.now() + p.timeoutMs;
    let status: number;
    if (t.syncFd < 0) {
      status = await fenceSignalled(t.dmabufFd, -1, until);
    } else {
      status = native().syncFileStatus(t.syncFd);
      while (status === 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, FENCE_POLL_MS));
        status = native().syncFileStatus(t.syncFd);
      }
    }
    const elapsedMs = Number(process.hrtime.bigint() - t.started) / 1e6;
    const errorKnown = t.syncFd >= 0;
    if (status === 0) return { state: 'pending', errorKnown, elapsedMs };
    return { state: 'signaled', ...(status < 0 ? { error: native().errnoName(-status) } : {}), errorKnown, elapsedMs };
  }

  verify(p: Params<'dmabuf.verify'>): { firstBadOffset: number | null } {
    const buf = this.buffer(p.buffer, 'dmabuf.verify');
    const from = p.from ?? 0;
    if (from + p.length > buf.data.byteLength) throw bad(`dmabuf.verify: from + length (${from + p.length}) is past buffer ${p.buffer} (${buf.data.byteLength} bytes)`);
    const wrong = verifyPattern(new Uint8Array(buf.data, from, p.length), p.seed, p.offset);
    return { firstBadOffset: wrong < 0 ? null : from + wrong };
  }

  /** Close an endpoint file as it is: the kernel dequeues its transfers and drops its attachments. */
  close(p: Params<'dmabuf.close'>): Record<string, never> {
    const file = this.file(p.handle, 'dmabuf.close');
    file.close();
    this.files.delete(p.handle);
    return {};
  }

  /**
   * `cycles` times: attach one udmabuf, transfer it (pattern at cycle x size for IN), wait for its
   * fence with libuv's poll on the dma-buf, and end the cycle at once: DETACH, or close the
   * endpoint file (reopened next cycle). OUT cycles check their bytes. Stops at the first failure.
   */
  async loop(p: Params<'dmabuf.loop'>): Promise<DmabufLoopReport> {
    const ep = this.endpoint(p.endpoint);
    const made = native().udmabufCreate(Math.ceil(p.size / pageSize()) * pageSize());
    const view = new Uint8Array(made.buffer, 0, p.size);
    const deadline = Date.now() + p.timeoutMs;
    const t0 = process.hrtime.bigint();
    let file: EndpointFile | undefined;
    let completed = 0;
    let badCycles = 0;
    let busyRetries = 0;
    let endNs = 0n;
    let cycle = 0;
    let error: DmabufLoopReport['error'];
    try {
      for (; cycle < p.cycles; cycle++) {
        const f = (file ??= new EndpointFile(ep.path, true));
        busyRetries += await retryBusy(() => native().dmabufAttach(f.fd, made.fd), deadline);
        if (ep.direction === 'in') fillPattern(view, p.seed, cycle * p.size);
        let syncFd = -1;
        busyRetries += await retryBusy(() => (syncFd = native().dmabufTransferFenced(f.fd, made.fd, p.size)), deadline);
        let status: number;
        try {
          status = await fenceSignalled(made.fd, syncFd, deadline);
          if (status === 0) throw Object.assign(new Error(`cycle ${cycle}: the fence did not signal before the deadline (${p.timeoutMs} ms); the host stopped moving data?`), { code: 'TIMEOUT' });
          // The point of the loop: end the cycle right after the completion was seen.
          const e0 = process.hrtime.bigint();
          if (p.end === 'detach') native().dmabufDetach(file.fd, made.fd);
          else {
            file.close();
            file = undefined;
          }
          endNs += process.hrtime.bigint() - e0;
        } finally {
          if (syncFd >= 0) fs.closeSync(syncFd);
        }
        if (status < 0) throw Object.assign(new Error(`cycle ${cycle}: the transfer's fence signalled ${native().errnoName(-status)}`), { code: native().errnoName(-status) });
        completed++;
        if (ep.direction === 'out' && verifyPattern(view, p.seed, cycle * p.size) >= 0) badCycles++;
      }
    } catch (err) {
      const e = err as { code?: unknown; message?: string };
      error = { cycle, code: typeof e.code === 'string' ? e.code : 'INTERNAL', message: e.message ?? String(err) };
    } finally {
      file?.close();
      fs.closeSync(made.fd);
      fs.closeSync(made.memfd);
      native().munmapBuffer(made.buffer);
    }
    return {
      completed,
      badCycles,
      busyRetries,
      ...(error ? { error } : {}),
      meanEndUs: completed ? Math.round(Number(endNs / BigInt(completed)) / 100) / 10 : 0,
      elapsedMs: Number(process.hrtime.bigint() - t0) / 1e6,
    };
  }

  /** Close every endpoint file first (the kernel detaches), then sync_files and buffers. Never throws. */
  reset(): void {
    for (const f of this.files.values()) f.close();
    this.files.clear();
    for (const t of this.transfers.values()) if (t.syncFd >= 0) closeQuietly(t.syncFd);
    this.transfers.clear();
    for (const b of this.buffers.values()) {
      closeQuietly(b.fd);
      closeQuietly(b.memfd);
      native().munmapBuffer(b.data);
    }
    this.buffers.clear();
  }

  private pair(p: { handle: number; buffer: number }, method: string): { file: EndpointFile; buf: LabBuffer } {
    return { file: this.file(p.handle, method), buf: this.buffer(p.buffer, method) };
  }

  private file(handle: unknown, method: string): EndpointFile {
    const f = typeof handle === 'number' ? this.files.get(handle) : undefined;
    if (!f) throw bad(`${method}: no open endpoint handle ${String(handle)} (from dmabuf.open)`);
    return f;
  }

  private buffer(id: unknown, method: string): LabBuffer {
    const b = typeof id === 'number' ? this.buffers.get(id) : undefined;
    if (!b) throw bad(`${method}: no buffer ${String(id)} (from dmabuf.create)`);
    return b;
  }

  private forgetOld(): void {
    for (const [id, t] of this.transfers) {
      if (this.transfers.size <= KEEP_TRANSFERS) return;
      if (t.syncFd >= 0) closeQuietly(t.syncFd);
      this.transfers.delete(id);
    }
  }
}

/**
 * Resolve with the fence's status (see syncFileStatus; 1 without a sync_file, syncFd -1) once
 * libuv sees the dma-buf writable (all its fences signalled), or 0 at the deadline. The dma-buf is polled, never the sync_file (see
 * native/src/dmabuf.cc).
 */
function fenceSignalled(dmabufFd: number, syncFd: number, deadline: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let watcher: NativeFdWatcher | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (status: number) => {
      if (!watcher) return;
      clearTimeout(timer);
      watcher.stop();
      watcher = undefined;
      resolve(status);
    };
    try {
      watcher = new (native().FdWatcher)(dmabufFd, 'writable', (events) => {
        const status = syncFd < 0 ? 1 : native().syncFileStatus(syncFd);
        if (status !== 0 || events < 0) finish(events < 0 ? events : status);
      });
    } catch (err) {
      reject(err as Error);
      return;
    }
    timer = setTimeout(() => finish(syncFd < 0 ? 0 : native().syncFileStatus(syncFd)), Math.max(0, deadline - Date.now()));
  });
}

/**
 * On a non-blocking file, ATTACH and TRANSFER are EBUSY while the dma-buf's reservation lock is
 * held, which the previous cycle's completion work does for a moment when it drops its
 * attachment: retry `op` every ms until the deadline. Returns how many EBUSY it took.
 */
async function retryBusy(op: () => unknown, deadline: number): Promise<number> {
  for (let busy = 0; ; busy++) {
    try {
      op();
      return busy;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EBUSY' || Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* closed already */
  }
}

function bad(message: string): AgentError {
  return new AgentError('BAD_REQUEST', message);
}
