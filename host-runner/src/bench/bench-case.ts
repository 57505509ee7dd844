import type { IoModeName } from '@ffs-lab/contract/io-modes';

/**
 * The benchmark's cases and how their figures are named in results.json. The suite records each
 * figure as a measurement named by {@link measurementName}; `ffs-lab bench` reads them back with
 * {@link parseMeasurementName}, so the two agree through this one file.
 *
 *   bench <in|out> <mode> <transferSize> <depth> <ours|c> #<rep>: <throughput|gadget CPU|host CPU>
 */

/** in = gadget to host (a source stream), out = host to gadget (a sink stream). */
export type BenchDirection = 'in' | 'out';
/** ours = the TypeScript agent + node usb; c = the C reference pair (ffs-bench-gadget + ffs-bench-host). */
export type BenchStack = 'ours' | 'c';
export type BenchMetric = 'throughput' | 'gadget CPU' | 'host CPU';

export const BENCH_DIRECTIONS: readonly BenchDirection[] = ['in', 'out'];
export const BENCH_MODES: readonly IoModeName[] = ['copy', 'aio', 'mmap', 'dmabuf'];
export const BENCH_STACKS: readonly BenchStack[] = ['ours', 'c'];
/** Transfer sizes (bytes). */
export const BENCH_SIZES: readonly number[] = [16 << 10, 64 << 10, 1 << 20];
/** Queue depths (transfers in flight asked for, on both ends). */
export const BENCH_DEPTHS: readonly number[] = [1, 8, 32];

/** Units of each metric: bytes per second, CPU seconds per GiB moved. */
export const METRIC_UNITS: Record<BenchMetric, string> = { throughput: 'B/s', 'gadget CPU': 's/GiB', 'host CPU': 's/GiB' };

/** One point of the grid. */
export interface BenchCase {
  direction: BenchDirection;
  mode: IoModeName;
  /** Bytes per transfer. */
  transferSize: number;
  depth: number;
}

/** One measured figure of one repetition of one case on one stack. */
export interface BenchFigure extends BenchCase {
  stack: BenchStack;
  /** 1-based repetition. */
  rep: number;
  metric: BenchMetric;
  value: number;
}

/** The measurement name of a figure (see the module comment). */
export function measurementName(c: BenchCase & { stack: BenchStack; rep: number }, metric: BenchMetric): string {
  return `bench ${c.direction} ${c.mode} ${c.transferSize} ${c.depth} ${c.stack} #${c.rep}: ${metric}`;
}

const NAME = /^bench (in|out) (copy|aio|mmap|dmabuf) (\d+) (\d+) (ours|c) #(\d+): (throughput|gadget CPU|host CPU)$/;

/** The figure a measurement name describes (with `value`), or undefined for any other measurement. */
export function parseMeasurementName(name: string, value: number): BenchFigure | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  return {
    direction: m[1] as BenchDirection,
    mode: m[2] as IoModeName,
    transferSize: Number(m[3]),
    depth: Number(m[4]),
    stack: m[5] as BenchStack,
    rep: Number(m[6]),
    metric: m[7] as BenchMetric,
    value,
  };
}

/** `16 KiB`, `1 MiB`, `512 B`. */
export function sizeLabel(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes >> 20} MiB`;
  if (bytes >= 1 << 10 && bytes % (1 << 10) === 0) return `${bytes >> 10} KiB`;
  return `${bytes} B`;
}

/** `IN (gadget to host)` / `OUT (host to gadget)`. */
export function directionLabel(d: BenchDirection): string {
  return d === 'in' ? 'IN (gadget to host)' : 'OUT (host to gadget)';
}

/** How the report names a stack. */
export function stackLabel(s: BenchStack): string {
  return s === 'ours' ? 'ours (agent + node usb)' : 'C pair';
}

/**
 * The bench's peers: the kernel's tools/usb/ffs-aio-example device apps at their own shape, with
 * our stack and the C pair run at the same shape in the same run. Shapes: `in-8k`, 8 KiB IN reads
 * one at a time on the host (aio-multibuff, 256 requests queued on its side; ours queues 8, the
 * C pair 1); `echo-8k`, 8 KiB round trips (aio-simple: the host reads IN and writes the bytes back
 * OUT; ours: the host writes OUT and reads the agent's echo IN, one transfer in flight each way).
 *
 *   bench peer <shape> <ffs-aio-example|ours|c> #<rep>: throughput
 */
export const PEER_SHAPES = ['in-8k', 'echo-8k'] as const;
export type PeerShape = (typeof PEER_SHAPES)[number];
export const PEER_STACKS = ['ffs-aio-example', 'ours', 'c'] as const;
export type PeerStack = (typeof PEER_STACKS)[number];

/** One peer figure: bytes per second (each way, for echo) of one repetition. */
export interface PeerFigure {
  shape: PeerShape;
  stack: PeerStack;
  rep: number;
  value: number;
}

/** The measurement name of a peer figure (see {@link PEER_SHAPES}). */
export function peerMeasurementName(shape: PeerShape, stack: PeerStack, rep: number): string {
  return `bench peer ${shape} ${stack} #${rep}: throughput`;
}

const PEER_NAME = /^bench peer (in-8k|echo-8k) (ffs-aio-example|ours|c) #(\d+): throughput$/;

/** The peer figure a measurement name describes, or undefined for any other measurement. */
export function parsePeerMeasurementName(name: string, value: number): PeerFigure | undefined {
  const m = PEER_NAME.exec(name);
  return m ? { shape: m[1] as PeerShape, stack: m[2] as PeerStack, rep: Number(m[3]), value } : undefined;
}
