import type { IoModeName } from '@ffs-lab/contract/io-modes';
import type { EndpointFile } from './endpoint-file';

/**
 * One small interface over every way to move data through a FunctionFS endpoint file.
 * Transfers may overlap (up to the mode's queue depth); each resolves with the bytes moved or
 * rejects with an errno-coded Error. Buffers come from allocate(): for mmap and dmabuf they are
 * the device-visible memory itself, so data is not copied between user and kernel.
 * Lifecycle: create -> allocate()* -> read()/write()* -> close() (releases every buffer).
 */
export interface EndpointIo {
  readonly mode: IoModeName;
  readonly file: EndpointFile;
  /** A buffer of `size` bytes usable with this mode; owned by this object until release(). */
  allocate(size: number): Uint8Array;
  /** Give a buffer back (munmap for mmap, detach+close for dmabuf). Its memory is unusable afterwards. */
  release(buf: Uint8Array): void;
  /** One OUT transfer (host to gadget) into `buf[0, length)`; resolves with the bytes received. */
  read(buf: Uint8Array, length?: number): Promise<number>;
  /** One IN transfer (gadget to host) from `buf[0, length)`; resolves with the bytes sent. */
  write(buf: Uint8Array, length?: number): Promise<number>;
  /** Transfers in flight now. */
  readonly inFlight: number;
  /** Ask the kernel to cancel everything in flight; their promises settle with an error. */
  cancelAll(): void;
  /** Settle what is in flight (cancelled), release all buffers, close the endpoint file. Safe twice. */
  close(): Promise<void>;
}
