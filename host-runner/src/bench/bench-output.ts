import * as fs from 'node:fs';
import * as path from 'node:path';
import { BENCH_DIRECTIONS, type BenchDirection } from './bench-case';
import { directionChart } from './bench-chart';
import { benchHtml } from './bench-html';
import type { BenchReport } from './bench-report';

/** File names `ffs-lab bench` writes into its report dir. */
export const BENCH_FILES = {
  json: 'bench.json',
  html: 'index.html',
  chart: (d: BenchDirection) => `bench-${d}.svg`,
} as const;

/**
 * Write bench.json, one SVG chart per direction that has figures (bench-in.svg, bench-out.svg)
 * and index.html into `dir` (created). Returns the paths written.
 */
export function writeBenchOutputs(dir: string, report: BenchReport, chartDepth: number): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    written.push(file);
  };
  write(BENCH_FILES.json, JSON.stringify({ chartDepth, ...report }, null, 2) + '\n');
  const charts: Partial<Record<BenchDirection, string>> = {};
  for (const d of BENCH_DIRECTIONS) {
    if (!report.rows.some((r) => r.direction === d)) continue;
    charts[d] = directionChart(report, d, chartDepth);
    write(BENCH_FILES.chart(d), charts[d]!);
  }
  write(BENCH_FILES.html, benchHtml(report, charts));
  return written;
}
