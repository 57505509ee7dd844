import * as usb from 'usb';
import { native } from '@ffs-lab/native/bindings';
import { patternTable } from '@ffs-lab/contract/pattern';
import type { StreamEndTally } from '@ffs-lab/contract/protocol';
import { effectiveDepth, expectedLength, receiveLength, slotBytes, transferCount, type StreamShape } from '@ffs-lab/contract/stream-layout';
import { StreamTally } from '@ffs-lab/contract/stream-tally';

/** Options of {@link streamIn} and {@link streamOut}; the shape must equal the agent's stream. */
export interface HostStreamOptions extends StreamShape {
  /** Pattern seed (uint32), the agent's too. */
  seed: number;
  /** libusb transfers kept in flight (bounded by maxBytesInFlight and the transfer count). */
  depth: number;
  /** The whole stream's deadline (ms); in-flight transfers are cancelled and the report says TIMEOUT. */
  timeoutMs: number;
  /** Bound on bytes submitted at once. Default {@link HOST_MAX_BYTES_IN_FLIGHT}. */
  maxBytesInFlight?: number;
  /** Abort early (e.g. the other end failed): transfers are cancelled, the report says ABORTED with the reason. */
  signal?: AbortSignal;
}

/** What the host side of a stream did. */
export interface HostStreamReport {
  direction: 'in' | 'out';
  /** Transfers kept in flight. */
  depth: number;
  maxPacketSize: number;
  plannedTransfers: number;
  /** IN: what the host received and checked; OUT: what it sent. */
  tally: StreamEndTally;
  /** First submission to last completion (ms). */
  elapsedMs: number;
  /** tally.bytes / elapsed. */
  bytesPerSecond: number;
  /** This process's CPU time during the stream (ms; includes libusb's event thread). */
  cpuUserMs: number;
  cpuSystemMs: number;
  rssStartBytes: number;
  rssPeakBytes: number;
  /** Set when the stream did not complete: TIMEOUT, a libusb status (`LIBUSB_TRANSFER_STALL`...), SHORT_WRITE. */
  error?: { code: string; message: string };
}

/**
 * Default bound on bytes submitted at once: 12 MiB. usbfs refuses URBs (ENOMEM) once all of them
 * together pass usbfs_memory_mb (16 MiB by default, host-wide), counting per-URB overhead too.
 */
export const HOST_MAX_BYTES_IN_FLIGHT = 12 << 20;

/** Sample RSS this often while a stream runs (ms): a /proc read, too dear per transfer on TCG. */
const RSS_SAMPLE_MS = 100;

/**
 * Host end of a source stream: read the stream from a bulk/interrupt IN endpoint with node usb@2's
 * legacy API, `depth` libusb transfers in flight (each slot one reusable Transfer and one Buffer,
 * so memory is flat), every byte checked against the pattern and every length against
 * stream-layout.ts. Never rejects: failures are in the report.
 */
export function streamIn(ep: usb.InEndpoint, opts: HostStreamOptions): Promise<HostStreamReport> {
  return run(ep, opts, true);
}

/** Host end of a sink stream: write the pattern to a bulk/interrupt OUT endpoint, as {@link streamIn}. */
export function streamOut(ep: usb.OutEndpoint, opts: HostStreamOptions): Promise<HostStreamReport> {
  return run(ep, opts, false);
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
 * The loop runs on node usb's completion callbacks, with no promise or allocation per transfer:
 * a completion is accounted in stream order (the addon's Tally fills, or checks, and folds into
 * the CRC-32 in one call), and its slot goes straight out again with the next transfer. On TCG
 * every JavaScript step per transfer shows in the throughput of small transfers.
 */
async function run(ep: usb.InEndpoint | usb.OutEndpoint, opts: HostStreamOptions, receiving: boolean): Promise<HostStreamReport> {
  const mps = ep.descriptor.wMaxPacketSize & 0x7ff;
  const transfers = transferCount(opts);
  const size = slotBytes(opts, receiving, mps);
  const depth = effectiveDepth(opts.depth, transfers, size, opts.maxBytesInFlight ?? HOST_MAX_BYTES_IN_FLIGHT);
  const report = new StreamTally(opts, opts.seed);
  const tally = new (native().Tally)({ transferSize: opts.transferSize, totalBytes: opts.totalBytes, transfers, maxPacketSize: mps, pattern: patternTable(opts.seed) });
  let next = 0;
  let turn = 0;
  let inFlight = 0;
  let stopping = false;
  let error: { code: string; message: string } | undefined;
  let ended = false;
  let end: () => void = () => undefined;
  const finished = new Promise<void>((r) => (end = r));
  let settleTimer: NodeJS.Timeout | undefined;

  const maybeEnd = () => {
    if (ended || inFlight > 0 || (!stopping && turn < transfers)) return;
    ended = true;
    end();
  };
  const stop = (err: { code: string; message: string }) => {
    if (stopping) return;
    stopping = true;
    error ??= err;
    for (const s of slots) {
      try {
        s.transfer.cancel();
      } catch {
        /* not pending */
      }
    }
    // A transfer that a device reset left queued may never complete: do not wait past 5 s.
    settleTimer = setTimeout(() => {
      ended = true;
      end();
    }, 5000);
    maybeEnd();
  };
  const submit = (s: Slot) => {
    const k = next++;
    s.k = k;
    s.done = false;
    const len = receiving ? receiveLength(expectedLength(opts, k), mps) : tally.fill(s.buf, k);
    try {
      s.transfer.submit(len === s.buf.length ? s.buf : s.buf.subarray(0, len));
      inFlight++;
    } catch (err) {
      stop(usbError(err as Error));
    }
  };
  const complete = (s: Slot, err: Error | undefined, actual: number) => {
    inFlight--;
    if (err) stop(usbError(err));
    if (stopping) return maybeEnd();
    s.done = true;
    s.actual = actual;
    for (let t = slots[turn % depth]!; t.done && t.k === turn; t = slots[turn % depth]!) {
      t.done = false;
      if (receiving) {
        tally.received(t.buf, turn, t.actual);
      } else {
        const wrong = tally.sent(t.buf, turn, t.actual);
        if (wrong !== undefined) {
          stop({ code: 'SHORT_WRITE', message: wrong.replace(/wrote/, 'the device took') });
          return maybeEnd();
        }
      }
      turn++;
      if (next < transfers) submit(t);
      if (stopping) break;
    }
    maybeEnd();
  };
  const slots: Slot[] = Array.from({ length: depth }, () => {
    const slot: Slot = { buf: Buffer.alloc(size), transfer: undefined as unknown as usb.usb.Transfer, k: -1, done: false, actual: 0 };
    // Timeout 0 (none) per transfer: queued transfers wait for earlier ones; the stream deadline bounds the whole.
    slot.transfer = ep.makeTransfer(0, (err, _buf, actual) => complete(slot, err, actual));
    return slot;
  });
  // After the slots exist, so growth means accumulation during the stream.
  const rssStart = process.memoryUsage.rss();
  let rssPeak = rssStart;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), RSS_SAMPLE_MS);
  const deadline = setTimeout(() => stop({ code: 'TIMEOUT', message: `stream did not finish within ${opts.timeoutMs} ms` }), opts.timeoutMs);
  const onAbort = () => stop({ code: 'ABORTED', message: `aborted: ${String((opts.signal?.reason as Error | undefined)?.message ?? opts.signal?.reason)}` });
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  for (const s of slots) if (!stopping && next < transfers) submit(s);
  maybeEnd();
  await finished;
  const elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  clearTimeout(deadline);
  clearTimeout(settleTimer);
  clearInterval(rssTimer);
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  opts.signal?.removeEventListener('abort', onAbort);
  report.mirror(tally.report());
  return {
    direction: receiving ? 'in' : 'out',
    depth,
    maxPacketSize: mps,
    plannedTransfers: transfers,
    tally: report.report(),
    elapsedMs,
    bytesPerSecond: elapsedMs > 0 ? report.bytes / (elapsedMs / 1000) : 0,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    rssStartBytes: rssStart,
    rssPeakBytes: rssPeak,
    ...(error ? { error } : {}),
  };
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
