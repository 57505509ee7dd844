import * as usb from 'usb';
import { fillPattern } from '../oracle/pattern';
import type { StreamEndTally } from '../../../gadget-agent/src/protocol';
import { effectiveDepth, expectedLength, receiveLength, slotBytes, transferCount, transferOffset, type StreamShape } from '../../../gadget-agent/src/stream-layout';
import { StreamTally } from '../../../gadget-agent/src/stream-tally';
import { runPipeline, type PipelineHooks } from '../../../gadget-agent/src/transfer-pipeline';

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
  /** Settles the transfer in flight on this slot (usb@2 calls the makeTransfer callback; submit ignores one). */
  settle: ((err: Error | undefined, actual: number) => void) | undefined;
}

async function run(ep: usb.InEndpoint | usb.OutEndpoint, opts: HostStreamOptions, receiving: boolean): Promise<HostStreamReport> {
  const mps = ep.descriptor.wMaxPacketSize & 0x7ff;
  const transfers = transferCount(opts);
  const size = slotBytes(opts, receiving, mps);
  const depth = effectiveDepth(opts.depth, transfers, size, opts.maxBytesInFlight ?? HOST_MAX_BYTES_IN_FLIGHT);
  const tally = new StreamTally(opts, opts.seed);
  const slots: Slot[] = Array.from({ length: depth }, () => {
    const slot: Slot = { buf: Buffer.alloc(size), transfer: undefined as unknown as usb.usb.Transfer, settle: undefined };
    // Timeout 0 (none) per transfer: queued transfers wait for earlier ones; the stream deadline bounds the whole.
    slot.transfer = ep.makeTransfer(0, (err, _buf, actual) => {
      const settle = slot.settle;
      slot.settle = undefined;
      settle?.(err, actual);
    });
    return slot;
  });
  const submit = (s: Slot, length: number) =>
    new Promise<number>((resolve, reject) => {
      s.settle = (err, actual) => (err ? reject(usbError(err)) : resolve(actual));
      try {
        s.transfer.submit(s.buf.subarray(0, length));
      } catch (err) {
        s.settle = undefined;
        reject(usbError(err as Error));
      }
    });
  const hooks: PipelineHooks<Slot> = {
    start: (s, k) => {
      const len = expectedLength(opts, k);
      if (receiving) return submit(s, receiveLength(len, mps));
      fillPattern(s.buf.subarray(0, len), opts.seed, transferOffset(opts, k));
      return submit(s, len);
    },
    finish: (s, k, n) => {
      if (receiving) {
        tally.received(k, s.buf.subarray(0, n));
        return;
      }
      const want = expectedLength(opts, k);
      if (n !== want) throw Object.assign(new Error(`transfer ${k}: the device took ${n} of ${want} bytes`), { code: 'SHORT_WRITE' });
      tally.sent(s.buf.subarray(0, n));
    },
    cancel: () => {
      for (const s of slots) {
        try {
          s.transfer.cancel();
        } catch {
          /* not pending */
        }
      }
    },
  };
  // After the slots exist, so growth means accumulation during the stream.
  const rssStart = process.memoryUsage.rss();
  let rssPeak = rssStart;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), RSS_SAMPLE_MS);
  const pipeline = runPipeline(slots, hooks, { transfers, timeoutMs: opts.timeoutMs });
  const onAbort = () => pipeline.stop(Object.assign(new Error(`aborted: ${String((opts.signal?.reason as Error | undefined)?.message ?? opts.signal?.reason)}`), { code: 'ABORTED' }));
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const outcome = await pipeline.done;
  clearInterval(rssTimer);
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  opts.signal?.removeEventListener('abort', onAbort);
  const elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  return {
    direction: receiving ? 'in' : 'out',
    depth,
    maxPacketSize: mps,
    plannedTransfers: transfers,
    tally: tally.report(),
    elapsedMs,
    bytesPerSecond: elapsedMs > 0 ? tally.bytes / (elapsedMs / 1000) : 0,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    rssStartBytes: rssStart,
    rssPeakBytes: rssPeak,
    ...(outcome.error ? { error: { code: outcome.error.code ?? 'ERROR', message: outcome.error.message } } : {}),
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
