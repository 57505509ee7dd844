import { execFile } from 'node:child_process';
import type { StreamShape } from '@ffs-lab/contract/stream-layout';
import { transferCount } from '@ffs-lab/contract/stream-layout';
import type { IoModeName } from '@ffs-lab/contract/io-modes';
import type { StreamEndTally } from '@ffs-lab/contract/protocol';

/**
 * One end's one-line JSON result, as the C programs print it (bench/src/bench-result.c): the
 * agent's tally fields (bytes, transfers, CRC-32, first bad offset) plus the stream's shape.
 */
export interface CEndResult extends StreamEndTally {
  role: 'gadget' | 'host';
  kind: 'source' | 'sink';
  mode: IoModeName;
  state: 'done' | 'failed';
  transferSize: number;
  totalBytes: number;
  plannedTransfers: number;
  depth: number;
  maxPacketSize: number;
  /** First submission to last completion. */
  seconds: number;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  error?: { code: string; message: string };
}

/** What ffs-bench-host printed: its result, with the gadget's (null when it never got one). */
export interface CHostResult extends CEndResult {
  gadget: CEndResult | null;
}

/** Options of {@link runCPairStream}. */
export interface CPairStreamOptions extends StreamShape {
  kind: 'source' | 'sink';
  mode: IoModeName;
  depth: number;
  seed: number;
  /** Deadline of the stream on both ends (ms); the host program is killed 30 s past it. */
  timeoutMs: number;
  /** The ffs-bench-host binary. */
  hostProgram: string;
  /** Where the C gadget's device is (sysfs busnum/devnum). */
  bus: number;
  address: number;
}

/** Both ends' results and every disagreement between them and the plan (empty when perfect). */
export interface CPairStreamResult {
  host: CHostResult;
  gadget: CEndResult | null;
  problems: string[];
  /** ffs-bench-host's exit code. */
  exitCode: number | null;
}

/**
 * Run one stream of the C pair: ffs-bench-host (in this process's space: the runner is the USB
 * host) asks the running ffs-bench-gadget for the stream over ep0, moves and checks the data, and
 * prints both ends' results; they are compared as paired-stream.ts compares the agent's.
 */
export function runCPairStream(o: CPairStreamOptions): Promise<CPairStreamResult> {
  const spec = [
    `kind=${o.kind}`,
    `mode=${o.mode}`,
    `size=${o.transferSize}`,
    `total=${o.totalBytes}`,
    ...(o.transfers !== undefined ? [`transfers=${o.transfers}`] : []),
    `depth=${o.depth}`,
    `seed=${o.seed >>> 0}`,
    `timeout_ms=${o.timeoutMs}`,
  ];
  const argv = ['--device', `${o.bus}:${o.address}`, ...spec];
  return new Promise((resolve, reject) => {
    execFile(o.hostProgram, argv, { timeout: o.timeoutMs + 30_000, killSignal: 'SIGKILL', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) {
        reject(new Error(`ffs-bench-host printed no result (${err ? err.message : 'exit 0'}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
        return;
      }
      let host: CHostResult;
      try {
        host = JSON.parse(line) as CHostResult;
      } catch (e) {
        reject(new Error(`ffs-bench-host printed bad JSON (${(e as Error).message}): ${line.slice(0, 200)}`));
        return;
      }
      const exitCode = err ? ((err as { code?: unknown }).code as number | null) ?? null : 0;
      resolve({ host, gadget: host.gadget, problems: compareEnds(o, host, host.gadget), exitCode: typeof exitCode === 'number' ? exitCode : null });
    });
  });
}

/** Disagreements between the ends and the plan, in the words of paired-stream.ts. */
export function compareEnds(shape: StreamShape & { kind: 'source' | 'sink' }, host: CEndResult, gadget: CEndResult | null): string[] {
  const p: string[] = [];
  if (host.state !== 'done') p.push(`C host ${host.state}${host.error ? `: ${host.error.code}: ${host.error.message}` : ''}`);
  if (!gadget) return [...p, 'no result from the C gadget'];
  if (gadget.state !== 'done') p.push(`C gadget ${gadget.state}${gadget.error ? `: ${gadget.error.code}: ${gadget.error.message}` : ''}`);
  const [sName, s, rName, r] = shape.kind === 'source' ? ['gadget sent', gadget, 'host received', host] : ['host sent', host, 'gadget received', gadget];
  const planned = transferCount(shape);
  if (r.firstBadOffset !== null) p.push(`${rName} a wrong byte stream: first bad offset ${r.firstBadOffset} (${r.fault}), ${r.badTransfers} bad transfer(s)`);
  if (s.bytes !== shape.totalBytes) p.push(`${sName} ${s.bytes} bytes, planned ${shape.totalBytes}`);
  if (r.bytes !== s.bytes) p.push(`${rName} ${r.bytes} bytes, ${sName} ${s.bytes}`);
  if (s.transfers !== planned) p.push(`${sName} ${s.transfers} transfers, planned ${planned}`);
  if (r.transfers !== s.transfers) p.push(`${rName} ${r.transfers} transfers, ${sName} ${s.transfers}`);
  if (r.checksum !== s.checksum) p.push(`checksums differ: ${sName} ${s.checksum}, ${rName} ${r.checksum}`);
  return p;
}
