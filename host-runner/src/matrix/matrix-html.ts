import { xmlAttr as xmlEscape } from '../results/report-text';
import { cellText, kernelPassed, type MatrixReport } from './matrix-report';
import type { Totals } from '../results/results';

/** A cell's class: every test passed, some skipped, any failed, or not run. */
function cellClass(t: Totals | undefined): string {
  if (!t) return 'na';
  if (t.failed + t.errors - (t.waived ?? 0) > 0) return 'fail';
  if (t.waived) return 'part';
  if (t.passed === 0) return 'skip';
  return t.skipped > 0 ? 'part' : 'pass';
}

/** matrix.html: one page, no scripts: the table with coloured cells, then skip reasons and failures per kernel. */
export function matrixHtml(m: MatrixReport): string {
  const e = xmlEscape;
  const head = m.kernels.map((k) => `<th>${e(k.label)}<br><small>${e(k.release ?? 'no results')}</small></th>`).join('');
  const feature = m.kernels.map((k) => `<td>${k.features ? `mmap ${e(k.features.mmap)}<br>DMABUF ${e(k.features.dmabuf)}` : '-'}</td>`).join('');
  const body = m.suites
    .map((s) => `<tr><th>${e(s)}</th>${m.kernels.map((k) => { const t = k.suites[s]; return `<td class="${cellClass(t)}" title="${t ? `${t.passed} passed, ${t.failed + t.errors} failed, ${t.skipped} skipped` : 'not run'}">${cellText(t)}</td>`; }).join('')}</tr>`)
    .join('\n');
  const totals = m.kernels.map((k) => `<td class="${k.error ? 'fail' : cellClass(k.totals)}">${k.error ? 'no results' : cellText(k.totals)}</td>`).join('');
  const verdicts = m.kernels.map((k) => `<td class="${kernelPassed(k) ? 'pass' : 'fail'}"><b>${kernelPassed(k) ? 'pass' : 'FAIL'}</b></td>`).join('');
  const details = m.kernels
    .map((k) => {
      const parts = [`<h2>${e(k.label)}${k.release ? ` <small>${e(k.release)}</small>` : ''}</h2>`];
      if (k.error) parts.push(`<p class="err">No results: ${e(k.error)}</p>`);
      if (k.failures.length > 0) parts.push(`<h3>Failures</h3><ul>${k.failures.map((f) => `<li>${e(f)}</li>`).join('')}</ul>`);
      if (k.skipReasons.length > 0) {
        parts.push(`<h3>Skipped, by reason</h3><table class="reasons"><tr><th>tests</th><th>reason</th><th>suites</th></tr>${k.skipReasons.map((g) => `<tr><td>${g.count}</td><td>${e(g.reason)}</td><td>${e(g.suites.join(', '))}</td></tr>`).join('')}</table>`);
      }
      parts.push(`<p><small>reports: ${e(k.reportDir)}</small></p>`);
      return parts.join('\n');
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ffs-lab matrix: ${e(m.kernels.map((k) => k.label).join(', '))}</title>
<style>
body{font-family:sans-serif;margin:24px;color:#1a202c}
table{border-collapse:collapse;margin:8px 0 20px}
td,th{border:1px solid #cbd5e0;padding:4px 10px;font-size:13px;text-align:center}
th:first-child{text-align:left}
.pass{background:#c6f6d5}.part{background:#e6fffa}.skip{background:#fefcbf}.fail{background:#fed7d7}.na{color:#a0aec0}
.reasons td{text-align:left}.reasons td:first-child{text-align:right}
.err{color:#c53030}
</style></head><body>
<h1>ffs-lab matrix: ${m.passed ? 'every kernel passed' : 'FAILED'}</h1>
<p>Cells: passed/failed/skipped tests per suite. Green: all passed; pale green: passed with skips; yellow: all skipped; red: a failure. Skips are expected absences (reasons below). Started ${e(m.startedAt)}, took ${Math.round(m.durationMs / 1000)} s.</p>
<table>
<thead><tr><th>suite</th>${head}</tr></thead>
<tbody>
<tr><th>features</th>${feature}</tr>
${body}
<tr><th>total</th>${totals}</tr>
<tr><th>verdict</th>${verdicts}</tr>
</tbody></table>
${details}
</body></html>
`;
}
