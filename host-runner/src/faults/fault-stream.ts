import type { AgentClient } from '../agent/agent-client';
import type { StreamReport } from '@ffs-lab/contract/protocol';
import { transferCount, type StreamShape } from '@ffs-lab/contract/stream-layout';
import type { IoModeName } from '@ffs-lab/contract/io-modes';
import { streamIn, streamOut, type HostStreamReport } from '../usb/usb-stream';
import type { UsbFunctionHandle } from '../usb/usb-function-handle';

/** Options of {@link FaultStream.start}: one direction, the agent's end and the host's end told the same shape and seed. */
export interface FaultStreamOptions extends StreamShape {
  /** source: gadget to host (IN); sink: host to gadget (OUT). */
  kind: 'source' | 'sink';
  mode: IoModeName;
  depth: number;
  seed: number;
  /** Deadline of both ends (ms). */
  timeoutMs: number;
}

/**
 * A stream a fault is thrown into: unlike runPairedStream, the caller sees it while it runs
 * (bytes moved so far), can strike at a chosen moment, and then collects each end separately,
 * with a bound on how long each may take to notice. Lifecycle: start() -> progress()* -> host() /
 * agentReport().
 */
export class FaultStream {
  private constructor(
    private readonly agent: AgentClient,
    readonly id: number,
    readonly o: FaultStreamOptions,
    /** The host end's report (never rejects). */
    readonly hostEnd: Promise<HostStreamReport>,
    private readonly abort: AbortController,
  ) {}

  /** Start the agent's end (it waits for ENABLE), then the host's. */
  static async start(agent: AgentClient, dev: UsbFunctionHandle, o: FaultStreamOptions): Promise<FaultStream> {
    const shape: StreamShape = { transferSize: o.transferSize, totalBytes: o.totalBytes, ...(o.transfers !== undefined ? { transfers: o.transfers } : {}) };
    const { id } = await agent.call('stream.start', { kind: o.kind, mode: o.mode, ...shape, depth: o.depth, seed: o.seed, timeoutMs: o.timeoutMs });
    const abort = new AbortController();
    const host = { ...shape, seed: o.seed, depth: o.depth, timeoutMs: o.timeoutMs, signal: abort.signal };
    const end = o.kind === 'source' ? streamIn(dev.bulkIn, host) : streamOut(dev.bulkOut, host);
    return new FaultStream(agent, id, o, end, abort);
  }

  /** Bytes the agent's end has moved so far. */
  async progress(): Promise<number> {
    const r = await this.agent.call('stream.status', { id: this.id }, 10_000);
    return (r.sent ?? r.received)?.bytes ?? 0;
  }

  /** Wait until the agent's end has moved at least `bytes` (TIMEOUT-like error past `timeoutMs`). */
  async waitProgress(bytes: number, timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      const n = await this.progress();
      if (n >= bytes) return n;
      if (Date.now() - t0 > timeoutMs) throw new Error(`the stream moved only ${n} of ${bytes} bytes within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The host end's report once it ends, or undefined when it is still running after `ms` (it is then aborted). */
  async host(ms: number): Promise<HostStreamReport | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.hostEnd, new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), ms)))]);
    clearTimeout(timer);
    if (!r) this.abort.abort(new Error(`still running ${ms} ms after the fault`));
    return r;
  }

  /** The agent end's final report (stream.wait), stopping it when `stop` (after a host-side failure). */
  agentReport(stop: boolean, timeoutMs = 30_000): Promise<StreamReport> {
    return stop ? this.agent.call('stream.stop', { id: this.id }, timeoutMs) : this.agent.call('stream.wait', { id: this.id, timeoutMs }, timeoutMs + 10_000);
  }
}

/**
 * Every way both ends of a whole stream disagree with the plan: the agent's end not done, the
 * host's with an error, bytes or transfers not as planned on either side, a wrong byte on the
 * receiving side (its offset), checksums that differ. Empty = every byte arrived once, in order.
 */
export function streamProblems(o: FaultStreamOptions, agent: StreamReport, host: HostStreamReport): string[] {
  const p: string[] = [];
  if (agent.state !== 'done') p.push(`agent stream ${agent.state}${agent.error ? `: ${agent.error.code}: ${agent.error.message}` : ''}`);
  if (host.error) p.push(`host ${host.direction.toUpperCase()} end: ${host.error.code}: ${host.error.message}`);
  const [sent, received] = o.kind === 'source' ? [agent.sent, host.tally] : [host.tally, agent.received];
  const [sName, rName] = o.kind === 'source' ? ['gadget sent', 'host received'] : ['host sent', 'gadget received'];
  if (!sent || !received) return [...p, 'a tally is missing'];
  const planned = transferCount(o);
  if (received.firstBadOffset !== null) p.push(`${rName} a wrong byte stream: first bad offset ${received.firstBadOffset} (${received.fault}), ${received.badTransfers} bad transfer(s)`);
  if (sent.bytes !== o.totalBytes) p.push(`${sName} ${sent.bytes} bytes, planned ${o.totalBytes}`);
  if (received.bytes !== sent.bytes) p.push(`${rName} ${received.bytes} bytes, ${sName} ${sent.bytes}`);
  if (sent.transfers !== planned || received.transfers !== planned) p.push(`transfers: ${sName} ${sent.transfers}, ${rName} ${received.transfers}, planned ${planned}`);
  if (received.checksum !== sent.checksum) p.push(`checksums differ: ${sName} ${sent.checksum}, ${rName} ${received.checksum}`);
  return p;
}
