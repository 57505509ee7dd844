import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { buildHistory, historySummary, resultsFilesOf } from '../src/history/run-history';
import { historyHtml, sparkline } from '../src/history/history-html';
import { totalsOf, type RunResults, type TestResult } from '../src/results/results';
import { main } from '../src/cli/main';

const t = (id: string, status: TestResult['status'], extra: Partial<TestResult> = {}): TestResult => ({ suite: id.split('.')[0]!, id, name: `title of ${id}`, status, durationMs: 10, ...extra });

function write(dir: string, startedAt: string, tests: TestResult[], release = '6.12.118-ffslab'): string {
  fs.mkdirSync(dir, { recursive: true });
  const run: RunResults = { schemaVersion: 1, kernel: { release, features: { mmap: 'present', dmabuf: 'present' } }, totals: totalsOf(tests), tests, startedAt, durationMs: 1000 };
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(run));
  return dir;
}

describe('ffs-lab history', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-history-'));
  // Given out of order: the history orders by start time. The first run is from before IDs.
  const n3 = write(path.join(root, 'night3'), '2026-12-03T02:00:00.000Z', [
    t('integrity.aio-in-64k-d8', 'passed', { measurements: [{ name: 'throughput', value: 90, unit: 'MB/s' }] }),
    t('faults.agent-sigkill', 'failed', { reason: 'gadget left behind' }),
    t('dmabuf.fence-out-short', 'failed', { waiver: { reason: 'bug 42', expires: '2027-01-01' } }),
    t('mmap-limits.memory-cgroup', 'error'),
  ]);
  const n1 = write(path.join(root, 'night1'), '2026-12-01T02:00:00.000Z', [
    { suite: 'integrity', name: 'title of integrity.aio-in-64k-d8', status: 'passed', durationMs: 12, measurements: [{ name: 'throughput', value: 80, unit: 'MB/s' }] },
    { suite: 'faults', name: 'title of faults.agent-sigkill', status: 'passed', durationMs: 9 },
  ]);
  const matrix = path.join(root, 'matrix2');
  write(path.join(matrix, 'patched'), '2026-12-02T02:00:00.000Z', [
    t('integrity.aio-in-64k-d8', 'passed', { attempts: 2, firstFailure: 'timeout', measurements: [{ name: 'throughput', value: 85, unit: 'MB/s' }] }),
    t('faults.agent-sigkill', 'failed'),
    t('mmap-limits.memory-cgroup', 'passed'),
  ]);

  it('runs from files, report directories and a matrix report, oldest first; tests joined by ID, pre-ID runs by title', () => {
    const files = [n3, matrix, n1].flatMap(resultsFilesOf);
    const h = buildHistory(files);
    assert.deepEqual(h.runs.map((r) => r.label), ['night1', 'patched', 'night3']);
    const by = new Map(h.tests.map((x) => [x.key, x]));
    assert.deepEqual([...by.keys()].sort(), ['dmabuf.fence-out-short', 'faults.agent-sigkill', 'integrity.aio-in-64k-d8', 'mmap-limits.memory-cgroup']);
    assert.deepEqual(by.get('integrity.aio-in-64k-d8')!.cells, ['passed', 'flaky', 'passed']);
    assert.deepEqual(by.get('integrity.aio-in-64k-d8')!.measurements, [{ name: 'throughput', unit: 'MB/s', values: [80, 85, 90] }]);
    const sigkill = by.get('faults.agent-sigkill')!;
    const lane = '6.12.118-ffslab';
    assert.deepEqual([sigkill.cells, sigkill.failing], [['passed', 'failed', 'failed'], [{ lane, since: 1, lastPassed: 0 }]]);
    const cgroup = by.get('mmap-limits.memory-cgroup')!;
    assert.deepEqual([cgroup.cells, cgroup.failing], [[null, 'passed', 'error'], [{ lane, since: 2, lastPassed: 1 }]]);
    const waived = by.get('dmabuf.fence-out-short')!;
    assert.deepEqual([waived.cells, waived.failing], [[null, null, 'waived'], []], 'a waived failure is not "failing"');
    const summary = historySummary(h).join('\n');
    assert.match(summary, /^history: 3 runs \(2026-12-01T02:00:00\.000Z to 2026-12-03T02:00:00\.000Z\), 4 tests$/m);
    assert.match(summary, /failing on 6\.12\.118-ffslab: faults\.agent-sigkill: since patched \(2026-12-02T02:00:00\.000Z, 6\.12\.118-ffslab\); last passed 2026-12-01T02:00:00\.000Z/);
    assert.match(summary, /failing on 6\.12\.118-ffslab: mmap-limits\.memory-cgroup \(new in its last run\): since night3/);
    assert.match(summary, /flaky in some run: 1 test\(s\): integrity\.aio-in-64k-d8/);
    const html = historyHtml(h);
    assert.match(html, /<td class="fail" title="failed, 10 ms">F<\/td>/);
    assert.match(html, /<td class="flaky" title="flaky, 10 ms">f<\/td>/);
    assert.match(html, /<td class="waived"/);
    assert.match(html, /failing on 6\.12\.118-ffslab since run 2/);
    assert.ok(html.indexOf('faults.agent-sigkill') < html.indexOf('dmabuf.fence-out-short'), 'failing now comes first');
  });

  it('streaks are followed per kernel: a test failing on vanilla every night of a matrix is not new each night', () => {
    const dir = path.join(root, 'lanes');
    const run = (night: number, variant: string, status: TestResult['status']) => {
      const d = path.join(dir, `n${night}`, variant);
      fs.mkdirSync(d, { recursive: true });
      const r: RunResults = { schemaVersion: 1, kernel: { release: '6.12.118-ffslab', variant, features: { mmap: 'absent', dmabuf: 'present' } }, totals: totalsOf([]), tests: [t('kernel-info.mmap-matches-build', status)], startedAt: `2026-12-0${night}T02:0${variant === 'patched' ? 0 : 1}:00.000Z`, durationMs: 1 };
      fs.writeFileSync(path.join(d, 'results.json'), JSON.stringify(r));
      return path.join(d, 'results.json');
    };
    const h = buildHistory([run(1, 'patched', 'passed'), run(1, 'vanilla', 'failed'), run(2, 'patched', 'passed'), run(2, 'vanilla', 'failed'), run(3, 'patched', 'passed'), run(3, 'vanilla', 'failed')]);
    assert.deepEqual(h.runs.map((r) => r.lane), ['patched', 'vanilla', 'patched', 'vanilla', 'patched', 'vanilla']);
    assert.deepEqual(h.tests[0]!.failing, [{ lane: 'vanilla', since: 1 }]);
    assert.deepEqual(h.runs[0]!.totals, { passed: 1, failed: 0, skipped: 0, errors: 0 }, 'counted from the tests, not the file');
    assert.doesNotMatch(historySummary(h).join('\n'), /new in its last run/);
  });

  it('sparklines: a point per run, gaps where a run lacks the value, a dot for one value', () => {
    assert.match(sparkline([1, 2, 3]), /<polyline [^>]*points="2\.0,30\.0 80\.0,16\.0 158\.0,2\.0"/);
    assert.equal((sparkline([1, null, 3, 4]).match(/<(polyline|circle)/g) ?? []).length, 2);
    assert.equal(sparkline([null, null]), '');
  });

  it('the verb: history.json and history.html in --out; bad arguments are usage errors', async () => {
    const out = path.join(root, 'out');
    const lines: string[] = [];
    const write0 = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stdout.write;
    let code: number;
    try {
      code = await main(['history', n1, matrix, n3, '--out', out]);
    } finally {
      process.stdout.write = write0;
    }
    assert.equal(code, 0, lines.join(''));
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'history.json'), 'utf8')).runs.length, 3);
    assert.match(fs.readFileSync(path.join(out, 'history.html'), 'utf8'), /^<!DOCTYPE html>/);
    const err = (args: string[], re: RegExp) => assert.throws(() => args.flatMap(resultsFilesOf), (e: { exitCode?: number; message?: string }) => e.exitCode === 2 && re.test(e.message ?? ''));
    err([path.join(root, 'nope')], /no such file or directory/);
    fs.mkdirSync(path.join(root, 'empty'));
    err([path.join(root, 'empty')], /has no results\.json/);
    fs.writeFileSync(path.join(root, 'nokernel.json'), '{"tests": [], "startedAt": "2026-12-01T00:00:00Z"}');
    assert.throws(() => buildHistory([path.join(root, 'nokernel.json')]), (e: { exitCode?: number; message?: string }) => e.exitCode === 2 && /not a results\.json \(no kernel\.release\)/.test(e.message ?? ''));
    fs.writeFileSync(path.join(root, 'bad.json'), '{"tests": 3}');
    assert.throws(() => buildHistory([path.join(root, 'bad.json')]), (e: { exitCode?: number; message?: string }) => e.exitCode === 2 && /history: .*bad\.json/.test(e.message ?? ''));
  });
});
