import * as assert from 'node:assert/strict';
import Mocha from 'mocha';
import { labContext } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, identify, MAX_TEST_ID, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { parseKtap, type KtapCase, type KtapResult } from '@ffs-lab/host-runner/results/ktap-parse';
import type { ProgramRun } from '@ffs-lab/contract/protocol';

/** The self-test's own limit is 45 s per case (kselftest default); the whole run gets this: ms. */
const RUN_TIMEOUT_MS = 240_000;
/** kselftest's exit code for "skipped" (KSFT_SKIP). */
const KSFT_SKIP = 4;

/**
 * The series' own kselftest (tools/testing/selftests/usb/ffs_mmap_test, KTAP), run on the target
 * by the agent. Every KTAP case becomes a test here, so a skip carries the self-test's reason and
 * a failure its diagnostics. On a kernel without the feature every case skips, not fails.
 */
describe('ffs-mmap-selftest: the series\' kselftest (KTAP)', function () {
  blockInfo(this, { needs: ['selftest'], tags: ['kernel', 'selftest', 'mmap'] });
  this.timeout(RUN_TIMEOUT_MS + 30_000);
  let run: ProgramRun;
  let ktap: KtapResult;

  before(async function () {
    const ctx = labContext();
    if (!ctx.tools?.selftest) skipWithReason(this, 'the series\' selftest binary is not available on this target (lab tools.selftest)');
    const h = await ctx.startAgent();
    try {
      run = await h.agent.call('program.run', { argv: [ctx.tools.selftest], timeoutMs: RUN_TIMEOUT_MS }, RUN_TIMEOUT_MS + 15_000);
    } finally {
      await h.close();
    }
    ktap = parseKtap(run.stdout);
    const expectMmap = ctx.kernel.expected?.mmap;
    const suite = this.test!.parent!;
    for (const c of ktap.cases) suite.addTest(identify(new Mocha.Test(c.name, caseTest(c, expectMmap)), ktapCaseName(c)));
  });

  testCase('runs-to-completion', 'runs to completion: a KTAP plan, every planned case reported, exit code consistent', function () {
    attachLog(this, `ffs_mmap_test stdout:\n${run.stdout}${run.stderr ? `\nstderr:\n${run.stderr}` : ''}`);
    assert.ok(!run.timedOut, `the self-test ran past ${RUN_TIMEOUT_MS / 1000} s and was killed`);
    assert.equal(run.signal, null, `the self-test died by ${run.signal}`);
    assert.equal(ktap.bailOut, undefined, `the self-test bailed out: ${ktap.bailOut}`);
    assert.ok(ktap.planned !== undefined, 'no KTAP plan line (1..N) in the output');
    assert.equal(ktap.cases.length, ktap.planned, 'cases reported vs planned');
    const failed = ktap.cases.filter((c) => c.status === 'fail').length;
    const allSkipped = ktap.cases.every((c) => c.status === 'skip');
    // kselftest_harness.h exits 0 when all cases skip; plain kselftest programs exit KSFT_SKIP.
    const expected = failed > 0 ? [1] : allSkipped ? [0, KSFT_SKIP] : [0];
    assert.ok(expected.includes(run.exitCode ?? -1), `exit code ${run.exitCode} with ${failed} failed case(s)${allSkipped ? ', all skipped' : ''}; expected ${expected.join(' or ')}`);
  });
});

/**
 * The case name of a KTAP case's test: its KTAP name (e.g. `ffs.default_limit_boundary`) made a
 * valid case name: lowercase, every character outside [a-z0-9_-] a '-'; a leading '-' or '_' is
 * dropped (a case name starts with a letter or digit), and a name left empty is `case-N`.
 */
function ktapCaseName(c: KtapCase): string {
  // The ID, `ffs-mmap-selftest.<case>`, stays within MAX_TEST_ID.
  const room = MAX_TEST_ID - 'ffs-mmap-selftest.'.length;
  return c.name.toLowerCase().replace(/[^a-z0-9_-]/g, '-').replace(/^[-_]+/, '').slice(0, room) || `case-${c.number}`;
}

/** The mocha test of one KTAP case. */
function caseTest(c: KtapCase, expectMmap: 'present' | 'absent' | undefined): Mocha.Func {
  return function (this: Mocha.Context) {
    const detail = c.diagnostics.filter((d) => !/^\s*(RUN|OK|FAIL|SKIP)\s/.test(d.trim())).join('\n');
    if (detail) attachLog(this, detail);
    if (c.status === 'fail') assert.fail(`case ${c.number} failed${detail ? `:\n${detail}` : ''}`);
    if (c.status === 'skip') {
      // A kernel that should have the feature must not skip for its absence.
      if (expectMmap === 'present' && /absent/i.test(c.reason ?? '')) assert.fail(`skipped on a kernel that should have mmap zero-copy: ${c.reason}`);
      skipWithReason(this, c.reason || 'skipped by the self-test');
    }
  };
}
