/**
 * The results contract (results.json): what other tools read. Field names are part of the
 * public interface; add fields, never rename them.
 */
export type TestStatus = 'passed' | 'failed' | 'skipped' | 'error';

/** A named number a test measured (throughput, a boundary, a time). */
export interface Measurement {
  name: string;
  value: number;
  /** e.g. `MB/s`, `bytes`, `s`. */
  unit: string;
}

export interface TestResult {
  suite: string;
  /** The test's stable ID, `suite.case` (suite-runner/test-case.ts); absent for a hook's result and for a test without one. */
  id?: string;
  name: string;
  status: TestStatus;
  /** Why it was skipped, or the failure/error message. */
  reason?: string;
  measurements?: Measurement[];
  durationMs: number;
  /** Stack or details of a failure/error. */
  details?: string;
  /** Agent log, dmesg and other text captured around the test. */
  log?: string;
  /**
   * How many times it ran, when more than once (`--retries`): `passed` with attempts is flaky;
   * `failed` or `error` with attempts failed every time.
   */
  attempts?: number;
  /** A flaky test's first failure (`--retries`). */
  firstFailure?: string;
  /** A failed or errored test a waiver accepts (`--waivers`): it stays failed in the reports, and does not fail the run. */
  waiver?: { reason: string; expires: string };
}

export interface Totals {
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
  /** Of `passed`, those that failed first and passed on a retry (`--retries`); absent when none. */
  flaky?: number;
  /** Of `failed` and `errors`, those a waiver accepts (`--waivers`); absent when none. */
  waived?: number;
}

/** The version of results.json's format (host-runner/schema/results.schema.json); fields are only ever added. */
export const RESULTS_SCHEMA_VERSION = 1;

/** Where, how and by what a run was made: for a reader who was not there. */
export interface RunMetadata {
  /** ffs-lab's version, and the git commit of its checkout when it is one (`dirty`: with uncommitted changes). */
  tool: { version: string; commit?: string; dirty?: boolean };
  /** The ffs-lab command line, without `ffs-lab` (a lab run's results carry the host's). */
  command: string[];
  /** Where the suites ran, e.g. `ssh://root@127.0.0.1:22`. */
  target: string;
  /** The machine the runner (the USB host side) ran on, and its Node.js. */
  host: { hostname: string; os: string; arch: string; node: string };
}

export interface RunResults {
  /** {@link RESULTS_SCHEMA_VERSION} when written; absent in files of ffs-lab before it. */
  schemaVersion?: number;
  /** Absent in files of ffs-lab before schemaVersion 1. */
  meta?: RunMetadata;
  kernel: {
    release: string;
    variant?: string;
    /** The target's machine (`uname -m`), its page size in bytes and the agent's architecture (node's), when the agent says. */
    machine?: string;
    pageSize?: number;
    agentArch?: string;
    features: { mmap: string; dmabuf: string };
    /** SHA-256 of the kernel's .config, when the run knows it (the lab's kernels). */
    configSha256?: string;
    /** The patch files of the lab's series the kernel carries, in order, when known. */
    patches?: string[];
  };
  totals: Totals;
  tests: TestResult[];
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601; absent in files of ffs-lab before schemaVersion 1. */
  endedAt?: string;
  durationMs: number;
  /** With `--waivers`: how many waivers the file had, and those past their date (each fails the run). */
  waivers?: { given: number; expired: { id: string; reason: string; kernel?: string; expires: string }[] };
}

/** The results.json of a run that finished: its tests in order, counted, with when and what made it. */
export function finishedRun(o: { meta: RunMetadata; kernel: RunResults['kernel']; tests: TestResult[]; started: Date; ended: Date }): RunResults {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    meta: o.meta,
    kernel: o.kernel,
    totals: totalsOf(o.tests),
    tests: o.tests,
    startedAt: o.started.toISOString(),
    endedAt: o.ended.toISOString(),
    durationMs: Math.max(0, o.ended.getTime() - o.started.getTime()),
  };
}

/** What a test's attempts say (`--retries`), for the reports: `flaky: passed on attempt 2 of 2; first failure: ...`. */
export function attemptsText(t: TestResult): string {
  if (!t.attempts) return '';
  return t.status === 'passed' ? `flaky: passed on attempt ${t.attempts}; first failure: ${t.firstFailure ?? 'unknown'}` : `failed on each of ${t.attempts} attempts`;
}

/** Count statuses. */
export function totalsOf(tests: readonly TestResult[]): Totals {
  const t: Totals = { passed: 0, failed: 0, skipped: 0, errors: 0 };
  for (const r of tests) {
    if (r.status === 'passed') t.passed++;
    else if (r.status === 'failed') t.failed++;
    else if (r.status === 'skipped') t.skipped++;
    else t.errors++;
    if (r.status === 'passed' && (r.attempts ?? 1) > 1) t.flaky = (t.flaky ?? 0) + 1;
    if ((r.status === 'failed' || r.status === 'error') && r.waiver) t.waived = (t.waived ?? 0) + 1;
  }
  return t;
}

/**
 * Exit code of a run (README.md, "Exit codes"): 1 when anything failed or errored that no waiver
 * accepts, 4 when everything was skipped, 0 otherwise. An empty run counts as an error (3): a run
 * that tests nothing must not pass.
 */
export function exitCodeOf(t: Totals): number {
  if (t.failed + t.errors - (t.waived ?? 0) > 0) return 1;
  if (t.passed + t.skipped + (t.waived ?? 0) === 0) return 3;
  // Waived failures are verdicts reached, not capabilities missing.
  if (t.passed === 0 && !t.waived) return 4;
  return 0;
}
