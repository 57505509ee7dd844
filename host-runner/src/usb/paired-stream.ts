import type { AgentClient } from '../agent/agent-client';
import type { StreamKind, StreamReport } from '@ffs-lab/contract/protocol';
import type { IoModeName } from '@ffs-lab/contract/io-modes';
import { transferCount, type StreamShape } from '@ffs-lab/contract/stream-layout';
import { HOST_MAX_BYTES_IN_FLIGHT, streamIn, streamOut, type HostStreamReport } from './usb-stream';
import type { UsbFunctionHandle } from './usb-function-handle';
import { legProblems } from './stream-leg-check';
import { watchAgentStream } from './agent-stream-watch';

/** Options of {@link runPairedStream}. */
export interface PairedStreamOptions extends StreamShape {
  /** source: gadget to host (IN); sink: host to gadget (OUT); echo: host writes OUT and reads the echo on IN. */
  kind: StreamKind;
  /** The agent's I/O mode. */
  mode: IoModeName;
  /** Transfers in flight on the agent. */
  depth: number;
  /** Transfers in flight on the host; default `depth`. */
  hostDepth?: number;
  seed: number;
  /** Deadline of the stream on both ends (ms). */
  timeoutMs: number;
  /** Negative controls only: give the host end another seed or length than the agent's, to prove a mismatch is caught. */
  hostOverride?: { seed?: number; totalBytes?: number };
}

/** Both ends' reports, and every disagreement between them and the plan. */
export interface PairedStreamResult {
  agent: StreamReport;
  /** source: the host's IN end; sink: its OUT end; echo: both. */
  hostIn?: HostStreamReport;
  hostOut?: HostStreamReport;
  /** Empty when the stream was perfect: counts equal on both sides and as planned, no byte wrong, checksums equal. */
  problems: string[];
}

/**
 * Run one stream with the agent on the gadget and node usb on the host, the ends told the same
 * shape and seed: start the agent's end (it returns at once), run the host's, wait for the
 * agent's report, and compare. A stream still running on the agent after a host failure is
 * stopped, so the function is free for the next stream.
 */
export async function runPairedStream(agent: AgentClient, dev: UsbFunctionHandle, o: PairedStreamOptions): Promise<PairedStreamResult> {
  const shape: StreamShape = { transferSize: o.transferSize, totalBytes: o.totalBytes, ...(o.transfers !== undefined ? { transfers: o.transfers } : {}) };
  // waitReady: the host's clock starts when the agent's end is set up, as with the C pair's "ready".
  const { id } = await agent.call('stream.start', { kind: o.kind, mode: o.mode, ...shape, depth: o.depth, seed: o.seed, timeoutMs: o.timeoutMs, waitReady: true }, o.timeoutMs + 10_000);
  const abort = new AbortController();
  const watch = watchAgentStream(agent, id, abort);
  const host = { ...shape, seed: o.seed, depth: o.hostDepth ?? o.depth, timeoutMs: o.timeoutMs, maxBytesInFlight: hostEndBytesInFlight(o.kind), signal: abort.signal, ...o.hostOverride };
  const [hostIn, hostOut] = await Promise.all([
    o.kind !== 'sink' ? streamIn(dev.bulkIn, host) : undefined,
    o.kind !== 'source' ? streamOut(dev.bulkOut, host) : undefined,
  ]);
  await watch.stop();
  const hostFailed = Boolean(hostIn?.error || hostOut?.error);
  const report = hostFailed
    ? await agent.call('stream.stop', { id }, 20_000)
    : await agent.call('stream.wait', { id, timeoutMs: o.timeoutMs }, o.timeoutMs + 10_000);
  return { agent: report, ...(hostIn ? { hostIn } : {}), ...(hostOut ? { hostOut } : {}), problems: compare(o, shape, report, hostIn, hostOut) };
}

/**
 * Bytes one host end may have submitted at once. usbfs_memory_mb bounds all of the host's URBs
 * together, so an echo's two ends share {@link HOST_MAX_BYTES_IN_FLIGHT}: without that, 1 MiB
 * transfers at depth 8 each way ask for 16 MiB and libusb fails with NO_MEM.
 */
export function hostEndBytesInFlight(kind: StreamKind): number {
  return kind === 'echo' ? HOST_MAX_BYTES_IN_FLIGHT / 2 : HOST_MAX_BYTES_IN_FLIGHT;
}

function compare(o: PairedStreamOptions, shape: StreamShape, agent: StreamReport, hostIn?: HostStreamReport, hostOut?: HostStreamReport): string[] {
  const p: string[] = [];
  const planned = transferCount(shape);
  if (agent.state !== 'done') p.push(`agent stream ${agent.state}${agent.error ? `: ${agent.error.code}: ${agent.error.message}` : ''}`);
  for (const h of [hostIn, hostOut]) if (h?.error) p.push(`host ${h.direction.toUpperCase()} end: ${h.error.code}: ${h.error.message}`);
  // Each pair: who sent, who received (and checked).
  const legs: Array<[string, StreamReport['sent'], string, StreamReport['received']]> = [];
  if (o.kind === 'source') legs.push(['gadget sent', agent.sent, 'host received', hostIn?.tally]);
  if (o.kind === 'sink') legs.push(['host sent', hostOut?.tally, 'gadget received', agent.received]);
  if (o.kind === 'echo') {
    legs.push(['host sent', hostOut?.tally, 'gadget received', agent.received]);
    legs.push(['gadget echoed', agent.sent, 'host received', hostIn?.tally]);
  }
  for (const [sName, s, rName, r] of legs) p.push(...legProblems(sName, s, rName, r, o.totalBytes, planned));
  return p;
}
