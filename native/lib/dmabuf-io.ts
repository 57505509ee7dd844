import * as fs from 'node:fs';
import { native, type NativeFdWatcher } from './bindings';
import type { EndpointFile } from './endpoint-file';
import type { EndpointIo } from './endpoint-io';
import { errnoError, hasCode } from './errno';
import { pageSize } from './page-size';

const TRANSFER = 'ioctl(FUNCTIONFS_DMABUF_TRANSFER)';

interface DmaBuffer {
  fd: number;
  memfd: number;
  attached: boolean;
  /** The transfer in flight on this buffer, if any (one at a time: see transfer()). */
  pending: Pending | undefined;
}

interface Pending {
  buffer: DmaBuffer;
  length: number;
  /** sync_file with the transfer's fence; -1 when the export failed (then no error can be read). */
  syncFd: number;
  watcher: NativeFdWatcher;
  resolve: (n: number) => void;
  reject: (e: Error) => void;
}

/**
 * Mainline zero-copy (Linux 6.9+): udmabuf buffers attached to the endpoint, transfers queued
 * with FUNCTIONFS_DMABUF_TRANSFER and completed by the transfer's fence.
 *
 * Completion: libuv polls the dma-buf fd (POLLOUT once its fences have signalled); the fence
 * itself, exported as a sync_file right after the ioctl, then tells success from failure, so a
 * transfer that was dequeued (DETACH, close) or ended by a disconnect rejects with that errno
 * (ECONNRESET, ESHUTDOWN...). On a kernel without CONFIG_SYNC_FILE the export is ENOTTY and a
 * failed transfer resolves like a good one. A fence carries no byte count: a successful transfer resolves with
 * the length it asked for, so receivers must post exact lengths.
 *
 * allocate() fails with EPERM when the UDC lacks scatter-gather (stock dummy_udc) or the
 * function is not bound. close() never issues DMABUF_DETACH: closing the endpoint file detaches
 * everything, and DETACH after a UDC unbind dereferences the gone gadget in 6.12's f_fs.
 */
export class DmabufIo implements EndpointIo {
  readonly mode = 'dmabuf' as const;
  private readonly buffers = new Map<ArrayBuffer, DmaBuffer>();
  private probe: { fd: number; memfd: number; buffer: ArrayBuffer } | undefined;

  constructor(readonly file: EndpointFile) {}

  /** A page-rounded udmabuf, attached to this endpoint; the returned view is `size` bytes of it. */
  allocate(size: number): Uint8Array {
    const made = native().udmabufCreate(Math.ceil(Math.max(size, 1) / pageSize()) * pageSize());
    const entry: DmaBuffer = { fd: made.fd, memfd: made.memfd, attached: false, pending: undefined };
    this.buffers.set(made.buffer, entry);
    try {
      native().dmabufAttach(this.file.fd, made.fd);
      entry.attached = true;
    } catch (err) {
      this.free(made.buffer, entry);
      throw err;
    }
    return new Uint8Array(made.buffer, 0, size);
  }

  /** Detach (when the function is still bound) and free; a transfer in flight on it rejects with ECANCELED. */
  release(buf: Uint8Array): void {
    const ab = buf.buffer as ArrayBuffer;
    const entry = this.buffers.get(ab);
    if (!entry) return;
    if (entry.attached && !this.file.closed && this.gadgetBound()) {
      try {
        native().dmabufDetach(this.file.fd, entry.fd);
      } catch {
        /* the attachment goes with the endpoint file at the latest */
      }
    }
    if (entry.pending) this.settle(entry.pending, errnoError(-125, TRANSFER, '(buffer released)'));
    this.free(ab, entry);
  }

  /** The dma-buf fd behind a buffer from allocate() (for the addon's DmabufPump); throws for any other buffer. */
  dmabufFd(buf: Uint8Array): number {
    const entry = this.buffers.get(buf.buffer as ArrayBuffer);
    if (!entry) throw new Error('not a buffer from this endpoint\'s allocate()');
    return entry.fd;
  }

  get inFlight(): number {
    let n = 0;
    for (const b of this.buffers.values()) if (b.pending) n++;
    return n;
  }

  read(buf: Uint8Array, length = buf.length): Promise<number> {
    return this.transfer(buf, length);
  }

  write(buf: Uint8Array, length = buf.length): Promise<number> {
    return this.transfer(buf, length);
  }

  /**
   * Dequeue what is still pending: DETACH of its buffer cancels the request (its fence signals
   * ECONNRESET, so the promise rejects), then the buffer is attached again for later transfers.
   * Buffers whose fences have signalled are left alone: after a UDC unbind everything has, and
   * DETACH must not run then (see the class comment).
   */
  cancelAll(): void {
    if (this.file.closed) return;
    for (const entry of this.buffers.values()) {
      const p = entry.pending;
      if (!p || p.syncFd < 0 || native().syncFileStatus(p.syncFd) !== 0) continue;
      try {
        native().dmabufDetach(this.file.fd, entry.fd);
        entry.attached = false;
        native().dmabufAttach(this.file.fd, entry.fd);
        entry.attached = true;
      } catch {
        /* a buffer left detached makes its next transfer fail with EPERM, which names the cause */
      }
    }
  }

  /** Close the endpoint file (the kernel dequeues and detaches everything), settle what was in flight, free the buffers. */
  async close(): Promise<void> {
    if (!this.file.closed) this.file.close();
    for (const [ab, entry] of this.buffers) {
      if (entry.pending) this.finish(entry.pending, true);
      this.free(ab, entry);
    }
    this.buffers.clear();
    if (this.probe) {
      fs.closeSync(this.probe.fd);
      fs.closeSync(this.probe.memfd);
      native().munmapBuffer(this.probe.buffer);
      this.probe = undefined;
    }
  }

  private transfer(buf: Uint8Array, length: number): Promise<number> {
    if (this.file.closed) return this.file.closedError();
    const entry = this.buffers.get(buf.buffer as ArrayBuffer);
    if (!entry) return Promise.reject(new Error('DMABUF transfers need a buffer from allocate()'));
    if (buf.byteOffset !== 0) return Promise.reject(new Error('DMABUF transfers start at the buffer start'));
    // One poll handle per fd is all libuv supports, and the fence export would mix two transfers.
    if (entry.pending) return Promise.reject(Object.assign(new Error('a DMABUF transfer on this buffer is still in flight'), { code: 'ERR_BUFFER_BUSY' }));
    let syncFd: number;
    try {
      // -1: no CONFIG_SYNC_FILE; completion is still seen, its error is not.
      syncFd = native().dmabufTransferFenced(this.file.fd, entry.fd, length);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      const p: Pending = { buffer: entry, length, syncFd, resolve, reject, watcher: undefined as unknown as NativeFdWatcher };
      entry.pending = p;
      // POLLOUT on a dma-buf: every fence on it (read and write) has signalled.
      p.watcher = new (native().FdWatcher)(entry.fd, 'writable', (events) => {
        if (events < 0) this.settle(p, errnoError(events, 'uv_poll(dma-buf)'));
        else this.finish(p, false);
      });
    });
  }

  /** Settle `p` from its fence; `final`: settle even if the fence still looks pending. */
  private finish(p: Pending, final: boolean): void {
    // Without a sync_file, "the watcher fired" is all we know; at close that had not happened.
    const status = p.syncFd < 0 ? (final ? 0 : 1) : native().syncFileStatus(p.syncFd);
    if (status === 0 && !final) return;
    if (status === 1) this.settle(p, undefined);
    else this.settle(p, errnoError(status === 0 ? -125 : status, TRANSFER, status === 0 ? '(endpoint closed with the transfer pending)' : '(fence error)'));
  }

  private settle(p: Pending, err: Error | undefined): void {
    if (p.buffer.pending !== p) return;
    p.buffer.pending = undefined;
    p.watcher.stop();
    if (p.syncFd >= 0) fs.closeSync(p.syncFd);
    if (err) p.reject(err);
    else p.resolve(p.length);
  }

  /**
   * Whether the function is bound to a UDC: ATTACH of a spare one-page buffer succeeds then (this
   * endpoint's UDC has scatter-gather, or allocate() would have failed) and is EPERM when not.
   */
  private gadgetBound(): boolean {
    if (!this.probe) this.probe = native().udmabufCreate(pageSize());
    try {
      native().dmabufAttach(this.file.fd, this.probe.fd);
    } catch (err) {
      return !hasCode(err, 'EPERM');
    }
    native().dmabufDetach(this.file.fd, this.probe.fd);
    return true;
  }

  private free(ab: ArrayBuffer, entry: DmaBuffer): void {
    this.buffers.delete(ab);
    fs.closeSync(entry.fd);
    fs.closeSync(entry.memfd);
    native().munmapBuffer(ab);
  }
}
