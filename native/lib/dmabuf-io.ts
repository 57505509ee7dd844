import * as fs from 'node:fs';
import { native, type NativeFdWatcher } from './bindings';
import type { EndpointFile } from './endpoint-file';
import type { EndpointIo } from './endpoint-io';

const PAGE = 4096;

interface DmaBuffer {
  fd: number;
  memfd: number;
  attached: boolean;
}

/**
 * Mainline zero-copy (Linux 6.9+): udmabuf buffers attached to the endpoint, transfers queued
 * with FUNCTIONFS_DMABUF_TRANSFER and completed by the dma-buf's fence (polled through libuv).
 * A fence carries no byte count, so a transfer resolves with the length it asked for.
 * allocate() fails with EPERM when the UDC lacks scatter-gather (stock dummy_udc).
 */
export class DmabufIo implements EndpointIo {
  readonly mode = 'dmabuf' as const;
  private readonly buffers = new Map<ArrayBuffer, DmaBuffer>();
  private readonly waiting = new Set<NativeFdWatcher>();

  constructor(readonly file: EndpointFile) {}

  allocate(size: number): Uint8Array {
    const made = native().udmabufCreate(Math.ceil(Math.max(size, 1) / PAGE) * PAGE);
    const entry: DmaBuffer = { fd: made.fd, memfd: made.memfd, attached: false };
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

  release(buf: Uint8Array): void {
    const ab = buf.buffer as ArrayBuffer;
    const entry = this.buffers.get(ab);
    if (entry) this.free(ab, entry);
  }

  get inFlight(): number {
    return this.waiting.size;
  }

  read(buf: Uint8Array, length = buf.length): Promise<number> {
    return this.transfer(buf, length);
  }

  write(buf: Uint8Array, length = buf.length): Promise<number> {
    return this.transfer(buf, length);
  }

  cancelAll(): void {
    /* a queued DMABUF transfer is ended by DETACH or by disabling the function */
  }

  async close(): Promise<void> {
    for (const w of this.waiting) w.stop();
    this.waiting.clear();
    for (const [ab, entry] of this.buffers) this.free(ab, entry);
    this.file.close();
  }

  private transfer(buf: Uint8Array, length: number): Promise<number> {
    if (this.file.closed) return this.file.closedError();
    const entry = this.buffers.get(buf.buffer as ArrayBuffer);
    if (!entry) return Promise.reject(new Error('DMABUF transfers need a buffer from allocate()'));
    if (buf.byteOffset !== 0) return Promise.reject(new Error('DMABUF transfers start at the buffer start'));
    try {
      native().dmabufTransfer(this.file.fd, entry.fd, length);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve) => {
      // POLLOUT on a dma-buf: every fence on it (read and write) has signalled.
      const w = new (native().FdWatcher)(entry.fd, 'writable', () => {
        w.stop();
        this.waiting.delete(w);
        resolve(length);
      });
      this.waiting.add(w);
    });
  }

  private free(ab: ArrayBuffer, entry: DmaBuffer): void {
    this.buffers.delete(ab);
    if (entry.attached) {
      try {
        native().dmabufDetach(this.file.fd, entry.fd);
      } catch {
        /* endpoint already gone */
      }
    }
    fs.closeSync(entry.fd);
    fs.closeSync(entry.memfd);
    native().munmapBuffer(ab);
  }
}
