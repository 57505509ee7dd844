import * as usb from 'usb';
import { native } from '@ffs-lab/native/bindings';
import { patternTable } from '@ffs-lab/contract/pattern';
import type { StreamEndTally } from '@ffs-lab/contract/protocol';
import { effectiveDepth, slotBytes, transferCount, type StreamShape } from '@ffs-lab/contract/stream-layout';
import { StreamTally } from '@ffs-lab/contract/stream-tally';
import { StreamMeter } from './stream-meter';
import { UsbTransferRing } from './usb-transfer-ring';

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

/** The shape, depth and tally of one host stream end, then its transfers on a {@link UsbTransferRing}. */
async function run(ep: usb.InEndpoint | usb.OutEndpoint, opts: HostStreamOptions, receiving: boolean): Promise<HostStreamReport> {
  const mps = ep.descriptor.wMaxPacketSize & 0x7ff;
  const transfers = transferCount(opts);
  const size = slotBytes(opts, receiving, mps);
  const depth = effectiveDepth(opts.depth, transfers, size, opts.maxBytesInFlight ?? HOST_MAX_BYTES_IN_FLIGHT);
  const tally = new (native().Tally)({ transferSize: opts.transferSize, totalBytes: opts.totalBytes, transfers, maxPacketSize: mps, pattern: patternTable(opts.seed) });
  const ring = new UsbTransferRing(ep, { shape: opts, receiving, transfers, depth, slotBytes: size, maxPacketSize: mps }, tally);
  // After the slots exist, so growth means accumulation during the stream.
  const meter = StreamMeter.start();
  const deadline = setTimeout(() => ring.stop({ code: 'TIMEOUT', message: `stream did not finish within ${opts.timeoutMs} ms` }), opts.timeoutMs);
  const onAbort = () => ring.stop({ code: 'ABORTED', message: `aborted: ${String((opts.signal?.reason as Error | undefined)?.message ?? opts.signal?.reason)}` });
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const error = await ring.run();
  const measured = meter.stop();
  clearTimeout(deadline);
  opts.signal?.removeEventListener('abort', onAbort);
  const report = new StreamTally(opts, opts.seed);
  report.mirror(tally.report());
  return {
    direction: receiving ? 'in' : 'out',
    depth,
    maxPacketSize: mps,
    plannedTransfers: transfers,
    tally: report.report(),
    elapsedMs: measured.elapsedMs,
    bytesPerSecond: measured.elapsedMs > 0 ? report.bytes / (measured.elapsedMs / 1000) : 0,
    cpuUserMs: measured.cpuUserMs,
    cpuSystemMs: measured.cpuSystemMs,
    rssStartBytes: measured.rssStartBytes,
    rssPeakBytes: measured.rssPeakBytes,
    ...(error ? { error } : {}),
  };
}
