import type { RunResults, Totals } from '../results/results';
import { totalsOf } from '../results/results';

/** One kernel's column of the matrix. */
export interface MatrixKernel {
  /** As given on the command line: a variant, `tree:DIR` or `image:FILE`. */
  label: string;
  /** `uname -r` of the kernel, when it booted and reported. */
  release?: string;
  features?: { mmap: string; dmabuf: string };
  /** Exit code of the kernel's lab run (0 passed, 1 a test failed, 2 unusable kernel, 3 infrastructure, 4 all skipped). */
  exitCode: number;
  /** Why the run produced no results (kernel build failed, refused, VM hang), one line. */
  error?: string;
  totals: Totals;
  /** Totals per suite. */
  suites: Record<string, Totals>;
  /** Skip reasons with how many tests gave each and in which suites, most frequent first. */
  skipReasons: SkipGroup[];
  /** Failed or errored tests, `suite: title: reason`. */
  failures: string[];
  /** Where this kernel's reports went. */
  reportDir: string;
  durationMs: number;
}

/** Tests skipped for the same reason. */
export interface SkipGroup {
  reason: string;
  count: number;
  suites: string[];
}

/** matrix.json: every kernel's column and the verdict. */
export interface MatrixReport {
  startedAt: string;
  durationMs: number;
  /** Suites in run order (the union over every kernel). */
  suites: string[];
  kernels: MatrixKernel[];
  /** True when no kernel had a failure, an error, or no results at all; skips never fail. */
  passed: boolean;
}

/** A kernel's column from its results.json. */
export function kernelColumn(label: string, reportDir: string, exitCode: number, results: RunResults): MatrixKernel {
  const suites: Record<string, Totals> = {};
  const skips = new Map<string, SkipGroup>();
  const failures: string[] = [];
  for (const name of new Set(results.tests.map((t) => t.suite))) suites[name] = totalsOf(results.tests.filter((t) => t.suite === name));
  for (const t of results.tests) {
    if (t.status === 'skipped') {
      const reason = (t.reason ?? 'no reason given').trim();
      const g = skips.get(reason) ?? { reason, count: 0, suites: [] };
      g.count++;
      if (!g.suites.includes(t.suite)) g.suites.push(t.suite);
      skips.set(reason, g);
    } else if (t.status !== 'passed') {
      failures.push(`${t.suite}: ${t.name}: ${(t.reason ?? t.status).split('\n')[0]}${t.waiver ? ` (waived until ${t.waiver.expires}: ${t.waiver.reason})` : ''}`);
    }
  }
  return {
    label,
    release: results.kernel.release,
    features: results.kernel.features,
    exitCode,
    totals: totalsOf(results.tests),
    suites,
    skipReasons: [...skips.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    failures,
    reportDir,
    durationMs: results.durationMs,
  };
}

/** A kernel's column when its run produced no results. */
export function failedColumn(label: string, reportDir: string, exitCode: number, error: string, durationMs: number): MatrixKernel {
  return { label, exitCode, error, totals: { passed: 0, failed: 0, skipped: 0, errors: 0 }, suites: {}, skipReasons: [], failures: [], reportDir, durationMs };
}

/**
 * Did this kernel pass: results, no failed or errored test that no waiver accepts, and a run
 * that ended 0 or 4 (all skipped); a 3 with complete results (say a gadget left in configfs), or
 * a 1 for an expired waiver, is not a pass.
 */
export function kernelPassed(k: MatrixKernel): boolean {
  return !k.error && (k.exitCode === 0 || k.exitCode === 4) && k.totals.failed + k.totals.errors - (k.totals.waived ?? 0) === 0 && k.totals.passed + k.totals.skipped + (k.totals.waived ?? 0) > 0;
}

/** Assemble the report; suites keep the order of the first kernel that ran them. */
export function buildMatrix(kernels: MatrixKernel[], startedAt: Date, durationMs: number): MatrixReport {
  const suites: string[] = [];
  for (const k of kernels) for (const s of Object.keys(k.suites)) if (!suites.includes(s)) suites.push(s);
  return { startedAt: startedAt.toISOString(), durationMs, suites, kernels, passed: kernels.length > 0 && kernels.every(kernelPassed) };
}

/** `passed/failed/skipped` of a cell (`, N flaky` when some passed only on a retry, `, N waived` of the failed), `-` when the suite did not run there. */
export function cellText(t: Totals | undefined): string {
  return t ? `${t.passed}/${t.failed + t.errors}/${t.skipped}${t.flaky ? `, ${t.flaky} flaky` : ''}${t.waived ? `, ${t.waived} waived` : ''}` : '-';
}
