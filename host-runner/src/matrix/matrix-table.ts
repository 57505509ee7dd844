import { cellText, kernelPassed, type MatrixReport } from './matrix-report';

/** The terminal table: suites down, kernels across, cells passed/failed/skipped; then skip reasons and failures per kernel. */
export function matrixText(m: MatrixReport): string {
  const head = ['suite', ...m.kernels.map((k) => k.label)];
  const rows: string[][] = [
    ['release', ...m.kernels.map((k) => k.release ?? '-')],
    ['mmap / DMABUF', ...m.kernels.map((k) => (k.features ? `${k.features.mmap} / ${k.features.dmabuf}` : '-'))],
    ...m.suites.map((s) => [s, ...m.kernels.map((k) => cellText(k.suites[s]))]),
    ['total', ...m.kernels.map((k) => (k.error ? 'NO RESULTS' : cellText(k.totals)))],
    ['verdict', ...m.kernels.map((k) => (kernelPassed(k) ? 'pass' : 'FAIL'))],
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out: string[] = [];
  out.push(`ffs-lab matrix: ${m.kernels.length} kernel(s), cells are passed/failed/skipped`);
  out.push(line(head));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) out.push(line(r));
  for (const k of m.kernels) {
    if (k.error) out.push('', `${k.label}: no results: ${k.error}`);
    if (k.failures.length > 0) {
      out.push('', `${k.label}: ${k.failures.length} failure(s):`);
      for (const f of k.failures.slice(0, 20)) out.push(`  ${f}`);
      if (k.failures.length > 20) out.push(`  ... and ${k.failures.length - 20} more (${k.reportDir}/results.json)`);
    }
    if (k.skipReasons.length > 0) {
      out.push('', `${k.label}: skipped, by reason:`);
      for (const g of k.skipReasons) out.push(`  ${String(g.count).padStart(4)} x ${g.reason} [${g.suites.join(', ')}]`);
    }
  }
  out.push('', `matrix: ${m.passed ? 'every kernel passed (skips are expected absences, with their reasons)' : 'FAILED: ' + m.kernels.filter((k) => !kernelPassed(k)).map((k) => k.label).join(', ')}`);
  return out.join('\n') + '\n';
}
