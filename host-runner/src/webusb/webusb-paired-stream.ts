/**
 * One stream between the agent on the gadget and a WebUSB host (node usb or Chromium): both ends
 * told the same shape and seed, the receiving end checks every byte, and the two reports are
 * compared with the plan, as runPairedStream does for the legacy node usb engine.
 */
import type { AgentClient } from '../agent/agent-client';
import type { StreamReport } from '@ffs-lab/contract/protocol';
import { transferCount, type StreamShape } from '@ffs-lab/contract/stream-layout';
import type { IoModeName } from '@ffs-lab/contract/io-modes';
import type { WebUsbHost } from './webusb-host';
import type { WebUsbMatch, WebUsbStreamReport, WebUsbStreamRequest } from './webusb-request';
import { failedStreamReport } from './webusb-stream';
import { legProblems } from '../usb/stream-leg-check';
import { watchAgentStream } from '../usb/agent-stream-watch';

/** Options of {@link runWebUsbPairedStream}. */
export interface WebUsbPairedOptions extends StreamShape {
  /** source: gadget to host (the host reads bulk IN); sink: host to gadget (the host writes bulk OUT). */
  kind: 'source' | 'sink';
  /** The agent's I/O mode. */
  mode: IoModeName;
  /** Transfers in flight on the agent. */
  depth: number;
  /** Transfers pending on the host; default `depth`. */
  hostDepth?: number;
  seed: number;
  /** Deadline of the stream on both ends (ms). */
  timeoutMs: number;
  /** The gadget, as the host finds it among its granted devices. */
  match: WebUsbMatch;
}

/** Both ends' reports and every disagreement between them and the plan. */
export interface WebUsbPairedResult {
  agent: StreamReport;
  host: WebUsbStreamReport;
  /** Empty when the stream was perfect. */
  problems: string[];
}

/**
 * Start the agent's end, run the host's, wait for the agent's report and compare. When the
 * agent's stream fails first, the host end is aborted at once; when the host end fails, the
 * agent's stream is stopped, so the function is free for the next stream.
 */
export async function runWebUsbPairedStream(agent: AgentClient, host: WebUsbHost, o: WebUsbPairedOptions): Promise<WebUsbPairedResult> {
  const shape: StreamShape = { transferSize: o.transferSize, totalBytes: o.totalBytes, ...(o.transfers !== undefined ? { transfers: o.transfers } : {}) };
  const { id } = await agent.call('stream.start', { kind: o.kind, mode: o.mode, ...shape, depth: o.depth, seed: o.seed, timeoutMs: o.timeoutMs });
  const abort = new AbortController();
  const watch = watchAgentStream(agent, id, abort);
  const req: WebUsbStreamRequest = { ...shape, match: o.match, direction: o.kind === 'source' ? 'in' : 'out', seed: o.seed, depth: o.hostDepth ?? o.depth, timeoutMs: o.timeoutMs };
  // The host itself can fail (the browser gone): that is a failed host end, and the agent's stream is stopped.
  const hostReport = await host.stream(req, abort.signal).catch((err: Error) => failedStreamReport(host.name, req, { code: 'HOST', message: err.message }));
  await watch.stop();
  const report = hostReport.error ? await agent.call('stream.stop', { id }, 20_000) : await agent.call('stream.wait', { id, timeoutMs: o.timeoutMs }, o.timeoutMs + 10_000);
  return { agent: report, host: hostReport, problems: pairedProblems(o, shape, report, hostReport) };
}

/** Everything wrong with a finished stream: either end's error, counts off the plan or each other, a wrong byte, checksums apart. */
export function pairedProblems(o: Pick<WebUsbPairedOptions, 'kind' | 'totalBytes'>, shape: StreamShape, agent: StreamReport, host: WebUsbStreamReport): string[] {
  const p: string[] = [];
  const planned = transferCount(shape);
  if (agent.state !== 'done') p.push(`agent stream ${agent.state}${agent.error ? `: ${agent.error.code}: ${agent.error.message}` : ''}`);
  if (host.error) p.push(`${host.host} ${host.direction.toUpperCase()} end: ${host.error.code}: ${host.error.message}`);
  const [sName, s, rName, r] = o.kind === 'source' ? ['gadget sent', agent.sent, `${host.host} received`, host.tally] : [`${host.host} sent`, host.tally, 'gadget received', agent.received];
  p.push(...legProblems(sName, s, rName, r, o.totalBytes, planned));
  return p;
}
