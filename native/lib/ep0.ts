import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native, type NativeFdWatcher } from './bindings';

/** FunctionFS event types (enum usb_functionfs_event_type). */
export const EVENT_TYPES = ['BIND', 'UNBIND', 'ENABLE', 'DISABLE', 'SETUP', 'SUSPEND', 'RESUME'] as const;
export type Ep0EventType = (typeof EVENT_TYPES)[number];

/** A control request delivered with a SETUP event. */
export interface SetupRequest {
  bRequestType: number;
  bRequest: number;
  wValue: number;
  wIndex: number;
  wLength: number;
}

/** One ep0 event; `setup` is present for SETUP. */
export interface Ep0Event {
  type: Ep0EventType;
  setup?: SetupRequest;
}

const EVENT_SIZE = 12;

/** Decode a buffer of struct usb_functionfs_event (12 bytes each). */
export function decodeEvents(buf: Buffer): Ep0Event[] {
  const out: Ep0Event[] = [];
  for (let o = 0; o + EVENT_SIZE <= buf.length; o += EVENT_SIZE) {
    const type = EVENT_TYPES[buf[o + 8]!];
    if (!type) continue;
    const ev: Ep0Event = { type };
    if (type === 'SETUP') {
      ev.setup = { bRequestType: buf[o]!, bRequest: buf[o + 1]!, wValue: buf.readUInt16LE(o + 2), wIndex: buf.readUInt16LE(o + 4), wLength: buf.readUInt16LE(o + 6) };
    }
    out.push(ev);
  }
  return out;
}

/**
 * ep0 of a FunctionFS mount: write descriptors and strings, then receive events without blocking
 * the event loop (libuv polls the fd). Every SETUP must be answered with {@link answerSetup} or
 * {@link stallSetup} before the next event can be read. Emits 'event' (Ep0Event) and 'error'.
 * Lifecycle: open() -> writeDescriptors() -> writeStrings() -> start() -> ... -> close().
 */
export class Ep0 extends EventEmitter {
  private watcher: NativeFdWatcher | undefined;
  private pendingSetup: SetupRequest | undefined;
  /**
   * True from taking a SETUP until its data stage (write, read or stall) has returned: any read()
   * of ep0 in that window would be taken by FunctionFS as the wrong-direction data stage of an IN
   * SETUP and stall it (seen: the host gets STALL, the answer ESRCH).
   */
  private answering = false;
  private closed = false;

  private constructor(readonly fd: number, readonly mount: string) {
    super();
  }

  /** Open `<mount>/ep0` (non-blocking, so reads never stall the loop). */
  static open(mount: string): Ep0 {
    const fd = fs.openSync(path.join(mount, 'ep0'), fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    return new Ep0(fd, mount);
  }

  /** Write the descriptor blob (see descriptors.ts); endpoint files appear after the strings. */
  writeDescriptors(blob: Buffer): void {
    fs.writeSync(this.fd, blob);
  }

  writeStrings(blob: Buffer): void {
    fs.writeSync(this.fd, blob);
  }

  /** Start delivering events. */
  start(): void {
    if (this.watcher || this.closed || this.answering || this.pendingSetup) return;
    this.watcher = new (native().FdWatcher)(this.fd, 'readable', () => this.readEvents());
  }

  /** Data stage of the pending SETUP: IN requests send `data`; OUT requests return what the host sent. */
  async answerSetup(data?: Buffer): Promise<Buffer | undefined> {
    const s = this.takeSetup();
    try {
      if (s.bRequestType & 0x80) {
        const out = (data ?? Buffer.alloc(0)).subarray(0, s.wLength);
        await retryBusy(() => writeAsync(this.fd, out));
        return undefined;
      }
      const buf = Buffer.alloc(s.wLength);
      const n = await retryBusy(() => readAsync(this.fd, buf));
      return buf.subarray(0, n);
    } finally {
      this.answered();
    }
  }

  /** Refuse the pending SETUP: I/O in the wrong direction makes FunctionFS stall ep0. */
  async stallSetup(): Promise<void> {
    const s = this.takeSetup();
    try {
      if (s.bRequestType & 0x80) await retryBusy(() => readAsync(this.fd, Buffer.alloc(0)));
      else await retryBusy(() => writeAsync(this.fd, Buffer.alloc(0)));
    } catch (err) {
      // EL2HLT is FunctionFS saying "stalled", which is what we asked for.
      if ((err as NodeJS.ErrnoException).code !== 'EL2HLT') throw err;
    } finally {
      this.answered();
    }
  }

  /** The SETUP awaiting an answer, if any. */
  get setupPending(): SetupRequest | undefined {
    return this.pendingSetup;
  }

  /** Stop events and close ep0 (the function's descriptors go away with it). Safe twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.stop();
    this.watcher = undefined;
    fs.closeSync(this.fd);
  }

  private takeSetup(): SetupRequest {
    const s = this.pendingSetup;
    if (!s) throw new Error('no SETUP is pending on ep0');
    this.pendingSetup = undefined;
    this.answering = true;
    return s;
  }

  /** The data stage returned (either way): events may be read again. */
  private answered(): void {
    this.answering = false;
    this.start();
  }

  private readEvents(): void {
    // While a SETUP is pending, a read would be its data stage: wait for the answer.
    while (!this.closed && !this.pendingSetup && !this.answering) {
      const buf = Buffer.alloc(EVENT_SIZE * 4);
      let n: number;
      try {
        n = fs.readSync(this.fd, buf, 0, buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN' && code !== 'EINTR') this.emit('error', err);
        return;
      }
      if (n <= 0) return;
      for (const ev of decodeEvents(buf.subarray(0, n))) {
        if (ev.type === 'SETUP') {
          this.pendingSetup = ev.setup;
          // ep0 polls readable for as long as the SETUP is pending: stop watching until answered.
          this.watcher?.stop();
          this.watcher = undefined;
        }
        this.emit('event', ev);
      }
    }
  }
}

/**
 * On a non-blocking ep0, FunctionFS only try-locks its mutex and says EAGAIN when another call
 * holds it for a moment: retry that, briefly, as the same data stage.
 */
async function retryBusy<T>(op: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await op();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || i >= 50) throw err;
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

function writeAsync(fd: number, buf: Buffer): Promise<number> {
  return new Promise((resolve, reject) => fs.write(fd, buf, 0, buf.length, null, (err, n) => (err ? reject(err) : resolve(n))));
}

function readAsync(fd: number, buf: Buffer): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buf, 0, buf.length, null, (err, n) => (err ? reject(err) : resolve(n))));
}
