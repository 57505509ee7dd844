import { native } from './bindings';
import type { EndpointFile } from './endpoint-file';
import { AioIo } from './aio-io';
import { pageSize } from './page-size';


/**
 * Zero-copy: buffers are mmapped from the endpoint file (kernel memory the UDC uses directly)
 * and AIO is submitted from inside them, so the kernel skips its copy. allocate() fails with
 * ENOMEM past the mount's mmap_memory_mb, and with ENODEV on kernels without the feature.
 */
export class MmapIo extends AioIo {
  override readonly mode = 'mmap' as const;
  private readonly buffers = new Set<ArrayBuffer>();

  constructor(file: EndpointFile, depth: number) {
    super(file, depth);
  }

  /** A MAP_SHARED mapping of `size` bytes (page-rounded) on this endpoint file. */
  override allocate(size: number): Uint8Array {
    const ab = native().mmapFile(this.file.fd, Math.ceil(Math.max(size, 1) / pageSize()) * pageSize());
    this.buffers.add(ab);
    return new Uint8Array(ab, 0, size);
  }

  /** munmap; the ArrayBuffer is detached so JS cannot reach the unmapped range. */
  override release(buf: Uint8Array): void {
    const ab = buf.buffer as ArrayBuffer;
    if (!this.buffers.delete(ab)) return;
    native().munmapBuffer(ab);
  }

  override async close(): Promise<void> {
    this.queue.close();
    for (const ab of this.buffers) native().munmapBuffer(ab);
    this.buffers.clear();
    this.file.close();
  }
}
