import { BENCH_MODES, BENCH_SIZES, directionLabel, sizeLabel, stackLabel, type BenchDirection, type BenchStack } from './bench-case';
import type { BenchReport, BenchRow, StackFigures } from './bench-report';
import type { Spread } from './bench-stats';
import { xmlAttr as xmlEscape } from '../results/report-text';

/** Colours of the two stacks (ours saturated, the reference grey). */
const COLORS: Record<BenchStack, string> = { ours: '#2b6cb0', c: '#9aa5b1' };
const STACKS: readonly BenchStack[] = ['ours', 'c'];

interface Panel {
  title: string;
  pick: (f: StackFigures) => Spread;
  /** Shown value from the raw one (e.g. B/s -> MB/s). */
  scale: number;
}

const PANELS: readonly Panel[] = [
  { title: 'throughput (MB/s, higher is better)', pick: (f) => f.throughput, scale: 1e-6 },
  { title: 'gadget CPU (s per GiB, lower is better)', pick: (f) => f.gadgetCpu, scale: 1 },
  { title: 'host CPU (s per GiB, lower is better)', pick: (f) => f.hostCpu, scale: 1 },
];

const BAR = 9;
const SIZE_GAP = 6;
const MODE_GAP = 18;
const PAD = 10;
const AXIS = 44;
const PLOT_H = 200;
const TOP = 62;
const PANEL_GAP = 28;

/** The axis top: a 1, 2, 2.5 or 5 times a power of ten at or above `v`. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v * (1 - 1e-9)) return m * p;
  return 10 * p;
}

function fmtTick(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 1 ? 2 : 1);
}

/**
 * One SVG chart for a direction: three panels side by side (throughput, gadget CPU per GiB,
 * host CPU per GiB); in each, the modes along the x axis, within a mode one pair of bars per
 * transfer size (ours, C pair) at queue depth `depth`, bar = median, whisker = min..max over
 * the repetitions. Hand-written SVG: no chart library.
 */
export function directionChart(report: BenchReport, direction: BenchDirection, depth = 8): string {
  const modes = BENCH_MODES.filter((m) => report.rows.some((r) => r.direction === direction && r.mode === m));
  const shownModes = modes.length ? modes : [...BENCH_MODES];
  const rowOf = (mode: string, size: number): BenchRow | undefined => report.rows.find((r) => r.direction === direction && r.mode === mode && r.transferSize === size && r.depth === depth);
  const pairW = 2 * BAR + 1;
  const modeW = BENCH_SIZES.length * pairW + (BENCH_SIZES.length - 1) * SIZE_GAP;
  const plotW = shownModes.length * modeW + (shownModes.length - 1) * MODE_GAP + 2 * PAD;
  const panelW = AXIS + plotW;
  const width = PANELS.length * panelW + (PANELS.length - 1) * PANEL_GAP + 16;
  const height = TOP + PLOT_H + 52;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="8" y="16" font-size="13" font-weight="bold">${xmlEscape(`${directionLabel(direction)}: queue depth ${depth}; bars: median of ${report.reps} run(s), whiskers: min to max`)}</text>`);
  let lx = 8;
  for (const s of STACKS) {
    parts.push(`<rect x="${lx}" y="24" width="12" height="10" fill="${COLORS[s]}"/><text x="${lx + 16}" y="33">${xmlEscape(stackLabel(s))}</text>`);
    lx += 30 + stackLabel(s).length * 6;
  }
  parts.push(`<text x="${lx + 10}" y="33" fill="#555">${xmlEscape(`kernel ${report.kernel.release}; sizes per mode: ${BENCH_SIZES.map(sizeLabel).join(', ')}`)}</text>`);
  PANELS.forEach((panel, pi) => {
    const x0 = 8 + pi * (panelW + PANEL_GAP);
    const px = x0 + AXIS;
    const values: number[] = [];
    for (const m of shownModes) for (const size of BENCH_SIZES) for (const s of STACKS) {
      const f = rowOf(m, size)?.[s];
      if (f) values.push(panel.pick(f).max * panel.scale);
    }
    const top = niceMax(Math.max(0, ...values));
    const y = (v: number) => TOP + PLOT_H - (v / top) * PLOT_H;
    parts.push(`<g>`);
    parts.push(`<text x="${px}" y="${TOP - 10}" font-weight="bold">${xmlEscape(panel.title)}</text>`);
    for (let i = 0; i <= 5; i++) {
      const v = (top * i) / 5;
      parts.push(`<line x1="${px}" x2="${px + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${i ? '#e2e8f0' : '#333'}"/>`);
      parts.push(`<text x="${px - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#333">${fmtTick(v)}</text>`);
    }
    shownModes.forEach((m, mi) => {
      const mx = px + PAD + mi * (modeW + MODE_GAP);
      BENCH_SIZES.forEach((size, si) => {
        const sx = mx + si * (pairW + SIZE_GAP);
        STACKS.forEach((s, k) => {
          const bx = sx + k * (BAR + 1);
          const f = rowOf(m, size)?.[s];
          if (!f) {
            parts.push(`<text x="${bx + BAR / 2}" y="${TOP + PLOT_H - 3}" text-anchor="middle" font-size="8" fill="#999">-</text>`);
            return;
          }
          const sp = panel.pick(f);
          const [med, lo, hi] = [sp.median, sp.min, sp.max].map((v) => v * panel.scale) as [number, number, number];
          const tip = `${m} ${sizeLabel(size)} depth ${depth}, ${stackLabel(s)}: median ${med.toPrecision(4)} (min ${lo.toPrecision(4)}, max ${hi.toPrecision(4)}, n=${sp.n})`;
          parts.push(`<rect x="${bx}" y="${y(med).toFixed(1)}" width="${BAR}" height="${(TOP + PLOT_H - y(med)).toFixed(1)}" fill="${COLORS[s]}"><title>${xmlEscape(tip)}</title></rect>`);
          if (sp.n > 1) {
            const cx = bx + BAR / 2;
            parts.push(`<path d="M${cx} ${y(lo).toFixed(1)}V${y(hi).toFixed(1)}M${cx - 3} ${y(lo).toFixed(1)}h6M${cx - 3} ${y(hi).toFixed(1)}h6" stroke="#111" stroke-width="1" fill="none"/>`);
          }
        });
        parts.push(`<text x="${sx + pairW / 2}" y="${TOP + PLOT_H + 13}" text-anchor="middle" font-size="9" fill="#555">${xmlEscape(sizeLabel(size).replace(' KiB', 'K').replace(' MiB', 'M'))}</text>`);
      });
      parts.push(`<text x="${mx + modeW / 2}" y="${TOP + PLOT_H + 30}" text-anchor="middle" font-weight="bold">${xmlEscape(m)}</text>`);
    });
    parts.push(`</g>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
