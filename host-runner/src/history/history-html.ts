import { xmlAttr as e } from '../results/report-text';
import type { HistoryCell, HistoryTest, RunHistory } from './run-history';

const CELL: Record<Exclude<HistoryCell, null>, { mark: string; cls: string }> = {
  passed: { mark: 'P', cls: 'pass' },
  flaky: { mark: 'f', cls: 'flaky' },
  failed: { mark: 'F', cls: 'fail' },
  error: { mark: 'E', cls: 'fail' },
  waived: { mark: 'W', cls: 'waived' },
  skipped: { mark: 'S', cls: 'skip' },
};

/** A small line chart of one series (null gaps break the line), no scripts: width by run count. */
export function sparkline(values: readonly (number | null)[], width = 160, height = 32): string {
  const nums = values.filter((v): v is number => v !== null);
  if (nums.length === 0) return '';
  const min = Math.min(...nums);
  const max = Math.max(...nums);
  const x = (i: number) => (values.length === 1 ? width / 2 : (i * (width - 4)) / (values.length - 1) + 2);
  const y = (v: number) => (max === min ? height / 2 : height - 2 - ((v - min) * (height - 4)) / (max - min));
  const segments: string[] = [];
  let current: string[] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length) segments.push(current.join(' '));
      current = [];
    } else current.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (current.length) segments.push(current.join(' '));
  const lines = segments.map((s) => (s.includes(' ') ? `<polyline fill="none" stroke="#2563eb" stroke-width="1.5" points="${s}"/>` : `<circle r="2" fill="#2563eb" cx="${s.split(',')[0]}" cy="${s.split(',')[1]}"/>`));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${lines.join('')}</svg>`;
}

/** Failing now first (longest streak first), then tests with any failure or flake, then the rest, each by key. */
function order(tests: readonly HistoryTest[]): HistoryTest[] {
  const rank = (t: HistoryTest) => (t.failing.length > 0 ? 0 : t.cells.some((c) => c === 'failed' || c === 'error' || c === 'flaky' || c === 'waived') ? 1 : 2);
  const since = (t: HistoryTest) => Math.min(Infinity, ...t.failing.map((f) => f.since));
  return [...tests].sort((a, b) => rank(a) - rank(b) || since(a) - since(b) || a.key.localeCompare(b.key));
}

/** history.html: one page, no scripts: the runs, then a row per test with a cell per run, then the measurement trends. */
export function historyHtml(h: RunHistory): string {
  const head = h.runs.map((r, i) => `<th title="${e(`${r.file}\n${r.startedAt}\n${r.release}${r.commit ? `\nffs-lab ${r.commit}` : ''}`)}">${i + 1}</th>`).join('');
  const runRows = h.runs
    .map((r, i) => `<tr><td>${i + 1}</td><td>${e(r.label)}</td><td>${e(r.startedAt)}</td><td>${e(r.release)}${r.variant ? ` (${e(r.variant)})` : ''}</td><td>${e(r.commit ?? '')}</td><td>${r.totals.passed}/${r.totals.failed + r.totals.errors}/${r.totals.skipped}${r.totals.flaky ? `, ${r.totals.flaky} flaky` : ''}${r.totals.waived ? `, ${r.totals.waived} waived` : ''}</td><td>${(r.durationMs / 1000).toFixed(0)} s</td></tr>`)
    .join('\n');
  const rows = order(h.tests)
    .map((t) => {
      const cells = t.cells
        .map((c, i) => {
          const d = t.durationsMs[i];
          if (c === null) return '<td class="na">-</td>';
          const s = CELL[c];
          return `<td class="${s.cls}" title="${e(`${c}${d !== null ? `, ${d} ms` : ''}`)}">${s.mark}</td>`;
        })
        .join('');
      const since = t.failing.map((f) => `failing on ${f.lane} since run ${f.since + 1}`).join('; ');
      return `<tr><th class="name" title="${e(`${t.suite} > ${t.name}`)}">${e(t.key)}</th>${cells}<td class="note">${e(since)}</td><td>${sparkline(t.durationsMs, 100, 20)}</td></tr>`;
    })
    .join('\n');
  const trends = h.tests
    .flatMap((t) => t.measurements.map((m) => ({ t, m })))
    .map(({ t, m }) => {
      const last = [...m.values].reverse().find((v) => v !== null);
      return `<tr><th class="name">${e(t.key)}</th><td>${e(m.name)}</td><td>${last ?? '-'} ${e(m.unit)}</td><td>${sparkline(m.values)}</td></tr>`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ffs-lab history</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#111}
table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:2px 5px;font-size:12px;text-align:center}
th.name{text-align:left;font-weight:normal;font-family:monospace}
td.pass{background:#dcfce7}td.fail{background:#fecaca;font-weight:bold}td.flaky{background:#fef9c3}
td.waived{background:#e9d5ff}td.skip{background:#f3f4f6;color:#666}td.na{color:#bbb}td.note{text-align:left}
</style></head><body>
<h1>ffs-lab history</h1>
<p>${h.runs.length} runs, ${h.tests.length} tests. P passed, f flaky (passed on a retry), F failed, E error, W waived failure, S skipped, - not in that run.</p>
<h2>Runs</h2>
<table><tr><th>#</th><th>run</th><th>started</th><th>kernel</th><th>ffs-lab</th><th>passed/failed/skipped</th><th>time</th></tr>
${runRows}
</table>
<h2>Tests</h2>
<table><tr><th>test</th>${head}<th></th><th>duration</th></tr>
${rows}
</table>
<h2>Measurements</h2>
${trends ? `<table><tr><th>test</th><th>measurement</th><th>last</th><th>trend</th></tr>\n${trends}\n</table>` : '<p>No test recorded a measurement.</p>'}
</body></html>
`;
}
