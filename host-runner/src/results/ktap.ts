import { attemptsText, type RunResults } from './results';
import { ktapDiagnostics, ktapText } from './report-text';

/** Did a test end on a time limit: mocha's own, or the run's (a recovered run's `timed out ... during this test`)? */
function isTimeout(reason: string | undefined): boolean {
  return /^Timeout of \d+ms exceeded|\btimed out\b/.test(reason ?? '');
}

/**
 * KTAP (kselftest/KUnit format): one test line per test, skips with `# SKIP reason`, errors
 * (not an assertion: a hook, infrastructure) with `# ERROR reason` or `# TIMEOUT reason`, a
 * waived failure as kselftest writes an expected one (`ok N name # XFAIL reason`), totals last. Every text from a test goes through report-text, so the stream parses as the tests ran.
 */
export function toKtap(run: RunResults): string {
  const k = run.kernel;
  const lines = ['KTAP version 1', ...ktapDiagnostics(`ffs-lab on ${k.release} (mmap: ${k.features.mmap}, dmabuf: ${k.features.dmabuf})`), `1..${run.tests.length}`];
  run.tests.forEach((t, i) => {
    const name = `${ktapText(t.suite)}: ${ktapText(t.name)}`;
    for (const m of t.measurements ?? []) lines.push(...ktapDiagnostics(`${name}: ${m.name} = ${m.value} ${m.unit}`));
    if (t.status === 'failed' || t.status === 'error') lines.push(...ktapDiagnostics(t.reason ?? ''));
    if (t.attempts) lines.push(...ktapDiagnostics(attemptsText(t)));
    const ok = t.status === 'passed' || t.status === 'skipped' || t.waiver ? 'ok' : 'not ok';
    const directive = t.waiver
      ? ` # XFAIL ${ktapText(`waived until ${t.waiver.expires}: ${t.waiver.reason}`)}`
      : t.status === 'skipped' ? ` # SKIP ${ktapText(t.reason ?? '')}` : t.status === 'error' ? ` # ${isTimeout(t.reason) ? 'TIMEOUT' : 'ERROR'} ${ktapText(t.reason ?? '')}` : '';
    lines.push(`${ok} ${i + 1} ${name}${directive}`);
  });
  const tt = run.totals;
  // As kselftest counts them: fail and error apart, an expected (waived) failure as xfail.
  const waivedFailed = run.tests.filter((t) => t.status === 'failed' && t.waiver).length;
  const waivedErrors = run.tests.filter((t) => t.status === 'error' && t.waiver).length;
  lines.push(`# Totals: pass:${tt.passed} fail:${tt.failed - waivedFailed} xfail:${waivedFailed + waivedErrors} xpass:0 skip:${tt.skipped} error:${tt.errors - waivedErrors}`);
  if (tt.flaky) lines.push(`# Flaky: ${tt.flaky} passed only on a retry`);
  return lines.join('\n') + '\n';
}
