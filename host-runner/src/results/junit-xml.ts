import { attemptsText, type RunResults, type TestResult } from './results';
import { xmlAttr, xmlText } from './report-text';

/**
 * JUnit XML as Jenkins and GitLab read it: one <testsuite> per suite, failures (assertions)
 * separate from errors (infrastructure), skip messages, logs in <system-out>. A waived failure
 * (`--waivers`) is a skip whose message names the waiver and the failure, so a CI that fails on
 * JUnit failures agrees with the run's exit code. Every text from a test goes through
 * report-text, so the file is well-formed XML 1.0 whatever the tests said.
 */
export function toJUnitXml(run: RunResults): string {
  const bySuite = new Map<string, TestResult[]>();
  for (const t of run.tests) {
    const list = bySuite.get(t.suite);
    if (list) list.push(t);
    else bySuite.set(t.suite, [t]);
  }
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const a = xmlAttr;
  const kind = (x: TestResult): string => (x.waiver ? 'skipped' : x.status);
  const total = (s: string) => run.tests.filter((x) => kind(x) === s).length;
  out.push(`<testsuites name="ffs-lab" tests="${run.tests.length}" failures="${total('failed')}" errors="${total('error')}" skipped="${total('skipped')}" time="${(run.durationMs / 1000).toFixed(3)}">`);
  for (const [suite, tests] of bySuite) {
    const count = (s: string) => tests.filter((x) => kind(x) === s).length;
    const time = tests.reduce((sum, x) => sum + x.durationMs, 0) / 1000;
    out.push(`  <testsuite name="${a(suite)}" tests="${tests.length}" failures="${count('failed')}" errors="${count('error')}" skipped="${count('skipped')}" time="${time.toFixed(3)}" timestamp="${a(run.startedAt)}">`);
    out.push(`    <properties><property name="kernel.release" value="${a(run.kernel.release)}"/><property name="kernel.mmap" value="${a(run.kernel.features.mmap)}"/><property name="kernel.dmabuf" value="${a(run.kernel.features.dmabuf)}"/></properties>`);
    for (const x of tests) {
      out.push(`    <testcase classname="${a(suite)}" name="${a(x.name)}" time="${(x.durationMs / 1000).toFixed(3)}">`);
      if (x.waiver) out.push(`      <skipped message="${a(`waived until ${x.waiver.expires}: ${x.waiver.reason}; ${x.status}: ${x.reason ?? ''}`)}"/>`);
      else if (x.status === 'failed') out.push(`      <failure message="${a(x.reason ?? '')}">${xmlText(x.details ?? '')}</failure>`);
      else if (x.status === 'error') out.push(`      <error message="${a(x.reason ?? '')}">${xmlText(x.details ?? '')}</error>`);
      else if (x.status === 'skipped') out.push(`      <skipped message="${a(x.reason ?? '')}"/>`);
      const measured = (x.measurements ?? []).map((m) => `${m.name}: ${m.value} ${m.unit}`).join('\n');
      const sysout = [x.waiver && x.details ? `the waived ${x.status}:\n${x.details}` : '', x.attempts ? attemptsText(x) : '', measured, x.log ?? ''].filter(Boolean).join('\n');
      if (sysout) out.push(`      <system-out>${xmlText(sysout)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
