import { directionLabel, sizeLabel, stackLabel, type BenchDirection } from './bench-case';
import type { BenchReport, BenchRow, RatioFigures, StackFigures } from './bench-report';
import { spreadPercent, type Spread } from './bench-stats';

/** MB/s (10^6 bytes per second) with one decimal, as the suites report throughput. */
export function mbps(bytesPerSecond: number): string {
  return (bytesPerSecond / 1e6).toFixed(1);
}

/** `12.3 ±4%`: the median and half the min-max range in percent. */
function withSpread(s: Spread | undefined, fmt: (v: number) => string): string {
  if (!s) return '-';
  return s.n > 1 ? `${fmt(s.median)} ±${Math.round(spreadPercent(s))}%` : fmt(s.median);
}

const cpu = (v: number) => v.toFixed(1);
const ratio = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(2));

/** Plain-text table with columns padded to their widest cell; the first row is the header. */
export function textTable(rows: readonly string[][], rightAlignFrom = 1): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((cell, i) => (i >= rightAlignFrom ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function figureCells(f: StackFigures | undefined, pick: (f: StackFigures) => Spread, fmt: (v: number) => string): string {
  return withSpread(f ? pick(f) : undefined, fmt);
}

/** The full grid of one direction: every mode x size x depth, both stacks side by side. */
export function directionTable(rows: readonly BenchRow[], direction: BenchDirection): string {
  const header = ['mode', 'size', 'depth', 'MB/s ours', 'MB/s C', 'ours/C', 'gadget s/GiB ours', 'gadget s/GiB C', 'host s/GiB ours', 'host s/GiB C'];
  const body = rows
    .filter((r) => r.direction === direction)
    .map((r) => [
      r.mode,
      sizeLabel(r.transferSize),
      String(r.depth),
      figureCells(r.ours, (f) => f.throughput, mbps),
      figureCells(r.c, (f) => f.throughput, mbps),
      ratio(r.throughputRatio),
      figureCells(r.ours, (f) => f.gadgetCpu, cpu),
      figureCells(r.c, (f) => f.gadgetCpu, cpu),
      figureCells(r.ours, (f) => f.hostCpu, cpu),
      figureCells(r.c, (f) => f.hostCpu, cpu),
    ]);
  return textTable([header, ...body], 2);
}

function ratioCells(r: RatioFigures): string[] {
  return [ratio(r.throughput), ratio(r.gadgetCpu), ratio(r.hostCpu), String(r.cases)];
}

/**
 * The ratios that matter, printed last: ours / C per mode (throughput, gadget and host CPU per
 * GiB), and zero-copy (mmap) / copy per direction and stack. Geometric means over the grid.
 */
export function ratiosText(report: BenchReport): string {
  const out: string[] = [];
  out.push('our stack / C pair (geometric mean over sizes x depths; throughput > 1: ours faster; CPU per GiB > 1: ours costs more)');
  out.push(textTable([['direction', 'mode', 'throughput', 'gadget CPU/GiB', 'host CPU/GiB', 'cases'], ...report.oursOverC.map((r) => [r.direction.toUpperCase(), r.mode, ...ratioCells(r)])], 2));
  const slow = report.oursOverC.filter((r) => r.throughput !== undefined && r.throughput < 0.9);
  if (slow.length) out.push(`below 0.9x the C pair: ${slow.map((r) => `${r.direction.toUpperCase()} ${r.mode} (${ratio(r.throughput)})`).join(', ')}`);
  out.push('');
  out.push('zero-copy (mmap) / copy (throughput > 1: zero-copy faster; CPU per GiB < 1: zero-copy cheaper)');
  out.push(textTable([['direction', 'stack', 'throughput', 'gadget CPU/GiB', 'host CPU/GiB', 'cases'], ...report.mmapOverCopy.map((r) => [r.direction.toUpperCase(), stackLabel(r.stack), ...ratioCells(r)])], 2));
  return out.join('\n');
}

/** What each peer shape is (bench-case.ts PEER_SHAPES). */
const PEER_SHAPE_TEXT: Record<string, string> = {
  'in-8k': 'IN, 8 KiB reads one at a time (aio-multibuff; its pauses at buffer boundaries left out)',
  'echo-8k': '8 KiB round trips (aio-simple: IN then back OUT; ours: OUT then the echo IN)',
};

/** The peers table: the kernel's ffs-aio-example apps beside ours and the C pair at their shapes. */
export function peersTable(report: BenchReport): string {
  const header = ['shape', 'MB/s ffs-aio-example', 'MB/s ours', 'MB/s C', 'ours/app'];
  const body = report.peers.map((r) => [r.shape, withSpread(r.app, mbps), withSpread(r.ours, mbps), withSpread(r.c, mbps), ratio(r.oursOverApp)]);
  const legend = report.peers.map((r) => `  ${r.shape}: ${PEER_SHAPE_TEXT[r.shape] ?? r.shape}`);
  return [textTable([header, ...body], 1), ...legend].join('\n');
}

/** The whole terminal report: conditions, a table per direction, notes, then the ratios last. */
export function benchText(report: BenchReport): string {
  const out: string[] = [];
  out.push(`ffs-lab bench: kernel ${report.kernel.release}${report.kernel.variant ? ` (${report.kernel.variant})` : ''}, mmap ${report.kernel.features.mmap}, DMABUF ${report.kernel.features.dmabuf}; ${report.reps} repetition(s) per case; medians ±half range`);
  const cond = Object.entries(report.conditions).map(([k, v]) => `${k}: ${v}`);
  if (cond.length) out.push(cond.join('; '));
  for (const d of ['in', 'out'] as const) {
    if (!report.rows.some((r) => r.direction === d)) continue;
    out.push('', directionLabel(d), directionTable(report.rows, d));
  }
  if (report.peers.length) out.push('', "peers: the kernel's tools/usb/ffs-aio-example device apps, ours and the C pair at the apps' shapes", peersTable(report));
  if (report.skipped.length) out.push('', 'skipped:', ...report.skipped.map((n) => `  ${n.count} x ${n.reason}`));
  if (report.failed.length) out.push('', 'FAILED:', ...report.failed.map((n) => `  ${n.count} x ${n.reason} (e.g. ${n.example})`));
  out.push('', ratiosText(report));
  return out.join('\n') + '\n';
}
