import * as fs from 'node:fs';
import type { EndpointFile } from './endpoint-file';
import type { EndpointIo } from './endpoint-io';

/**
 * read()/write() on libuv's thread pool: the kernel copies between the user buffer and its own
 * request buffer. Transfers run one at a time in the order they were asked for: two blocking
 * calls on pool threads would race for the endpoint's lock and could reach the host out of order.
 */
export class CopyIo implements EndpointIo {
  readonly mode = 'copy' as const;
  private pending = 0;
  /** Settles when the last transfer asked for has ended (the queue's tail). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly file: EndpointFile) {}

  allocate(size: number): Uint8Array {
    return Buffer.alloc(size);
  }

  release(_buf: Uint8Array): void {
    /* garbage-collected memory */
  }

  get inFlight(): number {
    return this.pending;
  }

  read(buf: Uint8Array, length = buf.length): Promise<number> {
    // f_fs fails a blocking read with EINTR when a signal interrupts it, even one with no handler
    // (SIGSTOP/SIGCONT), and libuv does not retry: read again, as a POSIX reader would.
    const attempt = (cb: (err: NodeJS.ErrnoException | null, n: number) => void): void =>
      fs.read(this.file.fd, buf, 0, length, null, (err, n) => (err?.code === 'EINTR' && !this.file.closed ? attempt(cb) : cb(err, n)));
    return this.io(attempt);
  }

  write(buf: Uint8Array, length = buf.length): Promise<number> {
    return this.io((cb) => fs.write(this.file.fd, buf, 0, length, null, cb));
  }

  cancelAll(): void {
    /* blocking read/write cannot be cancelled; disabling the function ends them */
  }

  async close(): Promise<void> {
    this.file.close();
  }

  private io(start: (cb: (err: NodeJS.ErrnoException | null, n: number) => void) => void): Promise<number> {
    if (this.file.closed) return this.file.closedError();
    this.pending++;
    const run = (): Promise<number> => {
      if (this.file.closed) {
        this.pending--;
        return this.file.closedError();
      }
      return new Promise((resolve, reject) =>
        start((err, n) => {
          this.pending--;
          if (err) reject(err);
          else resolve(n);
        }),
      );
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
