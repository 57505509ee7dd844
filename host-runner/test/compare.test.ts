import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareRuns, formatComparison, isMmapDependent, parseResults, ResultsFileError } from '../src/results/compare';
import { totalsOf, type RunResults, type TestResult } from '../src/results/results';
import { main } from '../src/cli/main';

const ABSENT = 'mmap zero-copy: absent on this kernel';

function run(variant: string, mmap: string, tests: TestResult[]): RunResults {
  return { kernel: { release: '6.12.117-ffslab', variant, features: { mmap, dmabuf: 'present' } }, totals: totalsOf(tests), tests, startedAt: '2026-11-24T00:00:00.000Z', durationMs: 1 };
}
const t = (suite: string, name: string, status: TestResult['status'], reason?: string): TestResult => ({ suite, name, status, durationMs: 1, ...(reason ? { reason } : {}) });

const patched = run('patched', 'present', [
  t('integrity', 'aio mode > streams > IN 4 KiB', 'passed'),
  t('integrity', 'mmap mode > streams > IN 4 KiB', 'passed'),
  t('mmap-limits', 'the quota > default boundary', 'passed'),
  t('native-io', 'errors > a released mapping is detached', 'passed'),
  t('enumeration', 'enumerates', 'passed'),
]);
const vanilla = run('vanilla', 'absent', [
  t('integrity', 'aio mode > streams > IN 4 KiB', 'passed'),
  t('integrity', 'mmap mode > streams > IN 4 KiB', 'skipped', 'mmap zero-copy: absent on this kernel (probe: ENODEV)'),
  t('mmap-limits', 'the quota > default boundary', 'skipped', ABSENT),
  t('native-io', 'errors > a released mapping is detached', 'skipped', ABSENT),
  t('enumeration', 'enumerates', 'passed'),
]);

test('mmap-dependent: mmap suites, the mmap skip reason, and "mmap mode" blocks; nothing else', () => {
  assert.ok(isMmapDependent('zero-copy', 'x', []));
  assert.ok(isMmapDependent('mmap-anything', 'x', []));
  assert.ok(isMmapDependent('native-io', 'errors > y', [t('native-io', 'y', 'passed'), t('native-io', 'y', 'skipped', ABSENT)]));
  assert.ok(isMmapDependent('integrity', 'mmap mode > streams > IN', []));
  assert.ok(!isMmapDependent('integrity', 'aio mode > streams > IN', [t('integrity', 'x', 'failed')]));
  // Mentioning mmap in a title is not enough, and another skip reason does not count.
  assert.ok(!isMmapDependent('integrity', 'long streams: mmap mode (aio where mmap is absent) > IN', []));
  assert.ok(!isMmapDependent('dmabuf', 'attach', [t('dmabuf', 'attach', 'skipped', 'DMABUF attach: EPERM')]));
});

test('patched vs vanilla differing only in mmap-dependent tests: identical outside mmap', () => {
  const c = compareRuns(patched, vanilla);
  assert.equal(c.paired, 5);
  assert.equal(c.same, 2);
  assert.equal(c.differences.length, 3);
  assert.equal(c.outsideMmap.length, 0);
  assert.equal(c.identicalOutsideMmap, true);
  const text = formatComparison(c, patched, vanilla, 'p.json', 'v.json');
  assert.match(text, /no-mmap behaviour identical to vanilla: yes\n$/);
  assert.match(text, /differences in mmap-dependent tests \(expected .*\): 3/);
  assert.match(text, /A = p\.json: kernel 6\.12\.117-ffslab \(patched\), mmap present; 5 tests/);
});

test('a status change or a missing test outside mmap makes the verdict no, and both are listed', () => {
  const broken = run('vanilla', 'absent', [...vanilla.tests.filter((x) => x.suite !== 'enumeration'), t('integrity', 'aio mode > streams > IN 4 KiB', 'passed')]);
  broken.tests[0] = t('integrity', 'aio mode > streams > IN 4 KiB', 'failed', 'byte 7 differs');
  const c = compareRuns(patched, broken);
  assert.equal(c.identicalOutsideMmap, false);
  assert.deepEqual(c.outsideMmap.map((d) => [d.suite, d.name, d.a?.status, d.b?.status]), [
    ['integrity', 'aio mode > streams > IN 4 KiB', 'passed', 'failed'],
    ['enumeration', 'enumerates', 'passed', undefined],
    ['integrity', 'aio mode > streams > IN 4 KiB', undefined, 'passed'],
  ]);
  const text = formatComparison(c, patched, broken, 'a', 'b');
  assert.match(text, /A: passed\n {6}B: failed \(byte 7 differs\)/);
  assert.match(text, /B: not run/);
  assert.match(text, /no-mmap behaviour identical to vanilla: no\n$/);
});

test('passed in one run, skipped in the other (outside mmap): listed as ran once, not counted; failed vs skipped counts', () => {
  const lab = 'DMABUF attach: EPERM: dummy_udc lacks scatter-gather';
  const a = run('patched', 'present', [t('native-io', 'dmabuf mode > IN 1', 'passed'), t('native-io', 'dmabuf mode > OUT 1', 'failed', 'x')]);
  const b = run('vanilla', 'absent', [t('native-io', 'dmabuf mode > IN 1', 'skipped', lab), t('native-io', 'dmabuf mode > OUT 1', 'skipped', lab)]);
  const c = compareRuns(a, b);
  assert.deepEqual(c.coverage.map((d) => d.name), ['dmabuf mode > IN 1']);
  assert.deepEqual(c.outsideMmap.map((d) => d.name), ['dmabuf mode > OUT 1']);
  assert.equal(c.identicalOutsideMmap, false);
  const c2 = compareRuns(run('p', 'present', [a.tests[0]!]), run('v', 'absent', [b.tests[0]!]));
  assert.equal(c2.identicalOutsideMmap, true);
  assert.match(formatComparison(c2, a, b, 'a', 'b'), /ran in one run only \(passed there, skipped in the other; not compared, not counted\): 1\n {2}native-io > dmabuf mode > IN 1/);
});

test('a run compared with itself is identical', () => {
  const c = compareRuns(vanilla, vanilla);
  assert.equal(c.differences.length, 0);
  assert.equal(c.same, vanilla.tests.length);
});

test('malformed results files are refused with a one-line message', () => {
  assert.throws(() => parseResults('{', 'x.json'), (e: unknown) => e instanceof ResultsFileError && /^x\.json: not JSON/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => parseResults('[]', 'x.json'), /expected an object/);
  assert.throws(() => parseResults('{"tests": 1}', 'x.json'), /no "tests" array/);
  assert.throws(() => parseResults('{"tests": [{"suite": "s", "name": "n", "status": "green"}]}', 'x.json'), /tests\[0\] is not a test result/);
  assert.equal(parseResults(JSON.stringify(patched), 'x').tests.length, 5);
});

test('ffs-lab compare: exit 0 when identical outside mmap, 1 on differences, 2 on bad input', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-compare-'));
  const write = (name: string, body: unknown) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body));
    return f;
  };
  const p = write('p.json', patched);
  const v = write('v.json', vanilla);
  const bad = write('bad.json', '{"tests": [');
  const changed = write('c.json', run('vanilla', 'absent', vanilla.tests.map((x) => (x.suite === 'enumeration' ? { ...x, status: 'failed' as const } : x))));
  const out: string[] = [];
  const err: string[] = [];
  const write0 = process.stdout.write.bind(process.stdout);
  const write2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(s), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['compare', p, v]), 0);
    assert.equal(await main(['compare', p, changed]), 1);
    assert.equal(await main(['compare', p, bad]), 2);
    assert.equal(await main(['compare', p, path.join(dir, 'missing.json')]), 2);
    assert.equal(await main(['compare', p]), 2);
  } finally {
    process.stdout.write = write0;
    process.stderr.write = write2;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.match(out.join(''), /identical to vanilla: yes[\s\S]*identical to vanilla: no/);
  const errors = err.join('').split('\n').filter((l) => l.startsWith('ffs-lab: '));
  assert.equal(errors.length, 3);
  assert.match(errors[0]!, /bad\.json: not JSON/);
  assert.match(errors[1]!, /cannot read .*missing\.json: ENOENT/);
});

test('ffs-lab compare on hostile, huge or truncated results files: exit 2 with one line, never a crash', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-compare-'));
  const p = path.join(dir, 'p.json');
  fs.writeFileSync(p, JSON.stringify(patched));
  const bodies: Record<string, string> = {
    'truncated.json': JSON.stringify(patched).slice(0, 200),
    'reason-number.json': JSON.stringify({ ...patched, tests: [{ suite: 's', name: 'n', status: 'skipped', reason: 5, durationMs: 0 }] }),
    'kernel-string.json': JSON.stringify({ ...patched, kernel: 'x' }),
    'deep.json': `{"tests": [], "kernel": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`,
    'nul.json': '\u0000\u0000',
  };
  const huge = path.join(dir, 'huge.json');
  // Sparse: a 600 MiB file that costs no disk space.
  fs.closeSync(fs.openSync(huge, 'w'));
  fs.truncateSync(huge, 600 << 20);
  const err: string[] = [];
  const write0 = process.stdout.write.bind(process.stdout);
  const write2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(s), true)) as typeof process.stderr.write;
  const codes: Record<string, number> = {};
  try {
    for (const [name, body] of Object.entries(bodies)) {
      fs.writeFileSync(path.join(dir, name), body);
      codes[name] = await main(['compare', p, path.join(dir, name)]);
    }
    codes['huge.json'] = await main(['compare', p, huge]);
  } finally {
    process.stdout.write = write0;
    process.stderr.write = write2;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(codes, { 'truncated.json': 2, 'reason-number.json': 2, 'kernel-string.json': 2, 'deep.json': 2, 'nul.json': 2, 'huge.json': 2 });
  assert.doesNotMatch(err.join(''), /\n\s+at /, 'no stack trace');
  assert.match(err.join(''), /huge\.json: .*too big/);
});

test('compare pairs names holding NUL and prints hostile names on one line each', () => {
  const t = (name: string, status: 'passed' | 'failed') => ({ suite: 's\u0000x', name, status, durationMs: 0 });
  const a = run('a', 'absent', [t('n\u0000m', 'passed'), t('evil\n\u001b[2Jname', 'passed')]);
  const b = run('b', 'absent', [t('n\u0000m', 'failed'), t('evil\n\u001b[2Jname', 'passed')]);
  const c = compareRuns(a, b);
  assert.equal(c.paired, 2);
  assert.deepEqual(c.outsideMmap.map((d) => [d.suite, d.name]), [['s\u0000x', 'n\u0000m']]);
  const text = formatComparison(compareRuns(a, run('b', 'absent', [])), a, b, 'A', 'B');
  assert.doesNotMatch(text, /[\u0000\u001b]/);
  assert.match(text, /evil \/ \\x1b\[2Jname/);
});
