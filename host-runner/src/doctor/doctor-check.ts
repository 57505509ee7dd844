import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';

/** What one bring-up check found. */
export interface CheckOutcome {
  status: 'ok' | 'warn' | 'fail' | 'skip';
  /** One line: what was found. */
  detail: string;
  /** What to do about it (fail and warn). */
  advice?: string;
}

/** One step of `ffs-lab doctor`, in the order a bring-up meets them. */
export interface DoctorCheck<C> {
  /** Short name, shown in the table and JSON (`ssh`, `functionfs`, ...). */
  name: string;
  /** Checks that must have passed (ok or warn) for this one to mean anything. */
  needs: readonly string[];
  run(ctx: C): Promise<CheckOutcome>;
}

/** A check's name and outcome, as printed and written to JSON. */
export interface CheckResult extends CheckOutcome {
  name: string;
}

/**
 * Run the checks in order; a check whose needs did not pass is skipped with the reason, and a
 * check that throws fails with the error's message (a doctor never crashes on the thing it
 * diagnoses), except for a usage error (bad option or config: exit 2), which is rethrown.
 * `report` sees each result as it is known.
 */
export async function runChecks<C>(checks: readonly DoctorCheck<C>[], ctx: C, report: (r: CheckResult) => void): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const passed = new Set<string>();
  for (const c of checks) {
    const missing = c.needs.filter((n) => !passed.has(n));
    let outcome: CheckOutcome;
    if (missing.length > 0) {
      outcome = { status: 'skip', detail: `not checked: needs ${missing.join(', ')}` };
    } else {
      try {
        outcome = await c.run(ctx);
      } catch (err) {
        // A mistake in the command line or config (exit 2) is not a finding about the target.
        if (err instanceof LabError && err.exitCode === ExitCode.Usage) throw err;
        const e = err as Error & { hint?: string };
        outcome = { status: 'fail', detail: e.message, ...(e.hint ? { advice: e.hint } : {}) };
      }
    }
    if (outcome.status === 'ok' || outcome.status === 'warn') passed.add(c.name);
    const r = { name: c.name, ...outcome };
    results.push(r);
    report(r);
  }
  return results;
}

/** The table line(s) of one result: status, name, detail, then the advice indented. */
export function formatCheck(r: CheckResult): string {
  const head = `  ${r.status.toUpperCase().padEnd(5)} ${r.name.padEnd(12)} ${r.detail}`;
  return r.advice ? `${head}\n${' '.repeat(21)}-> ${r.advice}` : head;
}
