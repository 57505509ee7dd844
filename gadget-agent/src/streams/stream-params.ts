import { AgentError } from '../session/agent-error';
import { IO_MODES } from '../../../contract/src/io-modes';
import type { StreamParams } from '../../../contract/src/protocol';
import { shapeProblems, DEFAULT_MAX_BYTES_IN_FLIGHT, DEFAULT_STREAM_TIMEOUT_MS, MAX_DEPTH, MAX_STREAM_TIMEOUT_MS, MAX_TRANSFER_SIZE } from '../../../contract/src/stream-layout';

const KINDS = ['source', 'sink', 'echo'] as const;
const KEYS = new Set(['kind', 'mode', 'transferSize', 'totalBytes', 'transfers', 'depth', 'seed', 'endpoint', 'timeoutMs', 'maxBytesInFlight']);

/** Stream params with the defaults filled in. */
export type ValidStreamParams = StreamParams & { timeoutMs: number; maxBytesInFlight: number };

/**
 * Check `stream.start` params field by field; every problem is named in one BAD_REQUEST error.
 * Returns them typed, with defaults filled in.
 */
export function validateStreamParams(raw: unknown): ValidStreamParams {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new AgentError('BAD_REQUEST', 'stream.start: params must be an object');
  const p = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(p)) if (!KEYS.has(k)) problems.push(`unknown field '${k}'`);
  if (!(KINDS as readonly unknown[]).includes(p.kind)) problems.push(`kind must be one of ${KINDS.join(', ')}`);
  if (!(IO_MODES as readonly unknown[]).includes(p.mode)) problems.push(`mode must be one of ${IO_MODES.join(', ')}`);
  const int = (k: string, min: number, max: number, optional = false) => {
    const v = p[k];
    if (v === undefined && optional) return;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) problems.push(`${k} must be an integer ${min}..${max}`);
  };
  int('depth', 1, MAX_DEPTH);
  int('seed', 0, 0xffffffff);
  int('endpoint', 1, 30, true);
  int('timeoutMs', 1, MAX_STREAM_TIMEOUT_MS, true);
  int('maxBytesInFlight', 1, 1 << 30, true);
  if (typeof p.transferSize !== 'number' || typeof p.totalBytes !== 'number') {
    problems.push(`transferSize (0..${MAX_TRANSFER_SIZE}) and totalBytes must be numbers`);
  } else {
    problems.push(...shapeProblems({ transferSize: p.transferSize, totalBytes: p.totalBytes, ...(p.transfers !== undefined ? { transfers: p.transfers as number } : {}) }));
  }
  if (p.kind === 'echo' && p.endpoint !== undefined) problems.push('endpoint is not used by echo (it loops the first OUT endpoint back to the first IN)');
  if (problems.length) throw new AgentError('BAD_REQUEST', `stream.start: ${problems.join('; ')}`);
  return {
    kind: p.kind as StreamParams['kind'],
    mode: p.mode as StreamParams['mode'],
    transferSize: p.transferSize as number,
    totalBytes: p.totalBytes as number,
    ...(p.transfers !== undefined ? { transfers: p.transfers as number } : {}),
    depth: p.depth as number,
    seed: p.seed as number,
    ...(p.endpoint !== undefined ? { endpoint: p.endpoint as number } : {}),
    timeoutMs: (p.timeoutMs as number | undefined) ?? DEFAULT_STREAM_TIMEOUT_MS,
    maxBytesInFlight: (p.maxBytesInFlight as number | undefined) ?? DEFAULT_MAX_BYTES_IN_FLIGHT,
  };
}

/** Check a `{id}` param (stream.status/wait/stop). */
export function streamId(raw: unknown, method: string): number {
  const id = (raw as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw new AgentError('BAD_REQUEST', `${method}: id must be a positive integer (from stream.start)`);
  return id;
}

/** Check an optional timeout param (ms); `fallback` when absent. */
export function optionalTimeout(raw: unknown, key: string, method: string, fallback: number): number {
  const v = (raw as Record<string, unknown> | undefined)?.[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_STREAM_TIMEOUT_MS) {
    throw new AgentError('BAD_REQUEST', `${method}: ${key} must be an integer 0..${MAX_STREAM_TIMEOUT_MS} (ms)`);
  }
  return v;
}
