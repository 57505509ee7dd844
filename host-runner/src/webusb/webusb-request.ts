/**
 * What a WebUSB host end is asked to do and what it reports back. Plain JSON both ways: the
 * request crosses into a Chromium page (page.evaluate) and the report crosses back, so nothing
 * here may hold a function, a class instance or a typed array.
 */
import type { StreamEndTally } from '@ffs-lab/contract/protocol';
import type { StreamShape } from '@ffs-lab/contract/stream-layout';

/** Which device a WebUSB host opens (from `USB.getDevices()`, i.e. among the granted devices). */
export interface WebUsbMatch {
  vendorId: number;
  productId: number;
  /** The gadget's serial number string; tells apart several gadgets with one VID:PID. */
  serialNumber?: string;
}

/** One host end of a stream (the agent runs the other end with the same shape and seed). */
export interface WebUsbStreamRequest extends StreamShape {
  match: WebUsbMatch;
  /** `in`: read the stream from the bulk IN endpoint (agent `source`); `out`: write it to bulk OUT (agent `sink`). */
  direction: 'in' | 'out';
  /** Pattern seed (uint32), the agent's too. */
  seed: number;
  /** transferIn/transferOut calls kept pending at once (bounded by the transfer count and maxBytesInFlight). */
  depth: number;
  /** The whole stream's deadline (ms). WebUSB has no per-transfer cancel: on expiry the device is closed. */
  timeoutMs: number;
  /** Bound on bytes pending at once (usbfs counts them against usbfs_memory_mb). Default 12 MiB. */
  maxBytesInFlight?: number;
  /** How long to wait for the device to show up in `getDevices()` (ms). Default 30000. */
  findTimeoutMs?: number;
}

/** What a WebUSB host end did. */
export interface WebUsbStreamReport {
  /** Which host ran it, e.g. `HeadlessChrome/156.0.0.0` or `node usb WebUSB`. */
  host: string;
  direction: 'in' | 'out';
  /** Transfers kept pending. */
  depth: number;
  /** wMaxPacketSize of the endpoint, from the WebUSB endpoint's `packetSize`. */
  maxPacketSize: number;
  /** Endpoint number the host used (without the direction bit). */
  endpointNumber: number;
  plannedTransfers: number;
  /** IN: what the host received and checked against the pattern oracle; OUT: what it sent. */
  tally: StreamEndTally;
  /** First submission to last completion (ms); open/claim/close are outside. */
  elapsedMs: number;
  /** tally.bytes / elapsed. */
  bytesPerSecond: number;
  /**
   * Of elapsedMs, the time this host's thread spent making (OUT) or checking (IN) pattern bytes
   * and checksumming them: with the oracle in JavaScript (the browser) a bound on throughput.
   */
  oracleMs: number;
  /** Set when the stream did not complete: TIMEOUT, ABORTED, STALL, BABBLE, SHORT_WRITE, NOT_FOUND, or WEBUSB (a rejected call). */
  error?: { code: string; message: string };
}
