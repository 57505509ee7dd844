import { AioIo } from './aio-io';
import { CopyIo } from './copy-io';
import { DmabufIo } from './dmabuf-io';
import { EndpointFile } from './endpoint-file';
import type { EndpointIo } from './endpoint-io';
import type { IoModeName } from '@ffs-lab/contract/io-modes';
import { MmapIo } from './mmap-io';

/** Options of {@link openEndpoint}. */
export interface OpenEndpointOptions {
  /** Most transfers in flight (aio and mmap: io_setup size). Default 8. */
  depth?: number;
  /**
   * O_NONBLOCK: I/O before ENABLE fails with EAGAIN instead of waiting. Default: true for the
   * AIO modes (a blocking io_submit would stall node's event loop), false for copy (its
   * thread-pool reads must wait, and a non-blocking fd would make overlapping ones fail EAGAIN).
   */
  nonBlocking?: boolean;
}

/** Open a FunctionFS endpoint file for I/O in one mode. */
export function openEndpoint(path: string, mode: IoModeName, opts: OpenEndpointOptions = {}): EndpointIo {
  const file = new EndpointFile(path, opts.nonBlocking ?? mode !== 'copy');
  const depth = opts.depth ?? 8;
  try {
    switch (mode) {
      case 'copy':
        return new CopyIo(file);
      case 'aio':
        return new AioIo(file, depth);
      case 'mmap':
        return new MmapIo(file, depth);
      case 'dmabuf':
        return new DmabufIo(file);
    }
  } catch (err) {
    file.close();
    throw err;
  }
}
