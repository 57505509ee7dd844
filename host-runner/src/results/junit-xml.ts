import type { RunResults, TestResult } from './results';

/** Escape text for XML content and attributes; drops characters XML 1.0 forbids. */
export function xmlEscape(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * JUnit XML as Jenkins and GitLab read it: one <testsuite> per suite, failures (assertions)
 * separate from errors (infrastructure), skip messages, logs in <system-out>.
 */
export function toJUnitXml(run: RunResults): string {
  const bySuite = new Map<string, TestResult[]>();
  for (const t of run.tests) bySuite.set(t.suite, [...(bySuite.get(t.suite) ?? []), t]);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const t = run.totals;
  out.push(`<testsuites name="ffs-lab" tests="${run.tests.length}" failures="${t.failed}" errors="${t.errors}" skipped="${t.skipped}" time="${(run.durationMs / 1000).toFixed(3)}">`);
  for (const [suite, tests] of bySuite) {
    const count = (s: string) => tests.filter((x) => x.status === s).length;
    const time = tests.reduce((a, x) => a + x.durationMs, 0) / 1000;
    out.push(`  <testsuite name="${xmlEscape(suite)}" tests="${tests.length}" failures="${count('failed')}" errors="${count('error')}" skipped="${count('skipped')}" time="${time.toFixed(3)}" timestamp="${run.startedAt}">`);
    out.push(`    <properties><property name="kernel.release" value="${xmlEscape(run.kernel.release)}"/><property name="kernel.mmap" value="${xmlEscape(run.kernel.features.mmap)}"/><property name="kernel.dmabuf" value="${xmlEscape(run.kernel.features.dmabuf)}"/></properties>`);
    for (const x of tests) {
      out.push(`    <testcase classname="${xmlEscape(suite)}" name="${xmlEscape(x.name)}" time="${(x.durationMs / 1000).toFixed(3)}">`);
      if (x.status === 'failed') out.push(`      <failure message="${xmlEscape(x.reason ?? '')}">${xmlEscape(x.details ?? '')}</failure>`);
      if (x.status === 'error') out.push(`      <error message="${xmlEscape(x.reason ?? '')}">${xmlEscape(x.details ?? '')}</error>`);
      if (x.status === 'skipped') out.push(`      <skipped message="${xmlEscape(x.reason ?? '')}"/>`);
      const measured = (x.measurements ?? []).map((m) => `${m.name}: ${m.value} ${m.unit}`).join('\n');
      const sysout = [measured, x.log ?? ''].filter(Boolean).join('\n');
      if (sysout) out.push(`      <system-out>${xmlEscape(sysout)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
