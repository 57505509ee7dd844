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
}

export interface Totals {
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
}

export interface RunResults {
  kernel: {
    release: string;
    variant?: string;
    /** The target's machine (`uname -m`), its page size in bytes and the agent's architecture (node's), when the agent says. */
    machine?: string;
    pageSize?: number;
    agentArch?: string;
    features: { mmap: string; dmabuf: string };
  };
  totals: Totals;
  tests: TestResult[];
  startedAt: string;
  durationMs: number;
}

/** Count statuses. */
export function totalsOf(tests: readonly TestResult[]): Totals {
  const t: Totals = { passed: 0, failed: 0, skipped: 0, errors: 0 };
  for (const r of tests) {
    if (r.status === 'passed') t.passed++;
    else if (r.status === 'failed') t.failed++;
    else if (r.status === 'skipped') t.skipped++;
    else t.errors++;
  }
  return t;
}

/**
 * Exit code of a run (README.md, "Exit codes"): 1 when anything failed or errored, 4 when everything was
 * skipped, 0 otherwise. An empty run counts as an error (3): a run that tests nothing must not pass.
 */
export function exitCodeOf(t: Totals): number {
  if (t.failed + t.errors > 0) return 1;
  if (t.passed + t.skipped === 0) return 3;
  if (t.passed === 0) return 4;
  return 0;
}
