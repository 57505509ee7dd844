import type { RunResults } from './results';

/** KTAP (kselftest/KUnit format): one test line per test, skips with `# SKIP reason`, totals last. */
export function toKtap(run: RunResults): string {
  const lines = ['KTAP version 1', `# ffs-lab on ${run.kernel.release} (mmap: ${run.kernel.features.mmap}, dmabuf: ${run.kernel.features.dmabuf})`, `1..${run.tests.length}`];
  run.tests.forEach((t, i) => {
    const name = `${t.suite}: ${t.name}`.replace(/[#\n]/g, ' ');
    for (const m of t.measurements ?? []) lines.push(`# ${name}: ${m.name} = ${m.value} ${m.unit}`);
    if (t.status === 'failed' || t.status === 'error') {
      for (const l of (t.reason ?? '').split('\n')) lines.push(`# ${l}`);
    }
    const ok = t.status === 'passed' || t.status === 'skipped' ? 'ok' : 'not ok';
    const directive = t.status === 'skipped' ? ` # SKIP ${(t.reason ?? '').replace(/\n/g, ' ')}` : '';
    lines.push(`${ok} ${i + 1} ${name}${directive}`);
  });
  const tt = run.totals;
  lines.push(`# Totals: pass:${tt.passed} fail:${tt.failed + tt.errors} xfail:0 xpass:0 skip:${tt.skipped} error:${tt.errors}`);
  return lines.join('\n') + '\n';
}
