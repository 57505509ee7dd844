import { RESULTS_SCHEMA_VERSION, totalsOf, type RunResults, type TestResult } from './results';
import type { JournalLine } from './results-journal';
import { writePartialReports } from './write-reports';

/**
 * Keeps junit.xml and results.ktap current while a run goes: rewritten (whole, atomically) from
 * the journal each time a suite ends, so a runner killed on a board (no host rebuilds its
 * reports, as the lab's does) leaves valid JUnit and KTAP up to its last finished suite, beside
 * results.jsonl with every test. The run's end writes the final reports over them.
 *
 * Lifecycle: {@link line} for each journal line, in order.
 */
export class PartialReports {
  private header: Extract<JournalLine, { event: 'run' }> | undefined;
  private readonly results = new Map<number, TestResult>();
  private suite: string | undefined;
  /** How many times the reports were written: once per suite that ended. */
  writes = 0;

  constructor(private readonly dir: string) {}

  /** One journal line, in order: a test or hook of another suite beginning ends the last suite. */
  line(l: JournalLine): void {
    if (l.event === 'run') this.header ??= l;
    else if (l.event === 'result') this.results.set(l.index, l.result);
    else if (l.event === 'begin') {
      if (this.suite !== undefined && l.suite !== this.suite) this.write(l.at);
      this.suite = l.suite;
    }
  }

  private write(at: number): void {
    // No header: none yet, or a write failed (no more tries).
    if (!this.header) return;
    const tests = [...this.results.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
    const run: RunResults = {
      schemaVersion: RESULTS_SCHEMA_VERSION,
      ...(this.header.meta ? { meta: this.header.meta } : {}),
      kernel: this.header.kernel,
      totals: totalsOf(tests),
      tests,
      startedAt: this.header.startedAt,
      durationMs: Math.max(0, at - Date.parse(this.header.startedAt)),
    };
    try {
      writePartialReports(this.dir, run);
      this.writes++;
    } catch {
      // The final reports are what matter; results.jsonl has every test meanwhile.
      this.header = undefined;
    }
  }
}
