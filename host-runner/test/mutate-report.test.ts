import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Mutant } from '@ffs-lab/fixtures/kernel/mutant';
import type { RunResults, TestResult } from '../src/results/results';
import { campaignPassed, mutateHtml, mutateText, rowFromResults, rowWithoutResults, totalsOf, type MutateReport } from '../src/mutate/mutate-report';

const mutant: Mutant = { name: 'limit-unrounded', rule: 'L3', what: 'charges the size unrounded', suites: ['mmap-limits'], edits: [{ file: 'f.c', from: 'a', to: 'b' }] };
const t = (id: string, status: TestResult['status']): TestResult => ({ suite: 'mmap-limits', id, name: id, status, durationMs: 1 });
const results = (tests: TestResult[]) => ({ tests }) as unknown as RunResults;

test('a mutant is caught by its failed tests, clean when no later test had a hook error', () => {
  const caught = rowFromResults(mutant, results([t('a.one', 'passed'), t('a.two', 'failed'), t('a.three', 'passed'), t('a.four', 'skipped')]), 60, 30, '/r');
  assert.equal(caught.outcome, 'caught');
  assert.deepEqual(caught.failed, ['a.two']);
  assert.equal(caught.clean, true);
  assert.equal(caught.ran, 3);
  assert.equal(caught.skipped, 1);
  assert.equal(rowFromResults(mutant, results([t('a.one', 'failed'), t('a.two', 'error')]), 0, 1, '/r').clean, true, 'a test that errors by itself saw the bug: no spill');
  const hook: TestResult = { ...t('', 'error'), id: undefined, name: 'block > "before all" hook for "x"' };
  const stopped: TestResult = { ...t('a.three', 'error'), reason: 'not run: the "before all" hook failed (EINVAL)' };
  assert.equal(rowFromResults(mutant, results([t('a.one', 'failed'), hook, stopped]), 0, 1, '/r').clean, false, 'a hook failure after the first failure is a spill');
  assert.equal(rowFromResults(mutant, results([hook, stopped, t('a.two', 'passed')]), 0, 1, '/r').clean, false, 'a first failure in a hook spills too');
  const panicked = rowFromResults(mutant, results([t('a.one', 'passed'), t('a.two', 'error')]), 0, 1, '/r', 'the guest ended without a result');
  assert.equal(panicked.outcome, 'caught', 'a kernel that dies during a test is caught by that test');
  assert.equal(panicked.clean, false, 'but the tests after it never ran');
  assert.match(mutateText({ startedAt: 'now', durationMs: 1, base: { variant: 'patched', release: 'r', patches: [] }, mutants: [panicked], totals: totalsOf([panicked]) }), /a\.two; the run ended there: the guest ended/);
  const recovered = rowFromResults(mutant, results([t('a.one', 'passed'), { ...t('a.two', 'error'), reason: 'lab timed out after 480 s during this test' }]), 0, 1, '/r');
  assert.equal(recovered.stopped, 'lab timed out after 480 s during this test', 'reports recovered from a run that hung say where it stopped');
  assert.equal(recovered.clean, false);
  const survived = rowFromResults(mutant, results([t('a.one', 'passed'), t('a.two', 'skipped')]), 0, 1, '/r');
  assert.equal(survived.outcome, 'survived');
  assert.deepEqual(survived.failed, []);
});

test('the campaign passes only when every mutant is caught cleanly and the baseline (when run) passed', () => {
  const ok = rowFromResults(mutant, results([t('a.one', 'failed')]), 0, 1, '/r');
  const report = (rows: MutateReport['mutants'], baseline?: MutateReport['baseline']): MutateReport => ({ startedAt: 'now', durationMs: 1000, base: { variant: 'patched', release: '6.12.118-ffslab', patches: [] }, ...(baseline ? { baseline } : {}), mutants: rows, totals: totalsOf(rows) });
  assert.equal(campaignPassed(report([ok])), true);
  assert.equal(campaignPassed(report([])), false, 'no mutant proves nothing');
  assert.equal(campaignPassed(report([ok], { passed: false, failed: ['x'], ran: 1 })), false);
  const invalid = rowWithoutResults({ ...mutant, name: 'broken' }, 'invalid', "edits[0]: the text to replace occurs nowhere", 1, 0);
  const survived = rowFromResults({ ...mutant, name: 'hole' }, results([t('a.one', 'passed')]), 0, 1, '/r');
  const r = report([ok, invalid, survived]);
  assert.equal(campaignPassed(r), false);
  assert.deepEqual(r.totals, { mutants: 3, caught: 1, survived: 1, invalid: 1, noResults: 0, spilled: 0 });
  const text = mutateText(r);
  assert.match(text, /^mutant +rule +kernel +caught +clean/m);
  assert.match(text, /^hole +L3 +patched +NO /m);
  assert.match(text, /^broken +L3 +patched +invalid .*occurs nowhere/m);
  assert.match(text, /1 of 3 caught, 1 survived, 1 invalid/);
  const html = mutateHtml({ ...r, mutants: [{ ...ok, what: '<script>x</script>' }] });
  assert.ok(!html.includes('<script>'), 'mutant text is escaped');
  assert.match(html, /1 of 3 mutants caught/);
});
