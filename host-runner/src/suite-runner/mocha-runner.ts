import * as path from 'node:path';
import Mocha from 'mocha';
import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import { attemptsText, type TestResult, type TestStatus } from '../results/results';
import { allowedKernelReportsOf, logOf, measurementsOf, skipReasonOf } from './test-annotations';
import type { KernelMonitor } from '../kernel/kernel-monitor';
import { isRaceElsewhere, scanKernelLog } from '../kernel/dmesg-scan';
import type { SuiteEntry } from './suite-catalog';
import { failureInjectionHooks, INJECT_FAILURE_ENV, parseFailureInjection } from './failure-injection';
import { testBodyHooks } from './test-body';
import { testIdOf } from './test-case';
import { selector, type TestSelection } from './test-selection';
import { loadSuiteFiles, SelectionGrep, testsUnder } from './mocha-suites';
import type { ResultsJournal, RunnableKind } from '../results/results-journal';
import { oneLine as printable } from '../results/report-text';

/** Options of {@link runSuites}. */
export interface SuiteRunOptions {
  /**
   * Which tests run; default all. A test a suite makes at run time (one per KTAP case) runs
   * only when a test of its block is selected too, as its block's hooks make it.
   */
  select?: TestSelection;
  /** Default per-test timeout in ms (suites set their own where they need more). Default 60 s. */
  timeoutMs?: number;
  /**
   * Run a failed test again up to this many times (mocha's retries, hooks of each test included).
   * One that then passes is reported flaky (`attempts`, `firstFailure`); one that fails every time
   * failed. Default 0.
   */
  retries?: number;
  /** Where the live terminal lines go. Default stdout. */
  out?: NodeJS.WritableStream;
  /**
   * Called for each test or hook that ended with an infrastructure LabError (exit code 3: SSH
   * lost, agent gone, device did not enumerate), so the caller can exit 3 instead of 1.
   */
  onInfrastructureError?: (result: TestResult, err: LabError) => void;
  /** Text to attach to every failed or errored test (e.g. the agent's last log lines). */
  failureLog?: () => string | undefined;
  /**
   * The target's kernel log: read after every test; the lines go into the test's report, and a
   * WARN/BUG/Oops/KASAN/lockdep report among them fails a test that had passed.
   */
  kernelMonitor?: Pick<KernelMonitor, 'take'>;
  /**
   * Where each test and hook that begins and each result go as they happen (results.jsonl), so
   * a run that hangs or is killed leaves what it did. Hooks of the root suite (the kernel
   * monitor's) are not written: they run inside a test, which is what a hang is reported on.
   */
  journal?: Pick<ResultsJournal, 'write'>;
  /**
   * Sets or clears a result's waiver for its status (results/waivers.ts WaiverBook.mark), each
   * time the status is settled; a failed hook's result comes with the IDs of the tests it stopped.
   */
  waive?: (result: TestResult, stopped?: readonly string[]) => void;
}

/**
 * Run suites with mocha (programmatically, in this process) and collect one result per test.
 * Hook failures become `error` results; assertion failures `failed`; other exceptions `error`.
 * A test that mocha did not run because a hook failed (a `before` hook of its block or of a block
 * around it, or an `each` hook that stopped its block) is an `error` naming that hook: no test
 * the run selected vanishes from the reports.
 */
/** A hook's own failure, or a test that did not run because a hook failed (recorded by runSuites). */
export function isHookFailure(t: TestResult): boolean {
  return t.status === 'error' && (/"(before|after) (all|each)" hook/.test(t.name) || /^not run: the /.test(t.reason ?? ''));
}

export async function runSuites(suites: readonly SuiteEntry[], opts: SuiteRunOptions = {}): Promise<TestResult[]> {
  const results: TestResult[] = [];
  const out = opts.out ?? process.stdout;
  const suiteOf = (r: Mocha.Runnable) => {
    // Tests a suite adds at run time (one per KTAP case) have no file of their own: use their suite's.
    let file = r.file;
    for (let p: Mocha.Suite | undefined = r.parent; !file && p; p = p.parent) file = p.file;
    file ??= '';
    return suites.find((s) => s.file === file)?.name ?? path.basename(file).replace(/\.suite\.js$/, '');
  };
  const nameOf = (r: Mocha.Runnable) => r.titlePath().slice(1).join(' > ') || r.title;
  let currentSuite = '';
  const resultOf = new WeakMap<Mocha.Runnable, TestResult>();
  const indexOf = new WeakMap<TestResult, number>();
  const journal = opts.journal;
  /** The IDs of the tests a failed hook kept from running, by its result. */
  const stoppedBy = new WeakMap<TestResult, string[]>();
  const journalResult = (result: TestResult) => {
    opts.waive?.(result, stoppedBy.get(result));
    journal?.write({ event: 'result', index: indexOf.get(result)!, result });
  };

  const selected = opts.select ? selector(opts.select) : undefined;
  /** Full titles of the tests with a result (a retried test's result is its clone's). */
  const recorded = new Set<string>();
  /** A retried test's first failure, by full title. */
  const firstFailureOf = new Map<string, string>();

  /** Records one result (set by the reporter mocha makes). */
  let recordResult: ((r: Mocha.Runnable, status: TestStatus, err?: Error, notRun?: boolean) => void) | undefined;
  class Collector {
    constructor(runner: Mocha.Runner) {
      const record = (r: Mocha.Runnable, status: TestStatus, err?: Error, notRun = false) => {
        const suite = suiteOf(r);
        if (suite !== currentSuite) {
          currentSuite = suite;
          out.write(`\n${printable(suite)}\n`);
        }
        const reason = status === 'skipped' ? skipReasonOf(r) ?? 'skipped (no reason given)' : err ? oneLine(err) : undefined;
        const measurements = measurementsOf(r);
        const extra = !notRun && (status === 'failed' || status === 'error') ? opts.failureLog?.() : undefined;
        const log = [logOf(r), extra].filter(Boolean).join('\n') || undefined;
        // A retried test is a clone whose currentRetry() counts the runs before it.
        const attempts = isHook(r) || notRun || status === 'skipped' ? 1 : retryOf(r) + 1;
        const firstFailure = attempts > 1 && status === 'passed' ? firstFailureOf.get(r.fullTitle()) : undefined;
        const id = isHook(r) ? undefined : testIdOf(suite, r);
        const result: TestResult = {
          suite,
          ...(id ? { id } : {}),
          name: nameOf(r),
          status,
          ...(reason ? { reason } : {}),
          ...(measurements ? { measurements } : {}),
          durationMs: r.duration ?? 0,
          ...(err?.stack ? { details: err.stack } : {}),
          ...(log ? { log } : {}),
          ...(attempts > 1 ? { attempts } : {}),
          ...(firstFailure ? { firstFailure } : {}),
        };
        indexOf.set(result, results.push(result) - 1);
        resultOf.set(r, result);
        if (isHook(r) && r.parent && (status === 'error' || status === 'failed')) {
          const ids = stoppedUnder(r.parent).filter((t) => !t.isPending()).map((t) => testIdOf(suiteOf(t), t));
          if (ids.length > 0 && ids.every((x): x is string => x !== undefined)) stoppedBy.set(result, ids);
        }
        recorded.add(r.fullTitle());
        journalResult(result);
        if (err instanceof LabError && err.exitCode === ExitCode.Infrastructure) opts.onInfrastructureError?.(result, err);
        const mark = { passed: '✓', failed: '✗', skipped: '-', error: '!' }[status];
        const tries = attempts > 1 ? `; ${attemptsText(result)}` : '';
        const waived = result.waiver ? ` (waived until ${result.waiver.expires}: ${result.waiver.reason})` : '';
        const tail = status === 'passed' ? ` (${result.durationMs} ms${tries})` : status === 'skipped' ? ` (skipped: ${reason})` : `: ${reason}${tries}${waived}`;
        // The terminal (a CI log) gets one line per test whatever its name holds.
        out.write(`  ${mark} ${printable(result.name + tail)}\n`);
        for (const m of measurements ?? []) out.write(`      ${printable(`${m.name}: ${m.value} ${m.unit}`)}\n`);
      };
      recordResult = record;
      const hookKind = (h: Mocha.Hook): RunnableKind => (/^"(before|after) each" hook/.test((h as { originalTitle?: string }).originalTitle ?? h.title) ? 'each-hook' : 'all-hook');
      const ours = (h: Mocha.Hook) => h.parent?.root === true;
      runner.on('test', (t) => {
        const id = testIdOf(suiteOf(t), t);
        journal?.write({ event: 'begin', kind: 'test', suite: suiteOf(t), ...(id ? { id } : {}), name: nameOf(t) });
      });
      runner.on('hook', (h) => void (ours(h) || journal?.write({ event: 'begin', kind: hookKind(h), suite: suiteOf(h), name: nameOf(h) })));
      runner.on('hook end', (h) => void (ours(h) || journal?.write({ event: 'end', suite: suiteOf(h), name: nameOf(h) })));
      runner.on('pass', (t) => record(t, 'passed'));
      runner.on('pending', (t) => record(t, 'skipped'));
      runner.on('retry', (t, err: Error) => {
        if (!firstFailureOf.has(t.fullTitle())) firstFailureOf.set(t.fullTitle(), oneLine(err));
        out.write(`  ~ ${printable(`${nameOf(t)}: ${oneLine(err)} (attempt ${retryOf(t) + 1}; retrying)`)}\n`);
      });
      runner.on('fail', (r, err) => {
        record(r, isHook(r) || !isAssertion(err) ? 'error' : 'failed', err);
        // Mocha runs nothing more of the block whose hook failed: its tests without a result are
        // recorded now, before its `after` hooks (which may hang, and the journal must have them).
        if (isHook(r) && r.parent) recordStopped(r.parent, hookTitleOf(r), err);
      });
    }
  }

  /** The selected tests under `block` that have no result yet: those a hook failing there stops. */
  function stoppedUnder(block: Mocha.Suite): Mocha.Test[] {
    return testsUnder(block).filter((t) => !recorded.has(t.fullTitle()) && (!selected || selected(suiteOf(t), t)));
  }

  /** Each test under `block` that has no result and was selected: skipped if marked so, failed if a retry was stopped, else not run. */
  function recordStopped(block: Mocha.Suite, hookTitle: string, err: Error): void {
    for (const t of stoppedUnder(block)) {
      const title = t.fullTitle();
      if (t.isPending()) {
        recordResult?.(t, 'skipped');
        continue;
      }
      const first = firstFailureOf.get(title);
      const why = new Error(first ? `${first} (its retry was not run: the ${hookTitle} failed)` : `not run: the ${hookTitle} failed (${oneLine(err)})`);
      why.stack = undefined;
      recordResult?.(t, first ? 'failed' : 'error', why, true);
    }
  }

  const mocha = new Mocha({
    timeout: opts.timeoutMs ?? 60_000,
    reporter: Collector as unknown as Mocha.ReporterConstructor,
    ...(opts.retries ? { retries: opts.retries } : {}),
  });
  // First, so an injected failure wraps the recorded body rather than the other way round.
  mocha.rootHooks(testBodyHooks());
  const injection = parseFailureInjection(process.env[INJECT_FAILURE_ENV]);
  if (injection) {
    out.write(`${INJECT_FAILURE_ENV}: tests matching ${injection.pattern} fail ${injection.afterMs} ms in, on purpose\n`);
    mocha.rootHooks(failureInjectionHooks(injection));
  }
  const monitor = opts.kernelMonitor;
  /** The kernel lines of a retried test's failed attempts, by full title, until its last attempt ends. */
  const earlierAttemptLines = new Map<string, string[]>();
  if (monitor) {
    mocha.rootHooks({
      // What the kernel said between tests (hooks, setup) is not any one test's.
      beforeEach: [async () => void (await monitor.take())],
      afterEach: [
        async function (this: Mocha.Context) {
          const test = this.currentTest;
          const taken = await monitor.take();
          if (!test) return;
          const result = resultOf.get(test);
          // A failed attempt that mocha retries has no result yet: its lines wait for the last attempt's.
          const lines = [...(earlierAttemptLines.get(test.fullTitle()) ?? []), ...taken];
          if (!result) {
            if (lines.length > 0) earlierAttemptLines.set(test.fullTitle(), lines);
            return;
          }
          earlierAttemptLines.delete(test.fullTitle());
          if (lines.length === 0) return;
          result.log = [result.log, `kernel log during the test:\n${lines.join('\n')}`].filter(Boolean).join('\n');
          const allowed = allowedKernelReportsOf(test);
          const reports = scanKernelLog(lines.join('\n')).filter((k) => !allowed?.test(k.title) && !isRaceElsewhere(k));
          if (reports.length > 0 && result.status === 'passed') {
            result.status = 'failed';
            result.reason = `kernel report during the test${result.attempts ? ` (its ${result.attempts} attempts)` : ''}: ${reports[0]!.title}${reports.length > 1 ? ` (and ${reports.length - 1} more)` : ''}`;
            // Not flaky: a kernel report in any attempt fails the test.
            delete result.attempts;
            delete result.firstFailure;
            opts.waive?.(result);
            out.write(`  ✗ ^ ${printable(result.reason + (result.waiver ? ` (waived until ${result.waiver.expires}: ${result.waiver.reason})` : ''))}\n`);
          }
          // CI systems show a failure's text, not the test's output: the kernel lines that matter go there.
          if (result.status === 'failed' || result.status === 'error') {
            const matter = reports.length > 0 ? reports.flatMap((k) => k.excerpt) : lines.slice(-KERNEL_LINES_IN_FAILURE);
            result.details = [result.details, `${reports.length > 0 ? 'kernel report' : 'kernel log, last lines'} during the test:\n${matter.join('\n')}`].filter(Boolean).join('\n\n');
          }
          journalResult(result);
        },
      ],
    });
  }
  for (const s of suites) mocha.addFile(s.file);
  // Loaded here (as mocha.run would), so the selection sees the tests before the run counts them.
  loadSuiteFiles(mocha);
  if (selected) mocha.grep(new SelectionGrep(mocha.suite, (t) => selected(suiteOf(t), t)));
  await new Promise<void>((resolve) => mocha.run(() => resolve()));
  // Another run in this process loads the suite files afresh (require's cache would skip them).
  mocha.unloadFiles();
  journal?.write({ event: 'done' });
  return results;
}

/** How many times a test ran before this run of it (mocha's currentRetry(), typed protected). */
function retryOf(t: Mocha.Runnable): number {
  return (t as unknown as { currentRetry(): number }).currentRetry();
}

/** `"before all" hook: connect` without mocha's `for "<test>"` suffix. */
function hookTitleOf(h: Mocha.Runnable): string {
  return ((h as { originalTitle?: string }).originalTitle ?? h.title).replace(/ for ".*"$/, '');
}

/** Kernel log lines a failure's text carries when the kernel made no report during it. */
const KERNEL_LINES_IN_FAILURE = 20;

function isHook(r: Mocha.Runnable): boolean {
  return (r as unknown as { type?: string }).type === 'hook';
}

function isAssertion(err: unknown): boolean {
  const e = err as { name?: string; code?: string };
  return e?.code === 'ERR_ASSERTION' || e?.name === 'AssertionError';
}

function oneLine(err: Error): string {
  // node's assert colours its diffs when it believes a terminal is attached: reports get plain text.
  const text = (err.message || String(err)).replace(/\x1b\[[0-9;]*m/g, '');
  return text.split('\n').filter(Boolean).slice(0, 3).join(' / ');
}
