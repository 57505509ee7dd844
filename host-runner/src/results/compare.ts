import type { RunResults, TestResult, TestStatus } from './results';
import { oneLine } from './report-text';

/**
 * Comparing two runs (results.json) test by test, for `ffs-lab compare`: typically the same
 * suites on a kernel with the mmap zero-copy series and on vanilla. Tests that depend on mmap are
 * expected to differ; every other test must have the same status in both runs, or the patched
 * kernel changed FunctionFS behaviour without mmap (README, the `compare` verb).
 *
 * A test is mmap-dependent when any of these holds (see {@link isMmapDependent}):
 *  1. its suite is an mmap suite: {@link MMAP_SUITES}, or a name starting with `mmap-`;
 *  2. in either run it was skipped with a reason starting `mmap zero-copy:` (the reason every
 *     suite gives when the kernel lacks the feature, e.g. "mmap zero-copy: absent on this kernel");
 *  3. its title path has a level named `mmap mode` (the per-I/O-mode blocks of integrity and native-io).
 *
 * Outside those, a test that passed in one run and was skipped in the other ran in one run only:
 * nothing was compared, so it is listed as a coverage difference (with the skip reason, e.g. a lab
 * capability one kernel lacks) but does not count against the verdict. Every other difference
 * does: a changed outcome among passed/failed/error, a failure or error against a skip, and a test
 * present in one run only.
 */

/** Suites that test the mmap feature itself. */
export const MMAP_SUITES: readonly string[] = ['mmap-limits', 'zero-copy', 'ffs-mmap-selftest'];
/** Skip reasons starting with this mark a test as mmap-dependent. */
export const MMAP_SKIP_PREFIX = 'mmap zero-copy:';

/** One test in both runs (or only in one). */
export interface ComparedTest {
  suite: string;
  /** Its test ID, when the runs have them. */
  id?: string;
  name: string;
  a?: TestResult;
  b?: TestResult;
  mmapDependent: boolean;
}

/** The outcome of {@link compareRuns}. */
export interface Comparison {
  /** Tests (paired by ID, or by suite, name and occurrence) whose status differs or that exist in one run only. */
  differences: ComparedTest[];
  /** The differences outside mmap-dependent tests, coverage differences excluded: any makes the verdict "no". */
  outsideMmap: ComparedTest[];
  /** Outside mmap-dependent tests: passed in one run, skipped in the other (not compared, not counted). */
  coverage: ComparedTest[];
  /** Tests present in both runs. */
  paired: number;
  /** Tests in both runs with the same status. */
  same: number;
  /** Every test outside mmap-dependent ones is in both runs with the same status. */
  identicalOutsideMmap: boolean;
}

/** A results file that cannot be read or is not a results.json: the message is one line. */
export class ResultsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultsFileError';
  }
}

const STATUSES: readonly TestStatus[] = ['passed', 'failed', 'skipped', 'error'];

/** Parse and check the parts of a results.json that comparing needs; `label` names it in errors. */
export function parseResults(text: string, label: string): RunResults {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new ResultsFileError(`${label}: not JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ResultsFileError(`${label}: not a results.json (expected an object)`);
  const tests = (obj as { tests?: unknown }).tests;
  if (!Array.isArray(tests)) throw new ResultsFileError(`${label}: not a results.json (no "tests" array)`);
  const kernel = (obj as { kernel?: unknown }).kernel;
  const k = kernel as { release?: unknown; variant?: unknown; features?: { mmap?: unknown } } | undefined;
  const optionalString = (v: unknown) => v === undefined || typeof v === 'string';
  if (kernel !== undefined && (!k || typeof k !== 'object' || Array.isArray(k) || !optionalString(k.release) || !optionalString(k.variant) || (k.features !== undefined && (!k.features || typeof k.features !== 'object' || !optionalString(k.features.mmap))))) {
    throw new ResultsFileError(`${label}: not a results.json ("kernel" is not {release, variant, features})`);
  }
  tests.forEach((t: unknown, i) => {
    const r = t as Partial<TestResult> | null;
    if (!r || typeof r !== 'object' || typeof r.suite !== 'string' || typeof r.name !== 'string' || !STATUSES.includes(r.status as TestStatus) || !optionalString(r.reason) || !optionalString(r.id)) {
      throw new ResultsFileError(`${label}: tests[${i}] is not a test result (needs suite, name, a status of ${STATUSES.join('/')} and a reason that is text)`);
    }
  });
  return obj as RunResults;
}

/** Whether a test (as it ran in either run) depends on mmap zero-copy; see the rules at the top. */
export function isMmapDependent(suite: string, name: string, runs: ReadonlyArray<TestResult | undefined>): boolean {
  if (MMAP_SUITES.includes(suite) || suite.startsWith('mmap-')) return true;
  if (runs.some((r) => r?.status === 'skipped' && (r.reason ?? '').startsWith(MMAP_SKIP_PREFIX))) return true;
  return name.split(' > ').some((level) => level === 'mmap mode');
}

/**
 * Pair the tests of two runs and find where they differ: by test ID when both runs have IDs (a
 * title reworded between them still pairs), else by suite and title.
 */
export function compareRuns(a: RunResults, b: RunResults): Comparison {
  const byId = a.tests.some((t) => t.id) && b.tests.some((t) => t.id);
  const index = (run: RunResults) => {
    const seen = new Map<string, number>();
    const out = new Map<string, TestResult>();
    for (const t of run.tests) {
      // JSON of the pair: a key no suite or name (NUL included) can make ambiguous.
      const base = byId && t.id ? JSON.stringify([t.id]) : JSON.stringify([t.suite, t.name]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      // Same title twice in a suite: pair them by occurrence.
      out.set(`${base}${n}`, t);
    }
    return out;
  };
  const ia = index(a);
  const ib = index(b);
  const keys = [...ia.keys(), ...[...ib.keys()].filter((k) => !ia.has(k))];
  const differences: ComparedTest[] = [];
  let paired = 0;
  let same = 0;
  for (const k of keys) {
    const ta = ia.get(k);
    const tb = ib.get(k);
    const { suite, name, id } = (ta ?? tb)!;
    if (ta && tb) {
      paired++;
      if (ta.status === tb.status) {
        same++;
        continue;
      }
    }
    differences.push({ suite, ...(id ? { id } : {}), name, ...(ta ? { a: ta } : {}), ...(tb ? { b: tb } : {}), mmapDependent: isMmapDependent(suite, name, [ta, tb]) });
  }
  const ranOnce = (d: ComparedTest) => [d.a?.status, d.b?.status].sort().join() === 'passed,skipped';
  const coverage = differences.filter((d) => !d.mmapDependent && ranOnce(d));
  const outsideMmap = differences.filter((d) => !d.mmapDependent && !ranOnce(d));
  return { differences, outsideMmap, coverage, paired, same, identicalOutsideMmap: outsideMmap.length === 0 };
}

/** The report `ffs-lab compare` prints: both runs, each difference, and the verdict line. */
export function formatComparison(c: Comparison, a: RunResults, b: RunResults, labelA: string, labelB: string): string {
  const describe = (run: RunResults, label: string) => {
    const k = run.kernel;
    return oneLine(`${label}: kernel ${k?.release ?? '?'}${k?.variant ? ` (${k.variant})` : ''}, mmap ${k?.features?.mmap ?? '?'}; ${run.tests.length} tests`);
  };
  // Names and reasons come from the files: one terminal line each, whatever they hold.
  const state = (t: TestResult | undefined) => (t ? oneLine(`${t.status}${t.reason ? ` (${t.reason})` : ''}`) : 'not run');
  const row = (d: ComparedTest) => `  ${oneLine(`${d.suite} > ${d.name}${d.id ? ` [${d.id}]` : ''}`)}\n      A: ${state(d.a)}\n      B: ${state(d.b)}`;
  const mmapRows = c.differences.filter((d) => d.mmapDependent);
  const lines = [
    `A = ${describe(a, labelA)}`,
    `B = ${describe(b, labelB)}`,
    `${c.paired} tests in both runs, ${c.same} with the same status`,
    '',
    `differences outside mmap-dependent tests: ${c.outsideMmap.length}`,
    ...c.outsideMmap.map(row),
    '',
    `differences in mmap-dependent tests (expected between kernels with and without mmap): ${mmapRows.length}`,
    ...mmapRows.map(row),
    '',
    `ran in one run only (passed there, skipped in the other; not compared, not counted): ${c.coverage.length}`,
    ...c.coverage.map(row),
    '',
    `no-mmap behaviour identical to vanilla: ${c.identicalOutsideMmap ? 'yes' : 'no'}`,
  ];
  return lines.join('\n') + '\n';
}
