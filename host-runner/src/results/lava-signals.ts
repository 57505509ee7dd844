import { createHash } from 'node:crypto';
import type { Measurement, TestResult, TestStatus } from './results';

/**
 * LAVA's test-shell signals, as its helper scripts print them (lava-test-set, lava-test-case,
 * lava-test-raise in lava-dispatcher's lava_test_shell/): the dispatcher finds them on the
 * console with `<LAVA_SIGNAL_(\S+) ([^>]+)>` and splits the parameters on white space, so no
 * value may hold white space, `>` or (in `KEY=value`) `=`.
 */
export type LavaSignal =
  | { kind: 'set-start'; name: string }
  | { kind: 'set-stop' }
  | { kind: 'case'; name: string; result: LavaResult; measurement?: { value: number; units: string } }
  | { kind: 'raise'; message: string };

/** LAVA's results: anything else is "Bad test result" to the dispatcher. */
export type LavaResult = 'pass' | 'fail' | 'skip' | 'unknown';

/** Longest case name: LAVA's database keeps 100 characters (TestCase.name); ours stay well below. */
const MAX_CASE = 100;
/** Longest units text (TestCase.units). */
const MAX_UNITS = 100;

const RESULT_OF: Record<TestStatus, LavaResult> = { passed: 'pass', failed: 'fail', error: 'fail', skipped: 'skip' };

/** A test's LAVA result: an error (a hook, a hang, infrastructure) is a failure there; a waived failure (`--waivers`) a skip. */
export function lavaResult(status: TestStatus, waived = false): LavaResult {
  return waived && (status === 'failed' || status === 'error') ? 'skip' : RESULT_OF[status];
}

/** `[A-Za-z0-9_-]` only, runs of anything else as one `-`. */
function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/**
 * A result's case name within its suite's test set: the case part of its test ID; a result
 * without one (a failed hook) gets its title's slug with a digest of the title, so that two
 * hooks of one suite never share a name.
 */
export function lavaCaseName(r: Pick<TestResult, 'suite' | 'id' | 'name'>): string {
  if (r.id?.startsWith(`${r.suite}.`)) return r.id.slice(r.suite.length + 1);
  const digest = createHash('sha256').update(r.name).digest('hex').slice(0, 8);
  // `--` never occurs in one: it separates a measurement's case from its test's.
  return `${slug(r.name).slice(0, 60).replace(/-+$/, '')}-${digest}`;
}

/** The test set of a suite. */
export function lavaSetName(suite: string): string {
  return slug(suite);
}

/**
 * The cases of one result: the test itself, then one per finite measurement (LAVA keeps one
 * measurement per case), named `<case>--<measurement>`, with the test's result.
 */
export function lavaCases(r: TestResult): Extract<LavaSignal, { kind: 'case' }>[] {
  const name = lavaCaseName(r);
  const result = lavaResult(r.status, Boolean(r.waiver));
  const cases: Extract<LavaSignal, { kind: 'case' }>[] = [{ kind: 'case', name, result }];
  const used = new Set<string>();
  for (const m of r.measurements ?? []) {
    if (typeof m.value !== 'number' || !Number.isFinite(m.value)) continue;
    let mname = `${name}--${slug(m.name)}`.slice(0, MAX_CASE);
    for (let i = 2; used.has(mname); i++) mname = `${name}--${slug(m.name)}`.slice(0, MAX_CASE - 4) + `-${i}`;
    used.add(mname);
    cases.push({ kind: 'case', name: mname, result, measurement: { value: m.value, units: lavaUnits(m) } });
  }
  return cases;
}

/** Units as LAVA takes them: no white space or `>`, at most 100 characters; `none` when empty. */
export function lavaUnits(m: Pick<Measurement, 'unit'>): string {
  return m.unit.replace(/[\s>=]+/g, '_').slice(0, MAX_UNITS) || 'none';
}

/** A number as LAVA's `decimal.Decimal` reads it, without an exponent. */
export function decimalText(n: number): string {
  // toFixed and String switch to exponents at 1e21.
  if (Math.abs(n) >= 1e21) return BigInt(Math.round(n)).toString();
  if (Number.isInteger(n)) return String(n);
  const fixed = n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  return fixed === '-0' ? '0' : fixed;
}

/** The line a LAVA helper script prints for a signal. */
export function lavaSignalLine(s: LavaSignal): string {
  switch (s.kind) {
    case 'set-start':
      return `<LAVA_SIGNAL_TESTSET START ${s.name}>`;
    case 'set-stop':
      return '<LAVA_SIGNAL_TESTSET STOP>';
    case 'case': {
      const m = s.measurement ? ` MEASUREMENT=${decimalText(s.measurement.value)} UNITS=${s.measurement.units}` : '';
      return `<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=${s.name} RESULT=${s.result}${m}>`;
    }
    case 'raise':
      return `<LAVA_SIGNAL_TESTRAISE ${raiseText(s.message)}>`;
  }
}

/** The arguments of the LAVA helper script that makes a signal: its name first. */
export function lavaHelperArgv(s: LavaSignal): string[] {
  switch (s.kind) {
    case 'set-start':
      return ['lava-test-set', 'start', s.name];
    case 'set-stop':
      return ['lava-test-set', 'stop'];
    case 'case':
      return ['lava-test-case', s.name, '--result', s.result, ...(s.measurement ? ['--measurement', decimalText(s.measurement.value), '--units', s.measurement.units] : [])];
    case 'raise':
      return ['lava-test-raise', raiseText(s.message)];
  }
}

/** A raise message on one line, without the `>` that would end the signal early. */
function raiseText(message: string): string {
  return message.replace(/[>\r\n]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 500) || 'ffs-lab infrastructure error';
}
