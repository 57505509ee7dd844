import { native, type NativeAioContext, type NativeAioRequest } from './bindings';
import { errnoError } from './errno';

interface Waiter {
  resolve: (n: number) => void;
  reject: (e: Error) => void;
  write: boolean;
}

/**
 * Promises over one Linux AIO context. Requests made in the same tick are submitted together in
 * one io_submit (batch submission); completions come back through the context's eventfd.
 */
export class AioQueue {
  private readonly ctx: NativeAioContext;
  private readonly waiters = new Map<number, Waiter>();
  private batch: NativeAioRequest[] = [];
  private nextId = 1;
  private flushScheduled = false;
  private closed = false;

  /** @param depth the most requests in flight at once (io_setup's nr_events). */
  constructor(readonly depth: number) {
    this.ctx = new (native().AioContext)(depth, (ids, results) => this.complete(ids, results));
  }

  get inFlight(): number {
    return this.waiters.size;
  }

  /** Queue one transfer; it is submitted at the end of this tick with the others. */
  submit(fd: number, write: boolean, buffer: ArrayBuffer | ArrayBufferView, offset: number, length: number): Promise<number> {
    if (this.closed) return Promise.reject(Object.assign(new Error('AIO queue closed'), { code: 'ERR_CLOSED' }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiters.set(id, { resolve, reject, write });
      this.batch.push({ fd, write, buffer, offset, length, id });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  /**
   * Cancel everything: requests not yet submitted (same tick) reject with ECANCELED at once and
   * never reach the kernel; those in the kernel get io_cancel and settle through their completion.
   */
  cancelAll(): void {
    const unsubmitted = this.batch;
    this.batch = [];
    for (const r of unsubmitted) this.settle(r.id, errnoError(-125, r.write ? 'io_submit(PWRITE)' : 'io_submit(PREAD)', '(cancelled before submission)'));
    for (const id of this.waiters.keys()) this.ctx.cancel(id);
  }

  /** Cancel and reap (at most 2 s, NativeAioContext.close); pending promises reject. Safe twice. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.ctx.close();
  }

  private flush(): void {
    this.flushScheduled = false;
    let todo = this.batch;
    this.batch = [];
    while (todo.length) {
      let n: number;
      try {
        n = this.ctx.submit(todo);
      } catch (err) {
        for (const r of todo) this.settle(r.id, err as Error);
        return;
      }
      if (n === 0) {
        for (const r of todo) this.settle(r.id, errnoError(-11, 'io_submit', '(no request accepted)'));
        return;
      }
      todo = todo.slice(n);
    }
  }

  private complete(ids: number[], results: number[]): void {
    for (let i = 0; i < ids.length; i++) {
      const r = results[i]!;
      const w = this.waiters.get(ids[i]!);
      if (r >= 0) {
        this.waiters.delete(ids[i]!);
        w?.resolve(r);
      } else {
        this.settle(ids[i]!, errnoError(r, w?.write ? 'io_submit(PWRITE)' : 'io_submit(PREAD)'));
      }
    }
  }

  private settle(id: number, err: Error): void {
    const w = this.waiters.get(id);
    this.waiters.delete(id);
    w?.reject(err);
  }
}
