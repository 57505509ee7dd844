/**
 * Protocol types of the agent's DMABUF methods (`dmabuf.*`, see gadget-agent/src/probes/dmabuf-handlers.ts): raw
 * FUNCTIONFS_DMABUF_* ioctls on the agent's own function, addressed by small integer handles, so
 * a suite can drive every error and ordering case from the host. Errors come back as the ioctl's
 * errno name (EINVAL, EPERM...), like every agent error.
 */

/** Params of `dmabuf.open`: open data endpoint file `ep<endpoint>` of the agent's function. */
export interface DmabufOpenParams {
  /** Endpoint file number (1-based, descriptor order). */
  endpoint: number;
  /** O_NONBLOCK (default true): a transfer before ENABLE fails EAGAIN instead of waiting. */
  nonBlocking?: boolean;
}

/** Params of `dmabuf.transfer`. */
export interface DmabufTransferParams {
  /** From `dmabuf.open`. */
  handle: number;
  /** From `dmabuf.create`. */
  buffer: number;
  /** Bytes (the ioctl's `length`; the kernel refuses 0 and more than the buffer). */
  length: number;
  /** The ioctl's `flags` (must be 0; other values test EINVAL). Default 0. */
  flags?: number;
  /**
   * Fill the buffer's first bytes with the pattern (seed, stream offset) before the ioctl: for IN
   * transfers, or to mark what an OUT transfer must leave alone. `length` defaults to the
   * transfer's (bytes, at most the buffer's size).
   */
  fill?: { seed: number; offset: number; length?: number };
}

/** Params of `dmabuf.verify`: the buffer's bytes `[from, from + length)` must be the pattern (seed, stream offset). */
export interface DmabufVerifyParams {
  buffer: number;
  length: number;
  seed: number;
  offset: number;
  /** Byte offset in the buffer where the check starts. Default 0. */
  from?: number;
}

/** Reply of `dmabuf.wait`: a transfer's fence, read from its sync_file. */
export interface DmabufFenceState {
  /** `pending` when `timeoutMs` passed first (not an error: tests assert both outcomes). */
  state: 'pending' | 'signaled';
  /** The errno name the fence signalled with (ECONNRESET, ESHUTDOWN...); absent on success. */
  error?: string;
  /**
   * Whether `error` could be read: false on a kernel without CONFIG_SYNC_FILE (the fence cannot
   * be exported; only that it signalled is known, from poll on the dma-buf).
   */
  errorKnown: boolean;
  /** ms from the transfer ioctl to when the wait saw the fence signalled (or gave up). */
  elapsedMs: number;
}

/** Params of `dmabuf.loop`: attach, transfer, complete, end (DETACH or close) `cycles` times. */
export interface DmabufLoopParams {
  endpoint: number;
  cycles: number;
  /** Bytes per transfer (pattern-filled for IN, checked for OUT at offset cycle x size). */
  size: number;
  seed: number;
  /** How each cycle ends right after its fence signalled: DETACH, or close of the endpoint file. */
  end: 'detach' | 'close';
  /** The whole loop's deadline (ms). */
  timeoutMs: number;
}

/** Reply of `dmabuf.loop`. */
export interface DmabufLoopReport {
  /** Cycles whose transfer completed without a fence error. */
  completed: number;
  /** OUT only: cycles whose bytes differed from the pattern. */
  badCycles: number;
  /** ATTACH/TRANSFER calls that met EBUSY (the reservation lock held by the previous cycle's completion work) and were retried. */
  busyRetries: number;
  /** The first failure (ioctl errno, fence errno, TIMEOUT), with its cycle; absent when all went well. */
  error?: { cycle: number; code: string; message: string };
  /** Mean µs from the fence signalling (as seen by poll) to the end of its DETACH/close. */
  meanEndUs: number;
  elapsedMs: number;
}

/** The DMABUF methods, merged into protocol.ts's Methods. */
export interface DmabufMethods {
  /** Open an endpoint file of the agent's function for DMABUF ioctls. */
  'dmabuf.open': { params: DmabufOpenParams; result: { handle: number } };
  /** A udmabuf of `size` bytes (a positive multiple of 4096), not attached. */
  'dmabuf.create': { params: { size: number }; result: { buffer: number } };
  /** FUNCTIONFS_DMABUF_ATTACH. */
  'dmabuf.attach': { params: { handle: number; buffer: number }; result: Record<string, never> };
  /** FUNCTIONFS_DMABUF_DETACH. */
  'dmabuf.detach': { params: { handle: number; buffer: number }; result: Record<string, never> };
  /** FUNCTIONFS_DMABUF_TRANSFER; returns at once with an id whose fence `dmabuf.wait` reads. */
  'dmabuf.transfer': { params: DmabufTransferParams; result: { transfer: number } };
  /** Wait up to `timeoutMs` for a transfer's fence. */
  'dmabuf.wait': { params: { transfer: number; timeoutMs: number }; result: DmabufFenceState };
  /** Check `[from, from + length)` of a buffer against the pattern: the first wrong byte offset in the buffer, or null. */
  'dmabuf.verify': { params: DmabufVerifyParams; result: { firstBadOffset: number | null } };
  /** Close an endpoint file as it is (buffers attached, transfers pending). */
  'dmabuf.close': { params: { handle: number }; result: Record<string, never> };
  /** Run the attach/transfer/complete/end loop in the agent (the host must move the data meanwhile). */
  'dmabuf.loop': { params: DmabufLoopParams; result: DmabufLoopReport };
  /** Close every endpoint file, sync_file and buffer of the dmabuf methods (never DETACH). */
  'dmabuf.reset': { params: Record<string, never>; result: Record<string, never> };
  /** Whether DMABUF works on the bound function's UDC (ATTACH on ep1), and why not. */
  'dmabuf.probe': { params: Record<string, never>; result: DmabufProbe };
}

export const DMABUF_METHOD_NAMES: ReadonlyArray<keyof DmabufMethods> = [
  'dmabuf.open', 'dmabuf.create', 'dmabuf.attach', 'dmabuf.detach', 'dmabuf.transfer', 'dmabuf.wait',
  'dmabuf.verify', 'dmabuf.close', 'dmabuf.loop', 'dmabuf.reset', 'dmabuf.probe',
];

/** Reply of `dmabuf.probe`: can this function's UDC take DMABUF transfers at all? */
export interface DmabufProbe {
  /** FUNCTIONFS_DMABUF_ATTACH of a one-page udmabuf on ep1 of the bound function: `ok` or the errno name. */
  attach: string;
  /** The UDC the function is bound to. */
  udc: string;
  /** dummy_hcd's `sg_supported` parameter (added by the lab's patch 0014): Y, N, or null when absent. */
  dummySgParam: 'Y' | 'N' | null;
  /** ATTACH worked: DMABUF streams can run. */
  usable: boolean;
  /** The kernel has DMABUF ioctls and the UDC claims scatter-gather (dummy_hcd with sg_supported=Y): a failed attach is a kernel failure. */
  sgExpected: boolean;
  /** When not usable: why, for the skip message. */
  reason?: string;
}
