import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { runSuites } from '../src/suite-runner/mocha-runner';
import { parseWaivers, WaiverBook, type Waiver } from '../src/results/waivers';
import { exitCodeOf, totalsOf, type RunResults, type TestResult } from '../src/results/results';
import { toJUnitXml } from '../src/results/junit-xml';
import { toKtap } from '../src/results/ktap';
import { lavaCases } from '../src/results/lava-signals';
import { kernelColumn, kernelPassed, cellText } from '../src/matrix/matrix-report';
import { resultsSchemaErrors } from './results-schema-check';
import { kunitParse } from './kunit-parse';

const usage = (text: string, re: RegExp) => assert.throws(() => parseWaivers(text, 'w.yaml'), (e: { exitCode?: number; message?: string }) => e.exitCode === 2 && re.test(e.message ?? ''), `${text} -> ${re}`);

describe('the waivers file', () => {
  it('parses ids and globs, a reason, an optional kernel expression and an expiry date (quoted or as YAML reads it)', () => {
    const w = parseWaivers(
      `waivers:
  - id: dmabuf.fence-out-short
    reason: "6.1: short OUT fences report the full length"
    kernel: '^6\\.1\\.'
    expires: 2027-03-31
  - id: 'faults.*'
    reason: flaky on TCG
    expires: '2026-12-31'
`,
      'w.yaml',
    );
    assert.deepEqual(w, [
      { id: 'dmabuf.fence-out-short', reason: '6.1: short OUT fences report the full length', kernel: '^6\\.1\\.', expires: '2027-03-31' },
      { id: 'faults.*', reason: 'flaky on TCG', expires: '2026-12-31' },
    ]);
  });

  it('refuses what it cannot mean: a clear usage error naming the entry and the field', () => {
    usage('- id: x', /expected one key, 'waivers'/);
    usage('waivers: {}', /expected one key, 'waivers', holding a list/);
    usage('waivers:\n  - id: a.b\n    reason: r\n    expires: 2027-01-01\n    owner: me\n', /waivers\[0\]: unknown key\(s\) owner/);
    usage('waivers:\n  - id: A.B\n    reason: r\n    expires: 2027-01-01\n', /waivers\[0\]: id must be a test ID/);
    usage('waivers:\n  - id: a.b\n    reason: " "\n    expires: 2027-01-01\n', /\(a\.b\): reason must be non-empty/);
    usage('waivers:\n  - id: a.b\n    reason: r\n', /expires must be a date, YYYY-MM-DD \(every waiver expires\)/);
    usage('waivers:\n  - id: a.b\n    reason: r\n    expires: "2027-02-30"\n', /expires must be a date/);
    usage('waivers:\n  - id: a.b\n    reason: r\n    expires: 2027-01-01\n    kernel: "("\n', /kernel '\(' is not a regular expression/);
    usage('waivers: [\n', /not YAML/);
  });
});

const failed = (id: string, status: TestResult['status'] = 'failed'): TestResult => ({ suite: id.split('.')[0]!, id, name: id, status, reason: 'boom', details: 'AssertionError: boom', durationMs: 1 });

describe('which failures a waiver accepts', () => {
  const waivers: Waiver[] = [
    { id: 'dmabuf.fence-*', reason: 'known on 6.1', kernel: '^6\\.1\\.', expires: '2027-01-01' },
    { id: 'faults.agent-sigkill', reason: 'old', expires: '2026-12-07' },
    { id: 'integrity.*', reason: 'any kernel', expires: '2026-12-08' },
  ];

  it('live waivers for this kernel waive failed and errored tests they name; expired ones waive nothing; passes are never marked', () => {
    const book = new WaiverBook(waivers, '6.1.158-ffslab', '2026-12-07');
    assert.deepEqual(book.expired.map((w) => w.id), ['faults.agent-sigkill'], 'expires is the first day it no longer applies');
    const rs = [failed('dmabuf.fence-in'), failed('faults.agent-sigkill'), failed('integrity.aio-in-4k-d8', 'error'), { ...failed('integrity.copy-in-1b'), status: 'passed' as const }, failed('enumeration.interface')];
    for (const r of rs) book.mark(r);
    assert.deepEqual(rs.map((r) => r.waiver?.reason ?? null), ['known on 6.1', null, 'any kernel', null, null]);
    const other = new WaiverBook(waivers, '6.12.118-ffslab', '2026-12-07');
    const r = failed('dmabuf.fence-in');
    other.mark(r);
    assert.equal(r.waiver, undefined, 'the kernel expression limits it');
  });

  it('the mark follows the status: a test the kernel check fails later is waived then, one that passes after all is not', () => {
    const book = new WaiverBook(waivers, '6.1.1', '2026-12-07');
    const r: TestResult = { ...failed('dmabuf.fence-out'), status: 'passed' };
    book.mark(r);
    assert.equal(r.waiver, undefined);
    r.status = 'failed';
    book.mark(r);
    assert.equal((r as TestResult).waiver?.expires, '2027-01-01');
    r.status = 'passed';
    book.mark(r);
    assert.equal(r.waiver, undefined);
  });
});

describe('a failed hook', () => {
  it('is waived when every test it stopped is waived, and only then', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-waive-hook-'));
    try {
      const file = path.join(dir, 'hk.suite.js');
      fs.writeFileSync(file, `const { testCase } = require(${JSON.stringify(require.resolve('../src/suite-runner/test-case'))});
describe('hk', function () {
  before(function () { throw new Error('setup broke'); });
  testCase('a', 'a', function () {});
  testCase('b', 'b', function () {});
});`);
      const run = async (ws: Waiver[]) => {
        const out = new PassThrough();
        out.resume();
        const book = new WaiverBook(ws, '6.12.1', '2026-12-07');
        const results = await runSuites([{ name: 'hk', file, optIn: false }], { out, waive: (r, stopped) => book.mark(r, stopped) });
        return results.map((r) => [r.id ?? 'hook', r.status, Boolean(r.waiver)]);
      };
      const all = await run([{ id: 'hk.*', reason: 'known', expires: '2027-01-01' }]);
      assert.deepEqual(all, [['hook', 'error', true], ['hk.a', 'error', true], ['hk.b', 'error', true]]);
      const some = await run([{ id: 'hk.a', reason: 'known', expires: '2027-01-01' }]);
      assert.deepEqual(some, [['hook', 'error', false], ['hk.a', 'error', true], ['hk.b', 'error', false]]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a waived failure in every report', () => {
  const tests: TestResult[] = [
    { suite: 'dmabuf', id: 'dmabuf.attach', name: 'attach', status: 'passed', durationMs: 1 },
    { ...failed('dmabuf.fence-out-short'), waiver: { reason: 'known on 6.1', expires: '2027-01-01' } },
    { ...failed('dmabuf.close-pending', 'error'), waiver: { reason: 'hangs on 6.1', expires: '2027-01-01' } },
  ];
  const run: RunResults = { schemaVersion: 1, kernel: { release: '6.1.158-ffslab', features: { mmap: 'absent', dmabuf: 'present' } }, totals: totalsOf(tests), tests, startedAt: '2026-12-07T00:00:00.000Z', durationMs: 3, waivers: { given: 2, expired: [] } };

  it('counts: failed stays failed, waived apart; the run passes when every failure is waived; one more failure fails it', () => {
    assert.deepEqual(run.totals, { passed: 1, failed: 1, skipped: 0, errors: 1, waived: 2 });
    assert.equal(exitCodeOf(run.totals), 0);
    assert.equal(exitCodeOf(totalsOf([...tests, failed('dmabuf.detach-pending-in')])), 1);
    assert.equal(exitCodeOf(totalsOf([tests[1]!])), 0, 'nothing passed, nothing unwaived failed: not "all skipped" (4)');
    assert.deepEqual(resultsSchemaErrors(run), []);
  });

  it('JUnit: a skip whose message names the waiver and the failure; KTAP: ok ... # XFAIL, which Linux\'s kunit_parser counts as passed; LAVA: skip', () => {
    const xml = toJUnitXml(run);
    assert.match(xml, /<testsuites name="ffs-lab" tests="3" failures="0" errors="0" skipped="2"/);
    assert.match(xml, /<skipped message="waived until 2027-01-01: known on 6\.1; failed: boom"\/>/);
    assert.match(xml, /the waived failed:\nAssertionError: boom/);
    const ktap = toKtap(run);
    assert.match(ktap, /^ok 2 dmabuf: dmabuf\.fence-out-short # XFAIL waived until 2027-01-01: known on 6\.1$/m);
    assert.match(ktap, /^# Totals: pass:1 fail:0 xfail:2 xpass:0 skip:0 error:0$/m);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-waived-'));
    try {
      fs.writeFileSync(path.join(dir, 'results.ktap'), ktap);
      const k = kunitParse(path.join(dir, 'results.ktap'));
      if (typeof k !== 'string') assert.deepEqual([k.passed, k.failed], [3, 0], JSON.stringify(k));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(lavaCases(run.tests[1]!)[0]!.result, 'skip');
  });

  it('matrix: the column passes, the cell says how many were waived; an unwaived failure still fails it', () => {
    const k = kernelColumn('patched-6.1', '/r', 0, run);
    assert.ok(kernelPassed(k));
    assert.equal(cellText(k.suites.dmabuf), '1/2/0, 2 waived');
    assert.match(k.failures[0]!, /\(waived until 2027-01-01: known on 6\.1\)$/);
    const worse = { ...run, tests: [...tests, failed('dmabuf.detach-pending-in')] };
    assert.ok(!kernelPassed(kernelColumn('patched-6.1', '/r', 1, { ...worse, totals: totalsOf(worse.tests) })));
  });
});
