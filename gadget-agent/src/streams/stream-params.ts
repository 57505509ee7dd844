import type { StreamParams } from '@ffs-lab/contract/protocol';
import { DEFAULT_MAX_BYTES_IN_FLIGHT, DEFAULT_STREAM_TIMEOUT_MS } from '@ffs-lab/contract/stream-layout';

/** Stream params with the defaults filled in. */
export type ValidStreamParams = StreamParams & { timeoutMs: number; maxBytesInFlight: number };

/**
 * `stream.start` params, already checked against the method's schema
 * (contract/src/request-schemas.ts), with the defaults filled in.
 */
export function withStreamDefaults(p: StreamParams): ValidStreamParams {
  return { ...p, timeoutMs: p.timeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS, maxBytesInFlight: p.maxBytesInFlight ?? DEFAULT_MAX_BYTES_IN_FLIGHT };
}
