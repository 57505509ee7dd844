/**
 * How a stream is cut into USB transfers. Both ends (the agent on the gadget, the host engine)
 * use this one definition, so they agree on every transfer's length without talking.
 *
 * A stream of `totalBytes` with `transferSize` T > 0 is ceil(totalBytes / T) transfers; transfer
 * k carries stream bytes [k*T, min((k+1)*T, totalBytes)) of the pattern (see the oracle). The
 * sender makes each transfer one write (gadget) or one submitted transfer (host) of exactly that
 * length and **never adds a zero-length packet**, also when a length is a multiple of
 * wMaxPacketSize.
 *
 * The receiver knows every transfer's expected length E_k too, and posts a read of
 * {@link receiveLength}(E_k) = E_k rounded up to a multiple of wMaxPacketSize:
 * - E_k a multiple of wMaxPacketSize: the read is exactly E_k and ends when full, so no ZLP is
 *   needed to end it (and none is sent);
 * - otherwise the sender's last packet is short, which ends the read at E_k;
 * so each receiver transfer ends exactly where the sender's ends, and receiver transfer k holds
 * sender transfer k. The receiver then checks that its actual length is E_k (a short or long
 * transfer is an error at its stream offset) and every byte against the pattern.
 *
 * T = 0 is a ZLP stream: `transfers` zero-length transfers (totalBytes is 0). The sender sends
 * one zero-length packet per transfer; the receiver posts reads of one wMaxPacketSize and expects
 * each to complete with 0 bytes.
 */

/** The shape of a stream: what both ends must be told identically. */
export interface StreamShape {
  /** Bytes per transfer (the last one may be shorter); 0 = a stream of zero-length packets. */
  transferSize: number;
  /** Bytes in the whole stream; must be 0 when transferSize is 0. */
  totalBytes: number;
  /** Number of zero-length transfers when transferSize is 0; ignored otherwise. */
  transfers?: number;
}

/** Largest transfer either end accepts (4 MiB: the largest mmap mapping on x86-64 is that too). */
export const MAX_TRANSFER_SIZE = 4 << 20;
/** Largest stream: 64 GiB, far past any test, small enough to stay an exact JS integer count. */
export const MAX_TOTAL_BYTES = 64 * 2 ** 30;
/** Most zero-length transfers in one ZLP stream. */
export const MAX_ZLP_TRANSFERS = 1 << 20;
/** Default bound on bytes posted at once per stream end (usbfs' default usbfs_memory_mb is 16). */
export const DEFAULT_MAX_BYTES_IN_FLIGHT = 16 << 20;

/** Problems with a shape, one message each (empty when valid). */
export function shapeProblems(s: StreamShape): string[] {
  const p: string[] = [];
  if (!Number.isSafeInteger(s.transferSize) || s.transferSize < 0 || s.transferSize > MAX_TRANSFER_SIZE) {
    p.push(`transferSize must be an integer 0..${MAX_TRANSFER_SIZE}`);
  }
  if (!Number.isSafeInteger(s.totalBytes) || s.totalBytes < 0 || s.totalBytes > MAX_TOTAL_BYTES) {
    p.push(`totalBytes must be an integer 0..${MAX_TOTAL_BYTES}`);
  }
  if (s.transferSize === 0) {
    if (s.totalBytes !== 0) p.push('totalBytes must be 0 for a zero-length-packet stream (transferSize 0)');
    if (!Number.isSafeInteger(s.transfers) || s.transfers! < 1 || s.transfers! > MAX_ZLP_TRANSFERS) {
      p.push(`transfers must be an integer 1..${MAX_ZLP_TRANSFERS} when transferSize is 0`);
    }
  } else if (s.transfers !== undefined) {
    p.push('transfers is only for zero-length-packet streams (transferSize 0); give totalBytes');
  }
  return p;
}

/** How many transfers the stream has. */
export function transferCount(s: StreamShape): number {
  return s.transferSize === 0 ? s.transfers ?? 0 : Math.ceil(s.totalBytes / s.transferSize);
}

/** Length of transfer k (bytes): T, or the remainder for the last one; 0 in a ZLP stream. */
export function expectedLength(s: StreamShape, k: number): number {
  return s.transferSize === 0 ? 0 : Math.min(s.transferSize, s.totalBytes - k * s.transferSize);
}

/** Stream offset of the first byte of transfer k. */
export function transferOffset(s: StreamShape, k: number): number {
  return k * s.transferSize;
}

/** The length a receiver posts for a transfer expected to carry `expected` bytes (see the module comment). */
export function receiveLength(expected: number, maxPacketSize: number): number {
  if (expected === 0) return maxPacketSize;
  return Math.ceil(expected / maxPacketSize) * maxPacketSize;
}

/** Buffer size one slot needs: the largest transfer, rounded for receivers. */
export function slotBytes(s: StreamShape, receiving: boolean, maxPacketSize: number): number {
  const largest = expectedLength(s, 0);
  return receiving ? receiveLength(largest, maxPacketSize) : largest;
}

/**
 * Transfers kept in flight: the depth asked for, bounded by the stream's transfer count and by a
 * budget of bytes posted at once (never below 1).
 */
export function effectiveDepth(depth: number, transfers: number, slotSize: number, maxBytesInFlight = DEFAULT_MAX_BYTES_IN_FLIGHT): number {
  const byBudget = slotSize > 0 ? Math.floor(maxBytesInFlight / slotSize) : depth;
  return Math.max(1, Math.min(depth, transfers, byBudget));
}

/** Most transfers in flight a stream may ask for. */
export const MAX_DEPTH = 256;
/** Default stream deadline (ms). */
export const DEFAULT_STREAM_TIMEOUT_MS = 120_000;
/** Longest stream deadline (ms): one hour. */
export const MAX_STREAM_TIMEOUT_MS = 3_600_000;
