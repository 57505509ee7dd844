/// <reference types="w3c-web-usb" />
/**
 * The host end of an integrity stream over the standard WebUSB API: the one stream module that
 * Chromium's `navigator.usb` (bundled into the test page) and node usb's `WebUSB` class both run,
 * so the two hosts are compared on the same work. Transfers are cut as stream-layout.ts says,
 * queued by the shared transfer pipeline, and every received byte is checked by the pattern
 * oracle (StreamTally -> verifyPattern); sent bytes are made by fillPattern.
 */
import { fillPattern } from '@ffs-lab/contract/pattern';
import { effectiveDepth, expectedLength, receiveLength, slotBytes, transferCount, transferOffset } from '@ffs-lab/contract/stream-layout';
import { StreamTally } from '@ffs-lab/contract/stream-tally';
import { runPipeline, type PipelineHooks } from '@ffs-lab/contract/transfer-pipeline';
import { asCodedError, codedError, openFunction, type OpenedFunction } from './webusb-function';
import type { WebUsbStreamReport, WebUsbStreamRequest } from './webusb-request';

/**
 * Default bound on bytes pending at once: 12 MiB, as for the legacy host engine (usbfs refuses
 * URBs with ENOMEM once all of them pass usbfs_memory_mb, 16 MiB by default, host-wide).
 */
export const WEBUSB_MAX_BYTES_IN_FLIGHT = 12 << 20;
/** Default wait for the device to be listed by `getDevices()` (ms). */
export const WEBUSB_FIND_TIMEOUT_MS = 30_000;

/**
 * Open the requested device on `usb`, run the stream, close the device. `host` names the host in
 * the report. Never rejects: failures (device not granted, a rejected transfer, the deadline,
 * `signal`) are in the report's `error`.
 */
export async function runWebUsbStream(usb: USB, req: WebUsbStreamRequest, host: string, signal?: AbortSignal): Promise<WebUsbStreamReport> {
  let fn: OpenedFunction;
  try {
    fn = await openFunction(usb, req.match, req.findTimeoutMs ?? WEBUSB_FIND_TIMEOUT_MS);
  } catch (err) {
    const e = asCodedError(err);
    return failedStreamReport(host, req, { code: e.code, message: e.message });
  }
  try {
    return await streamOnFunction(fn, req, host, signal);
  } finally {
    await fn.close();
  }
}

/** One slot of the pipeline: OUT streams reuse `out`; IN streams keep the completed transfer's data until it is checked. */
interface Slot {
  out: Uint8Array;
  inData: DataView | undefined;
}

/** Run the stream on an opened function (see {@link runWebUsbStream}). Never rejects. */
export async function streamOnFunction(fn: OpenedFunction, req: WebUsbStreamRequest, host: string, signal?: AbortSignal): Promise<WebUsbStreamReport> {
  const receiving = req.direction === 'in';
  const ep = receiving ? fn.pair.inEndpoint : fn.pair.outEndpoint;
  const mps = fn.pair.packetSize;
  const transfers = transferCount(req);
  const size = slotBytes(req, receiving, mps);
  const depth = effectiveDepth(req.depth, transfers, size, req.maxBytesInFlight ?? WEBUSB_MAX_BYTES_IN_FLIGHT);
  const tally = new StreamTally(req, req.seed);
  const slots: Slot[] = Array.from({ length: depth }, () => ({ out: new Uint8Array(receiving ? 0 : size), inData: undefined }));
  let oracleMs = 0;
  const hooks: PipelineHooks<Slot> = {
    // Synchronous up to the transferIn/transferOut call, so transfers are queued in stream order.
    start: async (s, k) => {
      const len = expectedLength(req, k);
      if (receiving) {
        const r = await call(k, () => fn.device.transferIn(ep, receiveLength(len, mps)));
        failOnStatus(r.status, k);
        s.inData = r.data;
        return r.data?.byteLength ?? 0;
      }
      const data = s.out.subarray(0, len);
      const f0 = performance.now();
      fillPattern(data, req.seed, transferOffset(req, k));
      oracleMs += performance.now() - f0;
      const r = await call(k, () => fn.device.transferOut(ep, data));
      failOnStatus(r.status, k);
      return r.bytesWritten;
    },
    finish: (s, k, n) => {
      const f0 = performance.now();
      try {
        if (receiving) {
          const d = s.inData;
          s.inData = undefined;
          tally.received(k, d ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(0));
          return;
        }
        const want = expectedLength(req, k);
        if (n !== want) throw codedError('SHORT_WRITE', `transfer ${k}: the device took ${n} of ${want} bytes`);
        tally.sent(s.out.subarray(0, n));
      } finally {
        oracleMs += performance.now() - f0;
      }
    },
    // WebUSB cannot cancel one transfer: releasing the interface aborts all of them.
    cancel: () => {
      void fn.close();
    },
  };
  const t0 = performance.now();
  const pipeline = runPipeline(slots, hooks, { transfers, timeoutMs: req.timeoutMs });
  const onAbort = () => pipeline.stop(codedError('ABORTED', `aborted: ${String((signal?.reason as Error | undefined)?.message ?? signal?.reason)}`));
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const outcome = await pipeline.done;
  signal?.removeEventListener('abort', onAbort);
  const elapsedMs = performance.now() - t0;
  return {
    host,
    direction: req.direction,
    depth,
    maxPacketSize: mps,
    endpointNumber: ep,
    plannedTransfers: transfers,
    tally: tally.report(),
    elapsedMs,
    bytesPerSecond: elapsedMs > 0 ? tally.bytes / (elapsedMs / 1000) : 0,
    oracleMs,
    ...(outcome.error ? { error: { code: outcome.error.code ?? 'ERROR', message: outcome.error.message } } : {}),
  };
}

/** A transfer call whose rejection names the transfer. */
async function call<T>(k: number, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw asCodedError(err, `transfer ${k}`);
  }
}

/** WebUSB reports a stall or babble as a status, not a rejection: make it an error. */
function failOnStatus(status: USBTransferStatus, k: number): void {
  if (status === 'ok') return;
  throw codedError(status === 'stall' ? 'STALL' : status === 'babble' ? 'BABBLE' : 'WEBUSB', `transfer ${k}: status ${status}`);
}

/** The report of a host end that failed before its first transfer (or whose host failed as a whole). */
export function failedStreamReport(host: string, req: WebUsbStreamRequest, error: { code: string; message: string }): WebUsbStreamReport {
  return {
    host,
    direction: req.direction,
    depth: 0,
    maxPacketSize: 0,
    endpointNumber: 0,
    plannedTransfers: transferCount(req),
    tally: { bytes: 0, transfers: 0, checksum: '00000000', firstBadOffset: null, badTransfers: 0 },
    elapsedMs: 0,
    bytesPerSecond: 0,
    oracleMs: 0,
    error,
  };
}
