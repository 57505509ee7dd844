import * as fs from 'node:fs';
import * as path from 'node:path';
import { JOURNAL_FILE, readJournal, type JournalLine } from './results-journal';
import { RESULTS_SCHEMA_VERSION, totalsOf, type RunResults, type TestResult } from './results';
import { writeReports } from './write-reports';

/** Options of {@link recoverRun}. */
export interface RecoverOptions {
  /** Why the run did not finish, as the start of a sentence: `lab timed out after 900 s`. */
  cause: string;
  /** When the run was stopped (ms since the epoch): the unfinished test's duration ends here. */
  endedAt: number;
  /** The kernel, when the journal lacks its `run` line (the runner died before the first test). */
  kernel?: RunResults['kernel'];
}

/** What a journal gave. */
export interface RecoveredRun {
  run: RunResults;
  /** The test (or hook) that was running when the run stopped, as it is in `run.tests`. */
  unfinished?: TestResult;
  /** Lines that did not parse (a line torn by the kill, usually). */
  unreadable: number;
}

const UNKNOWN_KERNEL: RunResults['kernel'] = { release: 'unknown', features: { mmap: 'unknown', dmabuf: 'unknown' } };

/**
 * The results of a run that did not finish, from its results.jsonl: every test that ended, in
 * order, and the test (or, between tests, the hook) that was running, as an `error` whose reason
 * says what stopped it: "<cause> during this test".
 */
/** The unfinished test of recovered reports: the run ended during it (its reason says how). */
export function endedRunDuring(t: TestResult): boolean {
  return t.status === 'error' && / during this (test|hook)( \(in its hook .*\))?$/.test(t.reason ?? '');
}

export function recoverRun(text: string, o: RecoverOptions): RecoveredRun {
  const { lines, unreadable } = readJournal(text);
  let header: Extract<JournalLine, { event: 'run' }> | undefined;
  const byIndex = new Map<number, TestResult>();
  // Mocha runs one test at a time; a hook of each test runs inside it, a hook of a block between tests.
  let test: Extract<JournalLine, { event: 'begin' }> | undefined;
  let hook: Extract<JournalLine, { event: 'begin' }> | undefined;
  const same = (a: { suite: string; name: string } | undefined, b: { suite: string; name: string }) => !!a && a.suite === b.suite && a.name === b.name;
  for (const l of lines) {
    if (l.event === 'run') header ??= l;
    else if (l.event === 'begin') {
      if (l.kind === 'test') [test, hook] = [l, undefined];
      else {
        if (l.kind === 'all-hook') test = undefined;
        hook = l;
      }
    } else if (l.event === 'end') {
      if (same(hook, l)) hook = undefined;
    } else if (l.event === 'result') {
      byIndex.set(l.index, l.result);
      if (same(test, l.result)) test = undefined;
      if (same(hook, l.result)) hook = undefined;
    } else {
      test = hook = undefined;
    }
  }
  const tests = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
  const running = test ?? hook;
  let unfinished: TestResult | undefined;
  if (running) {
    const where = test ? (hook ? `during this test (in its hook ${hook.name})` : 'during this test') : 'during this hook';
    unfinished = { suite: running.suite, ...(running.id ? { id: running.id } : {}), name: running.name, status: 'error', reason: `${o.cause} ${where}`, durationMs: Math.max(0, o.endedAt - running.at) };
    tests.push(unfinished);
  }
  const startedAt = header?.startedAt ?? new Date(lines[0]?.at ?? o.endedAt).toISOString();
  const started = Date.parse(startedAt);
  const run: RunResults = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    ...(header?.meta ? { meta: header.meta } : {}),
    kernel: header?.kernel ?? o.kernel ?? UNKNOWN_KERNEL,
    totals: totalsOf(tests),
    tests,
    startedAt,
    endedAt: new Date(o.endedAt).toISOString(),
    durationMs: Number.isFinite(started) ? Math.max(0, o.endedAt - started) : 0,
  };
  return { run, ...(unfinished ? { unfinished } : {}), unreadable };
}

/**
 * For a report dir whose run did not finish: when it has a results.jsonl but no readable
 * results.json, write results.json, junit.xml and results.ktap from the journal. Returns what
 * was recovered, or undefined when there was nothing to do (reports complete, or no journal).
 */
export function recoverReports(dir: string, o: RecoverOptions): RecoveredRun | undefined {
  const journal = path.join(dir, JOURNAL_FILE);
  if (!fs.existsSync(journal) || hasResults(dir)) return undefined;
  const recovered = recoverRun(fs.readFileSync(journal, 'utf8'), o);
  writeReports(dir, recovered.run);
  return recovered;
}

function hasResults(dir: string): boolean {
  try {
    const obj = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as { tests?: unknown };
    return Array.isArray(obj.tests);
  } catch {
    return false;
  }
}
