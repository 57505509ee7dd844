import * as usb from 'usb';
import type { NativeTally } from '@ffs-lab/native/bindings';
import { expectedLength, receiveLength, type StreamShape } from '@ffs-lab/contract/stream-layout';

/** What a {@link UsbTransferRing} moves. */
export interface RingPlan {
  shape: StreamShape;
  /** IN (check what arrives) or OUT (send the pattern). */
  receiving: boolean;
  transfers: number;
  /** libusb transfers in flight (slots). */
  depth: number;
  /** Each slot's buffer size (bytes). */
  slotBytes: number;
  maxPacketSize: number;
}

/** A stream failure as the report gives it. */
export interface RingError {
  code: string;
  message: string;
}

interface Slot {
  buf: Buffer;
  transfer: usb.usb.Transfer;
  /** The transfer this slot carries now (slot i carries i, i + depth, ...). */
  k: number;
  /** Completed, waiting for its turn (always its turn while libusb completes in order). */
  done: boolean;
  actual: number;
}

/**
 * `depth` reusable libusb transfers (one Transfer and one Buffer per slot, so memory is flat)
 * carrying a stream's transfers 0..n-1, accounted in stream order in the addon's tally.
 *
 * The loop runs on node usb's completion callbacks, with no promise or allocation per transfer:
 * a completion is accounted in stream order (the addon's Tally fills, or checks, and folds into
 * the CRC-32 in one call), and its slot goes straight out again with the next transfer. On TCG
 * every JavaScript step per transfer shows in the throughput of small transfers.
 *
 * Lifecycle: construct (slots made, nothing submitted) -> run() once -> stop() any time (deadline,
 * abort, a failed transfer); run() resolves when nothing is in flight, at most 5 s after a stop.
 */
export class UsbTransferRing {
  private readonly slots: Slot[];
  private next = 0;
  private turn = 0;
  private inFlight = 0;
  private stopping = false;
  private error: RingError | undefined;
  private ended = false;
  private end: () => void = () => undefined;
  /** Resolves once nothing is in flight and nothing more will be submitted (made first: stop() may come before run()). */
  private readonly finished = new Promise<void>((r) => (this.end = r));
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(
    ep: usb.InEndpoint | usb.OutEndpoint,
    private readonly plan: RingPlan,
    private readonly tally: NativeTally,
  ) {
    this.slots = Array.from({ length: plan.depth }, () => {
      const slot: Slot = { buf: Buffer.alloc(plan.slotBytes), transfer: undefined as unknown as usb.usb.Transfer, k: -1, done: false, actual: 0 };
      // Timeout 0 (none) per transfer: queued transfers wait for earlier ones; the stream deadline bounds the whole.
      slot.transfer = ep.makeTransfer(0, (err, _buf, actual) => this.complete(slot, err, actual));
      return slot;
    });
  }

  /** Submit the first `depth` transfers and resolve with the first error (none: every transfer went through). */
  async run(): Promise<RingError | undefined> {
    for (const s of this.slots) if (!this.stopping && this.next < this.plan.transfers) this.submit(s);
    this.maybeEnd();
    await this.finished;
    clearTimeout(this.settleTimer);
    return this.error;
  }

  /** Cancel what is in flight and submit nothing more; the first error given is the one reported. */
  stop(err: RingError): void {
    if (this.stopping) return;
    this.stopping = true;
    this.error ??= err;
    for (const s of this.slots) {
      try {
        s.transfer.cancel();
      } catch {
        /* not pending */
      }
    }
    // A transfer that a device reset left queued may never complete: do not wait past 5 s.
    this.settleTimer = setTimeout(() => {
      this.ended = true;
      this.end();
    }, 5000);
    this.maybeEnd();
  }

  private maybeEnd(): void {
    if (this.ended || this.inFlight > 0 || (!this.stopping && this.turn < this.plan.transfers)) return;
    this.ended = true;
    this.end();
  }

  private submit(s: Slot): void {
    const k = this.next++;
    s.k = k;
    s.done = false;
    const p = this.plan;
    const len = p.receiving ? receiveLength(expectedLength(p.shape, k), p.maxPacketSize) : this.tally.fill(s.buf, k);
    try {
      s.transfer.submit(len === s.buf.length ? s.buf : s.buf.subarray(0, len));
      this.inFlight++;
    } catch (err) {
      this.stop(usbError(err as Error));
    }
  }

  private complete(s: Slot, err: Error | undefined, actual: number): void {
    this.inFlight--;
    if (err) this.stop(usbError(err));
    if (this.stopping) return this.maybeEnd();
    s.done = true;
    s.actual = actual;
    const { depth, receiving, transfers } = this.plan;
    for (let t = this.slots[this.turn % depth]!; t.done && t.k === this.turn; t = this.slots[this.turn % depth]!) {
      t.done = false;
      if (receiving) {
        this.tally.received(t.buf, this.turn, t.actual);
      } else {
        const wrong = this.tally.sent(t.buf, this.turn, t.actual);
        if (wrong !== undefined) {
          this.stop({ code: 'SHORT_WRITE', message: wrong.replace(/wrote/, 'the device took') });
          return this.maybeEnd();
        }
      }
      this.turn++;
      if (this.next < transfers) this.submit(t);
      if (this.stopping) break;
    }
    this.maybeEnd();
  }
}

const STATUS_NAMES: Record<number, string> = {
  [usb.usb.LIBUSB_TRANSFER_ERROR]: 'LIBUSB_TRANSFER_ERROR',
  [usb.usb.LIBUSB_TRANSFER_TIMED_OUT]: 'LIBUSB_TRANSFER_TIMED_OUT',
  [usb.usb.LIBUSB_TRANSFER_CANCELLED]: 'LIBUSB_TRANSFER_CANCELLED',
  [usb.usb.LIBUSB_TRANSFER_STALL]: 'LIBUSB_TRANSFER_STALL',
  [usb.usb.LIBUSB_TRANSFER_NO_DEVICE]: 'LIBUSB_TRANSFER_NO_DEVICE',
  [usb.usb.LIBUSB_TRANSFER_OVERFLOW]: 'LIBUSB_TRANSFER_OVERFLOW',
};

/** A libusb failure as an Error with a readable code (the transfer status name). */
function usbError(err: Error & { errno?: number }): Error & { code: string } {
  const code = (err.errno !== undefined && STATUS_NAMES[err.errno]) || 'LIBUSB_ERROR';
  return Object.assign(new Error(`${code}: ${err.message}`), { code });
}
