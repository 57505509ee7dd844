import type { EndpointFile } from './endpoint-file';
import type { EndpointIo } from './endpoint-io';
import { AioQueue } from './aio-queue';

/**
 * Linux native AIO from ordinary memory: the kernel still copies between this buffer and its
 * own request buffer, but many transfers overlap without threads.
 */
export class AioIo implements EndpointIo {
  readonly mode: 'aio' | 'mmap' = 'aio';
  protected readonly queue: AioQueue;

  /** @param depth the most transfers in flight at once. */
  constructor(readonly file: EndpointFile, depth: number) {
    this.queue = new AioQueue(depth);
  }

  allocate(size: number): Uint8Array {
    return Buffer.alloc(size);
  }

  release(_buf: Uint8Array): void {
    /* garbage-collected memory */
  }

  get inFlight(): number {
    return this.queue.inFlight;
  }

  read(buf: Uint8Array, length = buf.length): Promise<number> {
    return this.file.closed ? this.file.closedError() : this.queue.submit(this.file.fd, false, buf, 0, length);
  }

  write(buf: Uint8Array, length = buf.length): Promise<number> {
    return this.file.closed ? this.file.closedError() : this.queue.submit(this.file.fd, true, buf, 0, length);
  }

  cancelAll(): void {
    this.queue.cancelAll();
  }

  async close(): Promise<void> {
    this.queue.close();
    this.file.close();
  }
}
