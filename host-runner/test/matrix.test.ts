import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { RunResults, TestResult } from '../src/results/results';
import { totalsOf } from '../src/results/results';
import { buildMatrix, failedColumn, kernelColumn, kernelPassed } from '../src/matrix/matrix-report';
import { matrixText } from '../src/matrix/matrix-table';
import { matrixHtml } from '../src/matrix/matrix-html';
import { kernelDirName } from '../src/matrix/matrix-run';
import { columnLabel, parseMatrixColumn } from '../src/matrix/matrix-column';
import { LabError } from '@ffs-lab/contract/exit-codes';

const t = (suite: string, name: string, status: TestResult['status'], reason?: string): TestResult => ({ suite, name, status, durationMs: 1, ...(reason ? { reason } : {}) });

function run(release: string, mmap: string, tests: TestResult[]): RunResults {
  return { kernel: { release, features: { mmap, dmabuf: 'absent' } }, totals: totalsOf(tests), tests, startedAt: '2026-11-24T00:00:00Z', durationMs: 1000 };
}

const MMAP_ABSENT = 'mmap zero-copy: absent on this kernel';

test('a kernel column counts per suite and groups skip reasons, most frequent first', () => {
  const col = kernelColumn('vanilla', '/r/vanilla', 0, run('6.12.117-ffslab', 'absent', [
    t('integrity', 'a', 'passed'),
    t('integrity', 'b', 'skipped', MMAP_ABSENT),
    t('mmap-limits', 'c', 'skipped', MMAP_ABSENT),
    t('mmap-limits', 'd', 'skipped', MMAP_ABSENT),
    t('dmabuf', 'e', 'skipped', 'DMABUF attach: EPERM: no scatter-gather'),
  ]));
  assert.deepEqual(col.suites.integrity, { passed: 1, failed: 0, skipped: 1, errors: 0 });
  assert.deepEqual(col.skipReasons[0], { reason: MMAP_ABSENT, count: 3, suites: ['integrity', 'mmap-limits'] });
  assert.equal(col.skipReasons.length, 2);
  assert.ok(kernelPassed(col), 'skips do not fail a kernel');
});

test('the matrix fails on a failed test or a kernel without results, never on skips', () => {
  const ok = kernelColumn('patched', '/r/p', 0, run('6.12', 'present', [t('integrity', 'a', 'passed')]));
  const skipsOnly = kernelColumn('vanilla-6.1', '/r/v', 4, run('6.1', 'absent', [t('mmap-limits', 'a', 'skipped', MMAP_ABSENT)]));
  assert.equal(buildMatrix([ok, skipsOnly], new Date(0), 5).passed, true);
  const bad = kernelColumn('vanilla', '/r/v', 1, run('6.12', 'absent', [t('faults', 'x', 'failed', 'boom\nstack')]));
  const m = buildMatrix([ok, bad], new Date(0), 5);
  assert.equal(m.passed, false);
  assert.deepEqual(bad.failures, ['faults: x: boom']);
  const none = failedColumn('image:/tmp/bzImage', '/r/i', 2, 'kernel 6.1 cannot run the lab: it lacks CONFIG_USB_DUMMY_HCD', 10);
  assert.equal(buildMatrix([ok, none], new Date(0), 5).passed, false);
  assert.equal(buildMatrix([], new Date(0), 0).passed, false, 'an empty matrix tests nothing');
});

test('the table puts suites down and kernels across, then reasons and failures; the page escapes text', () => {
  const a = kernelColumn('patched', '/r/p', 0, run('6.12.117-ffslab', 'present', [t('integrity', 'a', 'passed'), t('mmap-limits', 'b', 'passed')]));
  const b = kernelColumn('vanilla-6.1', '/r/v', 0, run('6.1.192-ffslab', 'absent', [t('integrity', 'a', 'passed'), t('mmap-limits', 'b', 'skipped', MMAP_ABSENT)]));
  const c = failedColumn('image:/x/<bz>', '/r/i', 2, 'lacks CONFIG_USB_DUMMY_HCD', 1);
  const m = buildMatrix([a, b, c], new Date(0), 5);
  const text = matrixText(m);
  assert.match(text, /^suite\s+patched\s+vanilla-6\.1\s+image:\/x\/<bz>$/m);
  assert.match(text, /^mmap-limits\s+1\/0\/0\s+0\/0\/1\s+-$/m);
  assert.match(text, /^verdict\s+pass\s+pass\s+FAIL$/m);
  assert.match(text, /vanilla-6\.1: skipped, by reason:\n\s+1 x mmap zero-copy: absent on this kernel \[mmap-limits\]/);
  assert.match(text, /image:\/x\/<bz>: no results: lacks CONFIG_USB_DUMMY_HCD/);
  assert.match(text, /matrix: FAILED: image:\/x\/<bz>/);
  const html = matrixHtml(m);
  assert.ok(html.includes('image:/x/&lt;bz&gt;') && !html.includes('<bz>'), 'labels are escaped');
  assert.match(html, /<td class="skip" title="0 passed, 0 failed, 1 skipped">0\/0\/1<\/td>/);
  assert.match(html, /<h1>ffs-lab matrix: FAILED<\/h1>/);
});

test('each kernel reports into a directory named for it', () => {
  assert.equal(kernelDirName({ kernel: { kind: 'variant', variant: 'vanilla-6.1' } }), 'vanilla-6.1');
  assert.equal(kernelDirName({ kernel: { kind: 'tree', dir: '/src/linux tree' } }), 'tree_src_linux_tree');
  assert.equal(kernelDirName({ kernel: { kind: 'image', file: '/boot/vmlinuz-6.1.0' } }), 'image_boot_vmlinuz-6.1.0');
  assert.equal(kernelDirName(parseMatrixColumn('arm64-compat')), 'arm64-compat');
});

test('matrix columns: the arm64 kernels by page size, arm64-compat (the 4K kernel, an armhf agent); a typo is exit 2 naming them', () => {
  assert.deepEqual(parseMatrixColumn('arm64-64k'), { kernel: { kind: 'variant', variant: 'arm64-64k' } });
  assert.deepEqual(parseMatrixColumn(' arm64-compat '), { kernel: { kind: 'variant', variant: 'arm64' }, compat: 'armhf' });
  assert.equal(columnLabel(parseMatrixColumn('arm64-16k')), 'arm64-16k');
  assert.throws(() => parseMatrixColumn('arm64-compt'), (e: unknown) => e instanceof LabError && e.exitCode === 2 && /unknown kernel 'arm64-compt' \(a column: .*arm64-64k, arm64-compat; or tree:DIR, image:FILE\)/.test(e.message));
});
