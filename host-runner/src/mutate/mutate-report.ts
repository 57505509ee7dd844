import type { Mutant } from '@ffs-lab/fixtures/kernel/mutant';
import { formatDuration } from '@ffs-lab/host-util/progress';
import { xmlAttr as e } from '../results/report-text';
import type { RunResults } from '../results/results';
import { endedRunDuring } from '../results/results-recovery';
import { isHookFailure } from '../suite-runner/mocha-runner';

/** What became of one mutant. */
export interface MutantRow {
  name: string;
  rule: string;
  what: string;
  suites: string[];
  /** The kernel it is a change of, with its extra arguments: `patched`, `dma-debug swiotlb=force`. */
  kernel: string;
  /**
   * `caught`: a test failed; `survived`: every test passed (a hole in the suites); `invalid`:
   * the mutant did not apply or compile (fix the mutant); `no-results`: the lab run ended
   * without results (a hang or a panic; its reason says which: a crash is a catch of sorts, but
   * not by a named test).
   */
  outcome: 'caught' | 'survived' | 'invalid' | 'no-results';
  /** IDs (or titles) of the tests that failed, in run order. */
  failed: string[];
  /** No hook failed from the first failure on and the run finished: every later test ran, and saw the bug or not by itself. */
  clean: boolean;
  /** Why the lab run ended early (a panic, a hang), when it did: the tests after the one running then never ran. */
  stopped?: string;
  /** Tests that ran (passed, failed or errored) and were skipped. */
  ran: number;
  skipped: number;
  /** Why it is invalid or has no results. */
  reason?: string;
  /** Seconds to build the mutant's kernel (0 when reused) and to run its suites. */
  buildSec: number;
  runSec: number;
  reportDir?: string;
}

/** The campaign's report: mutate.json. */
export interface MutateReport {
  startedAt: string;
  durationMs: number;
  /** The kernel every mutant is a change of. */
  base: { variant: string; release: string; patches: string[] };
  /** The unmutated kernel's run of the mutants' suites, when `--baseline` asked for it. */
  baseline?: { passed: boolean; failed: string[]; ran: number };
  mutants: MutantRow[];
  totals: { mutants: number; caught: number; survived: number; invalid: number; noResults: number; spilled: number };
}

/** The row of a mutant whose lab run wrote results. */
export function rowFromResults(m: Mutant, results: RunResults, buildSec: number, runSec: number, reportDir: string, stopped?: string): MutantRow {
  const failedTests = results.tests.filter((t) => t.status === 'failed' || t.status === 'error');
  const first = results.tests.findIndex((t) => t.status === 'failed' || t.status === 'error');
  const fromFirst = first < 0 ? [] : results.tests.slice(first);
  // A run that did not finish left reports whose running test says so (results/results-recovery.ts).
  stopped ??= results.tests.find(endedRunDuring)?.reason;
  return {
    ...describe(m),
    outcome: failedTests.length > 0 ? 'caught' : 'survived',
    failed: failedTests.map((t) => t.id ?? `${t.suite} > ${t.name}`),
    clean: !stopped && !fromFirst.some(isHookFailure),
    ...(stopped ? { stopped } : {}),
    ran: results.tests.filter((t) => t.status !== 'skipped').length,
    skipped: results.tests.filter((t) => t.status === 'skipped').length,
    buildSec,
    runSec,
    reportDir,
  };
}

/** The row of a mutant that got no verdict from tests. */
export function rowWithoutResults(m: Mutant, outcome: 'invalid' | 'no-results', reason: string, buildSec: number, runSec: number): MutantRow {
  return { ...describe(m), outcome, failed: [], clean: false, ran: 0, skipped: 0, reason, buildSec, runSec };
}

function describe(m: Mutant): Pick<MutantRow, 'name' | 'rule' | 'what' | 'suites' | 'kernel'> {
  return { name: m.name, rule: m.rule, what: m.what, suites: m.suites, kernel: [m.variant ?? 'patched', ...(m.append ?? [])].join(' ') };
}

/** Totals over the rows. */
export function totalsOf(rows: readonly MutantRow[]): MutateReport['totals'] {
  const n = (o: MutantRow['outcome']) => rows.filter((r) => r.outcome === o).length;
  return { mutants: rows.length, caught: n('caught'), survived: n('survived'), invalid: n('invalid'), noResults: n('no-results'), spilled: rows.filter((r) => r.outcome === 'caught' && !r.clean).length };
}

/** Every mutant caught by a test, with no spill, and the baseline (when run) clean. */
export function campaignPassed(r: MutateReport): boolean {
  return r.mutants.length > 0 && r.totals.caught === r.totals.mutants && r.totals.spilled === 0 && r.baseline?.passed !== false;
}

/** The first few failed tests, for a table cell. */
function firstFailed(row: MutantRow, n = 2): string {
  if (row.outcome !== 'caught') return row.reason ?? '-';
  return row.failed.slice(0, n).join(', ') + (row.failed.length > n ? ` (+${row.failed.length - n})` : '') + (row.stopped ? `; the run ended there: ${row.stopped}` : '');
}

const VERDICT: Record<MutantRow['outcome'], string> = { caught: 'yes', survived: 'NO', invalid: 'invalid', 'no-results': 'no results' };

/** The terminal table: mutant, rule, caught, first failing tests, clean after, times. */
export function mutateText(r: MutateReport): string {
  const rows = r.mutants.map((m) => [m.name, m.rule, m.kernel, VERDICT[m.outcome], m.outcome === 'caught' ? (m.clean ? 'yes' : 'NO') : '-', `${formatDuration(m.buildSec)} + ${formatDuration(m.runSec)}`, firstFailed(m)]);
  const head = ['mutant', 'rule', 'kernel', 'caught', 'clean', 'build + run', 'first failing tests'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(width[i]!))).join('  ');
  const t = r.totals;
  const out = [line(head), ...rows.map(line)];
  if (r.baseline) out.unshift(`baseline (${r.base.release}, no mutant): ${r.baseline.passed ? `clean, ${r.baseline.ran} tests ran` : `FAILED: ${r.baseline.failed.slice(0, 3).join(', ')}`}`);
  out.push('', `mutate: ${t.caught} of ${t.mutants} caught${t.survived ? `, ${t.survived} survived` : ''}${t.invalid ? `, ${t.invalid} invalid` : ''}${t.noResults ? `, ${t.noResults} without results` : ''}${t.spilled ? `, ${t.spilled} spilled into later tests` : ''} in ${formatDuration(r.durationMs / 1000)}`);
  return out.join('\n') + '\n';
}

/** mutate.html: one page, no scripts. */
export function mutateHtml(r: MutateReport): string {
  const cls = (m: MutantRow) => (m.outcome === 'caught' && m.clean ? 'pass' : m.outcome === 'caught' ? 'part' : 'fail');
  const rows = r.mutants
    .map((m) => `<tr class="${cls(m)}"><td><b>${e(m.name)}</b><br><small>${e(m.what)}</small></td><td>${e(m.rule)}</td><td>${e(m.kernel)}</td><td>${e(m.suites.join(', '))}</td><td>${VERDICT[m.outcome]}</td><td>${m.outcome === 'caught' ? (m.clean ? 'yes' : 'NO') : '-'}</td><td>${m.outcome === 'caught' ? `<ul>${m.failed.slice(0, 8).map((f) => `<li>${e(f)}</li>`).join('')}${m.failed.length > 8 ? `<li>and ${m.failed.length - 8} more</li>` : ''}</ul>${m.stopped ? `<small>the run ended there: ${e(m.stopped)}</small>` : ''}` : e(m.reason ?? '')}</td><td>${m.ran} ran, ${m.skipped} skipped</td><td>${e(formatDuration(m.buildSec))} + ${e(formatDuration(m.runSec))}</td></tr>`)
    .join('\n');
  const t = r.totals;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ffs-lab mutate: ${t.caught} of ${t.mutants} caught</title>
<style>
body{font-family:sans-serif;margin:24px;color:#1a202c}
table{border-collapse:collapse;margin:8px 0 20px}
th,td{border:1px solid #cbd5e0;padding:4px 8px;text-align:left;vertical-align:top}
tr.pass td{background:#e6ffed}tr.part td{background:#fffbea}tr.fail td{background:#ffe6e6}
ul{margin:0;padding-left:16px}
</style></head><body>
<h1>Verdict power: ${t.caught} of ${t.mutants} mutants caught</h1>
<p>Each mutant is the series on ${e(r.base.release)} with one deliberate bug; its suites ran on it in the lab.
${t.survived ? `<b>${t.survived} survived.</b> ` : ''}${t.spilled ? `<b>${t.spilled} spilled into later tests.</b> ` : ''}${r.baseline ? `Baseline (no mutant): ${r.baseline.passed ? 'clean' : `<b>failed</b>: ${e(r.baseline.failed.slice(0, 5).join(', '))}`}.` : ''}
Started ${e(r.startedAt)}, took ${e(formatDuration(r.durationMs / 1000))}.</p>
<table><tr><th>mutant</th><th>rule</th><th>kernel</th><th>suites</th><th>caught</th><th>clean after</th><th>failing tests</th><th>tests</th><th>build + run</th></tr>
${rows}
</table>
</body></html>
`;
}
