import * as assert from 'node:assert/strict';
import { labContext } from '../host-runner/src/suite-runner/lab-context';
import { attachLog, skipWithReason } from '../host-runner/src/suite-runner/test-annotations';
import { scanKernelLog, scanKmemleak, type KernelReport, type KernelReportKind } from '../host-runner/src/kernel/dmesg-scan';
import type { KernelLog } from '../gadget-agent/src/protocol';

/**
 * Runs last: after every other suite, the target's kernel log must hold no KASAN, lockdep, WARN,
 * BUG, hung-task or UBSAN report, and (on a kernel with kmemleak, e.g. `--kernel debug`) a fresh
 * kmemleak scan must find no leak. On hardware the log covers the time since boot.
 */
describe('kernel-health: no kernel report after the run', function () {
  this.timeout(120_000);
  let log: KernelLog;
  let reports: KernelReport[];

  before(async function () {
    const h = await labContext().startAgent();
    try {
      log = await h.agent.call('kernel.log', { kmemleakScan: true }, 90_000);
    } finally {
      await h.close();
    }
    reports = scanKernelLog(log.dmesg);
  });

  const check = (title: string, kinds: KernelReportKind[]) =>
    it(title, function () {
      const found = reports.filter((r) => kinds.includes(r.kind));
      for (const r of found) attachLog(this, r.excerpt.join('\n'));
      assert.deepEqual(found.map((r) => r.title), [], `${found.length} report(s) in dmesg`);
    });

  check('no KASAN report', ['kasan']);
  check('no lockdep or atomic-context report', ['lockdep']);
  check('no WARN, BUG or Oops', ['warning', 'bug']);
  check('no hung task and no UBSAN report', ['hung-task', 'ubsan']);

  it('kmemleak finds no leak after a scan', function () {
    if (!log.kmemleak?.enabled) skipWithReason(this, log.kmemleak?.report || 'kmemleak is not enabled in this kernel (use --kernel debug)');
    const leaks = scanKmemleak(log.kmemleak.report);
    if (leaks.length) attachLog(this, log.kmemleak.report);
    assert.deepEqual(leaks.map((l) => l.title), [], `${leaks.length} suspected leak(s)`);
  });
});
