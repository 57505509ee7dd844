import * as assert from 'node:assert/strict';
import { labContext } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { isRaceElsewhere, scanKernelLog, scanKmemleak, type KernelReport, type KernelReportKind } from '@ffs-lab/host-runner/kernel/dmesg-scan';
import type { KernelLog } from '@ffs-lab/contract/protocol';

/**
 * Runs last: after every other suite, the target's kernel log must hold no KASAN, lockdep, WARN,
 * BUG, hung-task, UBSAN or DMA-API report, no KCSAN data race in FunctionFS or dummy_hcd, and (on
 * a kernel with kmemleak, e.g. `--kernel debug`) a fresh kmemleak scan must find no leak. The
 * per-test kernel check sees reports made during a test; this one also sees those made between
 * tests (hooks, agent start-up). On hardware the log covers the time since boot.
 */
describe('kernel-health: no kernel report after the run', function () {
  blockInfo(this, { tags: ['kernel', 'health'] });
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

  const check = (caseName: string, title: string, kinds: KernelReportKind[]) =>
    testCase(caseName, title, function () {
      const found = reports.filter((r) => kinds.includes(r.kind) && !isRaceElsewhere(r));
      for (const r of found) attachLog(this, r.excerpt.join('\n'));
      const elsewhere = reports.filter((r) => kinds.includes(r.kind) && isRaceElsewhere(r));
      if (elsewhere.length) attachLog(this, `${elsewhere.length} KCSAN report(s) outside FunctionFS and dummy_hcd (listed, not failed):\n${elsewhere.map((r) => r.title).join('\n')}`);
      assert.deepEqual(found.map((r) => r.title), [], `${found.length} report(s) in dmesg`);
    });

  check('kasan', 'no KASAN report', ['kasan']);
  check('lockdep', 'no lockdep or atomic-context report', ['lockdep']);
  check('warn-bug-oops', 'no WARN, BUG or Oops', ['warning', 'bug']);
  check('hung-task-ubsan', 'no hung task and no UBSAN report', ['hung-task', 'ubsan']);
  check('dma-api', 'no DMA-API debugging report', ['dma-api']);
  check('kcsan', 'no KCSAN data race in FunctionFS or dummy_hcd', ['kcsan']);

  testCase('kmemleak', 'kmemleak finds no leak after a scan', function () {
    if (!log.kmemleak?.enabled) skipWithReason(this, log.kmemleak?.report || 'kmemleak is not enabled in this kernel (use --kernel debug)');
    const leaks = scanKmemleak(log.kmemleak.report);
    if (leaks.length) attachLog(this, log.kmemleak.report);
    assert.deepEqual(leaks.map((l) => l.title), [], `${leaks.length} suspected leak(s)`);
  }, { needs: ['debug-kernel'] });
});
