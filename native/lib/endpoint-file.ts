import * as fs from 'node:fs';
import { native } from './bindings';
import { openEndpointFd } from './open-endpoint-fd';

/** The endpoint descriptor the UDC configured (FUNCTIONFS_ENDPOINT_DESC). */
export interface ConfiguredEndpoint {
  address: number;
  direction: 'in' | 'out';
  type: 'control' | 'isochronous' | 'bulk' | 'interrupt';
  maxPacketSize: number;
  interval: number;
}

/**
 * An open FunctionFS data endpoint file (`ep1`...): the descriptor and its ioctls. Using it after
 * close() throws a clear error instead of touching a stale or reused descriptor number.
 */
export class EndpointFile {
  private fdValue: number | undefined;

  /** Open `path` read-write; `nonBlocking` makes I/O before ENABLE fail with EAGAIN. */
  constructor(readonly path: string, nonBlocking = false) {
    this.fdValue = openEndpointFd(path, nonBlocking);
  }

  /** The descriptor number; throws once closed. */
  get fd(): number {
    if (this.fdValue === undefined) throw Object.assign(new Error(`${this.path} is closed`), { code: 'ERR_CLOSED' });
    return this.fdValue;
  }

  get closed(): boolean {
    return this.fdValue === undefined;
  }

  /** A rejected promise with the "closed" error, for I/O attempted after close(). */
  closedError(): Promise<never> {
    return Promise.reject(Object.assign(new Error(`${this.path} is closed`), { code: 'ERR_CLOSED' }));
  }

  /** Bytes the controller still holds in its FIFO (FUNCTIONFS_FIFO_STATUS). */
  fifoStatus(): number {
    return native().fifoStatus(this.fd);
  }

  fifoFlush(): void {
    native().fifoFlush(this.fd);
  }

  /** Clear a halt (stall) on the endpoint (FUNCTIONFS_CLEAR_HALT). */
  clearHalt(): void {
    native().clearHalt(this.fd);
  }

  /** The real endpoint address the UDC assigned (FUNCTIONFS_ENDPOINT_REVMAP). */
  revmap(): number {
    return native().endpointRevmap(this.fd);
  }

  descriptor(): ConfiguredEndpoint {
    const d = native().endpointDescriptor(this.fd);
    return {
      address: d[2]!,
      direction: d[2]! & 0x80 ? 'in' : 'out',
      type: (['control', 'isochronous', 'bulk', 'interrupt'] as const)[d[3]! & 3]!,
      maxPacketSize: d.readUInt16LE(4),
      interval: d[6]!,
    };
  }

  /** Close the file; safe to call twice. */
  close(): void {
    if (this.fdValue === undefined) return;
    fs.closeSync(this.fdValue);
    this.fdValue = undefined;
  }
}
