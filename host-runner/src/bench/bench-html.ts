import { BENCH_DIRECTIONS, directionLabel, sizeLabel, stackLabel, type BenchDirection } from './bench-case';
import { xmlAttr as xmlEscape } from '../results/report-text';
import type { BenchReport, RatioFigures, StackFigures } from './bench-report';
import { spreadPercent, type Spread } from './bench-stats';
import { mbps } from './bench-table';

function cell(s: Spread | undefined, fmt: (v: number) => string): string {
  if (!s) return '<td class="na">-</td>';
  const tip = `median ${fmt(s.median)}, min ${fmt(s.min)}, max ${fmt(s.max)}, n=${s.n}`;
  return `<td title="${xmlEscape(tip)}">${fmt(s.median)}${s.n > 1 ? ` <small>±${Math.round(spreadPercent(s))}%</small>` : ''}</td>`;
}

const cpu = (v: number) => v.toFixed(1);
const r2 = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(2));

function ratioRow(label: string[], r: RatioFigures, flag = false): string {
  return `<tr${flag ? ' class="low"' : ''}>${label.map((l) => `<td>${xmlEscape(l)}</td>`).join('')}<td>${r2(r.throughput)}</td><td>${r2(r.gadgetCpu)}</td><td>${r2(r.hostCpu)}</td><td>${r.cases}</td></tr>`;
}

function gridTable(report: BenchReport, d: BenchDirection): string {
  const pick = (f: StackFigures | undefined, g: (f: StackFigures) => Spread) => (f ? g(f) : undefined);
  const rows = report.rows
    .filter((r) => r.direction === d)
    .map(
      (r) =>
        `<tr><td>${r.mode}</td><td>${sizeLabel(r.transferSize)}</td><td>${r.depth}</td>` +
        cell(pick(r.ours, (f) => f.throughput), (v) => mbps(v)) +
        cell(pick(r.c, (f) => f.throughput), (v) => mbps(v)) +
        `<td${r.throughputRatio !== undefined && r.throughputRatio < 0.9 ? ' class="low"' : ''}>${r2(r.throughputRatio)}</td>` +
        cell(pick(r.ours, (f) => f.gadgetCpu), cpu) +
        cell(pick(r.c, (f) => f.gadgetCpu), cpu) +
        cell(pick(r.ours, (f) => f.hostCpu), cpu) +
        cell(pick(r.c, (f) => f.hostCpu), cpu) +
        '</tr>',
    )
    .join('\n');
  return `<table><thead><tr><th>mode</th><th>size</th><th>depth</th><th>MB/s ours</th><th>MB/s C</th><th>ours/C</th><th>gadget s/GiB ours</th><th>gadget s/GiB C</th><th>host s/GiB ours</th><th>host s/GiB C</th></tr></thead>\n<tbody>\n${rows}\n</tbody></table>`;
}

/**
 * index.html: the charts (inlined, so the page stands alone), the ratios, the conditions, and
 * the whole grid per direction. `charts` maps a direction to its SVG text.
 */
export function benchHtml(report: BenchReport, charts: Partial<Record<BenchDirection, string>>): string {
  const k = report.kernel;
  const conditions = [
    ['kernel', `${k.release}${k.variant ? ` (${k.variant})` : ''}; mmap ${k.features.mmap}, DMABUF ${k.features.dmabuf}`],
    ['started', report.startedAt],
    ['duration', `${Math.round(report.durationMs / 1000)} s`],
    ['repetitions per case', String(report.reps)],
    ...Object.entries(report.conditions).map(([a, b]) => [a, String(b)]),
  ];
  const parts: string[] = [];
  parts.push(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ffs-lab bench: ${xmlEscape(k.release)}</title>
<style>
body{font-family:sans-serif;margin:24px;color:#1a202c}
table{border-collapse:collapse;margin:8px 0 20px}
td,th{border:1px solid #cbd5e0;padding:3px 8px;text-align:right;font-size:13px}
td:first-child,th:first-child{text-align:left}
th{background:#edf2f7}
.low{background:#fed7d7}
.na{color:#a0aec0}
small{color:#718096}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px;font-size:14px}
dt{font-weight:bold}
figure{margin:0 0 16px;overflow-x:auto}
</style></head><body>
<h1>FunctionFS I/O modes: our stack against the C reference pair</h1>
<p>Throughput and CPU seconds per GiB, per direction, I/O mode, transfer size and queue depth.
<em>ours</em> is the gadget agent (TypeScript + native addon) with node <code>usb</code> on the host;
the <em>C pair</em> is <code>ffs-bench-gadget</code> + <code>ffs-bench-host</code> (bench/src), moving and checking
the same streams. Medians over the repetitions, ± half the min-to-max range. Raw figures: <a href="bench.json">bench.json</a>.</p>
<dl>${conditions.map(([a, b]) => `<dt>${xmlEscape(a!)}</dt><dd>${xmlEscape(b!)}</dd>`).join('')}</dl>`);
  for (const d of BENCH_DIRECTIONS) {
    if (charts[d]) parts.push(`<h2>${xmlEscape(directionLabel(d))}</h2>\n<figure>${charts[d]}</figure>`);
  }
  parts.push('<h2>Ratios</h2>');
  parts.push('<p>Geometric means over the transfer sizes and depths both sides ran. Throughput above 1: the first is faster; CPU per GiB below 1: the first is cheaper. Rows below 0.9 are marked.</p>');
  parts.push('<h3>our stack / C pair</h3><table><thead><tr><th>direction</th><th>mode</th><th>throughput</th><th>gadget CPU/GiB</th><th>host CPU/GiB</th><th>cases</th></tr></thead><tbody>');
  for (const r of report.oursOverC) parts.push(ratioRow([r.direction.toUpperCase(), r.mode], r, r.throughput !== undefined && r.throughput < 0.9));
  parts.push('</tbody></table>');
  parts.push('<h3>zero-copy (mmap) / copy</h3><table><thead><tr><th>direction</th><th>stack</th><th>throughput</th><th>gadget CPU/GiB</th><th>host CPU/GiB</th><th>cases</th></tr></thead><tbody>');
  for (const r of report.mmapOverCopy) parts.push(ratioRow([r.direction.toUpperCase(), stackLabel(r.stack)], r));
  parts.push('</tbody></table>');
  if (report.peers.length) {
    parts.push("<h2>Peers: the kernel's ffs-aio-example apps</h2><p>Ours and the C pair at the apps' shapes, in the same run (MB/s, medians).</p>");
    parts.push('<table><thead><tr><th>shape</th><th>ffs-aio-example</th><th>ours</th><th>C</th><th>ours/app</th></tr></thead><tbody>');
    const cell = (v: { median: number } | undefined) => `<td>${v ? mbps(v.median) : '-'}</td>`;
    for (const r of report.peers) parts.push(`<tr><td>${xmlEscape(r.shape)}</td>${cell(r.app)}${cell(r.ours)}${cell(r.c)}<td>${r.oursOverApp === undefined ? '-' : r.oursOverApp.toFixed(2)}</td></tr>`);
    parts.push('</tbody></table>');
  }
  if (report.skipped.length || report.failed.length) {
    parts.push('<h2>Not measured</h2><ul>');
    for (const n of report.failed) parts.push(`<li><strong>failed</strong> (${n.count}): ${xmlEscape(n.reason)} <small>e.g. ${xmlEscape(n.example)}</small></li>`);
    for (const n of report.skipped) parts.push(`<li>skipped (${n.count}): ${xmlEscape(n.reason)}</li>`);
    parts.push('</ul>');
  }
  for (const d of BENCH_DIRECTIONS) {
    if (!report.rows.some((r) => r.direction === d)) continue;
    parts.push(`<h2>All cases: ${xmlEscape(directionLabel(d))}</h2>`, gridTable(report, d));
  }
  parts.push('</body></html>');
  return parts.join('\n') + '\n';
}
