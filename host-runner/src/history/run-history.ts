import * as fs from 'node:fs';
import * as path from 'node:path';
import { usageError } from '@ffs-lab/contract/exit-codes';
import { parseResults, ResultsFileError } from '../results/compare';
import { totalsOf, type RunResults, type TestResult, type Totals } from '../results/results';

/** A test's outcome in one run, as the history shows it: flaky and waived apart; null when the run did not have the test. */
export type HistoryCell = 'passed' | 'failed' | 'error' | 'skipped' | 'flaky' | 'waived' | null;

/** One run of the history: where its results.json is and what it ran on. */
export interface HistoryRun {
  /** The name of the directory holding its results.json (a matrix column's kernel). */
  label: string;
  file: string;
  /** ISO 8601: runs are ordered by it. */
  startedAt: string;
  release: string;
  variant?: string;
  /** ffs-lab's git commit, 12 digits, when the run recorded it. */
  commit?: string;
  /** Counted from its tests (the file's own totals are not trusted). */
  totals: Totals;
  durationMs: number;
  /** The runs whose streaks are followed together: one kernel (variant, else release). */
  lane: string;
}

/** One test over the runs, oldest first. */
export interface HistoryTest {
  /** The test ID, else `suite > name` (results of ffs-lab before IDs whose title no later run has with an ID). */
  key: string;
  id?: string;
  suite: string;
  name: string;
  cells: HistoryCell[];
  durationsMs: (number | null)[];
  /**
   * Per lane (kernel) whose last run failed it: the index of the run its failure streak began
   * in, and of the last run of that lane it passed in (absent: never). A test failing on one
   * kernel of a matrix only is not "new" each night.
   */
  failing: { lane: string; since: number; lastPassed?: number }[];
  /** Each measurement's values over the runs (bench figures, throughput, quota): null where absent. */
  measurements: { name: string; unit: string; values: (number | null)[] }[];
}

/** `ffs-lab history`'s model: written as history.json, drawn as history.html. */
export interface RunHistory {
  runs: HistoryRun[];
  tests: HistoryTest[];
}

/**
 * The results.json files an argument names: the file itself; a directory's results.json; else
 * those one level down (a matrix report: one per kernel). A name that holds none is a usage error.
 */
export function resultsFilesOf(arg: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(arg);
  } catch {
    throw usageError(`history: ${arg}: no such file or directory`);
  }
  if (st.isFile()) return [arg];
  const own = path.join(arg, 'results.json');
  if (fs.existsSync(own)) return [own];
  const below = fs
    .readdirSync(arg, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(arg, e.name, 'results.json')))
    .map((e) => path.join(arg, e.name, 'results.json'))
    .sort();
  if (below.length === 0) throw usageError(`history: ${arg} has no results.json (nor any in its subdirectories, as a matrix report has)`);
  return below;
}

/** What a result counts as in the history. */
export function cellOf(t: TestResult): Exclude<HistoryCell, null> {
  if (t.waiver && (t.status === 'failed' || t.status === 'error')) return 'waived';
  if (t.status === 'passed' && (t.attempts ?? 1) > 1) return 'flaky';
  return t.status;
}

const failing = (c: HistoryCell) => c === 'failed' || c === 'error';

/** Build the history of runs (any order: they are sorted by start time; a run's label is its file's directory). */
export function buildHistory(files: readonly string[]): RunHistory {
  const loaded = files.map((file) => {
    let run: RunResults;
    try {
      run = parseResults(fs.readFileSync(file, 'utf8'), file);
    } catch (e) {
      if (e instanceof ResultsFileError) throw usageError(`history: ${e.message}`);
      throw usageError(`history: ${file}: ${(e as Error).message}`);
    }
    const bad = (what: string) => usageError(`history: ${file}: not a results.json (${what})`);
    if (typeof run.startedAt !== 'string' || Number.isNaN(Date.parse(run.startedAt))) throw bad('startedAt is not a time');
    if (!run.kernel || typeof run.kernel.release !== 'string') throw bad('no kernel.release');
    return { file, run };
  });
  loaded.sort((a, b) => a.run.startedAt.localeCompare(b.run.startedAt) || a.file.localeCompare(b.file));
  const runs: HistoryRun[] = loaded.map(({ file, run }) => ({
    label: path.basename(path.dirname(path.resolve(file))),
    file,
    startedAt: run.startedAt,
    release: run.kernel.release,
    ...(run.kernel.variant ? { variant: run.kernel.variant } : {}),
    ...(typeof run.meta?.tool?.commit === 'string' ? { commit: run.meta.tool.commit.slice(0, 12) } : {}),
    totals: totalsOf(run.tests),
    durationMs: Number(run.durationMs) || 0,
    lane: typeof run.kernel.variant === 'string' ? run.kernel.variant : run.kernel.release,
  }));
  const byKey = new Map<string, HistoryTest>();
  const n = loaded.length;
  // A run from before IDs joins the ID its title has in a run that has them.
  const idOfTitle = new Map<string, string>();
  for (const { run } of loaded) for (const t of run.tests) if (t.id) idOfTitle.set(`${t.suite} > ${t.name}`, t.id);
  loaded.forEach(({ run }, i) => {
    const seen = new Map<string, number>();
    for (const t of run.tests) {
      const base = t.id ?? idOfTitle.get(`${t.suite} > ${t.name}`) ?? `${t.suite} > ${t.name}`;
      // The same title twice in one run (results before IDs): apart by occurrence.
      const k = seen.get(base) ?? 0;
      seen.set(base, k + 1);
      const key = k === 0 ? base : `${base} #${k + 1}`;
      let h = byKey.get(key);
      if (!h) {
        const id = t.id ?? idOfTitle.get(`${t.suite} > ${t.name}`);
        h = { key, ...(id ? { id } : {}), suite: t.suite, name: t.name, cells: Array(n).fill(null), durationsMs: Array(n).fill(null), failing: [], measurements: [] };
        byKey.set(key, h);
      }
      // The latest title wins: a reworded test keeps its ID.
      h.name = t.name;
      h.cells[i] = cellOf(t);
      h.durationsMs[i] = t.durationMs;
      for (const m of t.measurements ?? []) {
        let series = h.measurements.find((s) => s.name === m.name && s.unit === m.unit);
        if (!series) h.measurements.push((series = { name: m.name, unit: m.unit, values: Array(n).fill(null) }));
        series.values[i] = typeof m.value === 'number' && Number.isFinite(m.value) ? m.value : null;
      }
    }
  });
  const lanes = new Map<string, number[]>();
  runs.forEach((r, i) => lanes.set(r.lane, [...(lanes.get(r.lane) ?? []), i]));
  for (const h of byKey.values()) {
    for (const [lane, idx] of lanes) {
      // The lane's runs, newest first; a run without the test neither breaks nor extends a streak.
      const had = idx.filter((i) => h.cells[i] !== null).reverse();
      if (had.length === 0 || !failing(h.cells[had[0]!]!)) continue;
      let k = 0;
      while (k + 1 < had.length && failing(h.cells[had[k + 1]!]!)) k++;
      const passedAt = had.find((i) => h.cells[i] === 'passed' || h.cells[i] === 'flaky');
      h.failing.push({ lane, since: had[k]!, ...(passedAt !== undefined ? { lastPassed: passedAt } : {}) });
    }
  }
  return { runs, tests: [...byKey.values()] };
}

/** The history's news for a terminal: tests failing in the last run (and since when), flaky ones, new failures. */
export function historySummary(h: RunHistory): string[] {
  const n = h.runs.length;
  const lines = [`history: ${n} run${n === 1 ? '' : 's'} (${h.runs[0]?.startedAt ?? '-'} to ${h.runs[n - 1]?.startedAt ?? '-'}), ${h.tests.length} tests`];
  const failingNow = h.tests.filter((t) => t.failing.length > 0);
  for (const t of failingNow) {
    for (const f of t.failing) {
      const since = h.runs[f.since]!;
      // New: the streak is one run long and the lane ran the test before.
      const laneRuns = h.runs.map((r, i) => (r.lane === f.lane && t.cells[i] !== null ? i : -1)).filter((i) => i >= 0);
      const fresh = laneRuns.length > 1 && laneRuns[laneRuns.length - 1] === f.since;
      const passed = f.lastPassed !== undefined ? `; last passed ${h.runs[f.lastPassed]!.startedAt}` : '; never passed';
      lines.push(`  failing on ${f.lane}: ${t.key}${fresh ? ' (new in its last run)' : ''}: since ${since.label} (${since.startedAt}, ${since.release})${passed}`);
    }
  }
  const flaky = h.tests.filter((t) => t.cells.includes('flaky'));
  if (flaky.length) lines.push(`  flaky in some run: ${flaky.length} test(s): ${flaky.slice(0, 10).map((t) => t.key).join(', ')}${flaky.length > 10 ? ', ...' : ''}`);
  if (failingNow.length === 0) lines.push('  nothing fails in the last run');
  return lines;
}
