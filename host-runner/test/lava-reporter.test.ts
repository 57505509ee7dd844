import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { infraError } from '@ffs-lab/contract/exit-codes';
import { runSuites } from '../src/suite-runner/mocha-runner';
import { totalsOf, type TestResult } from '../src/results/results';
import type { JournalLine } from '../src/results/results-journal';
import { JournalFollower } from '../src/results/journal-follower';
import { helperEmitter, lavaHelpersOnPath, LavaReporter, printingEmitter, withLava } from '../src/results/lava-reporter';
import { decimalText, lavaCaseName, lavaCases, lavaUnits } from '../src/results/lava-signals';
import { lavaDispatcherRoot, lavaParse, lavaPythonDir } from './lava-dispatcher';

const mod = (p: string) => JSON.stringify(require.resolve(p));

/** Passes, an assertion failure, a skip with a reason, measurements, a failed hook that stops two tests. */
const SUITE = `
const assert = require('node:assert/strict');
const { testCase } = require(${mod('../src/suite-runner/test-case')});
const { measure, skipWithReason } = require(${mod('../src/suite-runner/test-annotations')});
describe('lava: a suite', function () {
  testCase('passes', 'a test that passes', function () {});
  testCase('measures', 'a test with figures', function () {
    measure(this, 'throughput IN', 123.456, 'MB/s');
    measure(this, 'gadget CPU per GiB', 0.75, 's/GiB');
    measure(this, 'not a number', NaN, 'x');
  });
  testCase('fails', 'a test that fails', function () { assert.equal(1, 2); });
  testCase('skips', 'a test that skips', function () { skipWithReason(this, 'mmap zero-copy: absent'); });
  describe('a block whose setup fails', function () {
    before('connect', function () { throw new Error('no agent'); });
    testCase('stopped-one', 'first stopped', function () {});
    testCase('stopped-two', 'second stopped', function () {});
  });
});
describe('lava: another suite', function () {
  testCase('passes-too', 'another pass', function () {});
});`;

/** Run the suite file(s) with the reporter following the journal; returns the console text and results. */
async function runWithLava(files: Record<string, string>, onBegin?: (emitted: string, line: JournalLine) => void, kernelMonitor?: { take(): Promise<string[]> }): Promise<{ text: string; results: TestResult[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-lava-'));
  const chunks: string[] = [];
  const console = new PassThrough();
  console.on('data', (c: Buffer) => chunks.push(c.toString()));
  const lava = new LavaReporter(printingEmitter(console));
  const out = new PassThrough();
  out.resume();
  try {
    const suites = Object.entries(files).map(([name, text]) => {
      const file = path.join(dir, `${name}.suite.js`);
      fs.writeFileSync(file, text);
      return { name, file, optIn: false };
    });
    const results = await runSuites(suites, {
      out,
      ...(kernelMonitor ? { kernelMonitor } : {}),
      journal: {
        write: (l) => {
          const line = { ...l, at: 0 } as JournalLine;
          lava.line(line);
          if (line.event === 'begin') onBegin?.(chunks.join(''), line);
        },
      },
    });
    lava.finish();
    return { text: chunks.join(''), results };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('LAVA reporter, read by LAVA\'s own test-shell code (lava-dispatcher from Debian)', () => {
  it('a test set per suite, a case per test and per finite measurement; LAVA\'s counts are ffs-lab\'s', async () => {
    const { text, results } = await runWithLava({ lava: SUITE, other: SUITE.replace(/lava: /g, 'other: ') });
    const parsed = lavaParse(text);
    assert.deepEqual(parsed.errors, [], 'LAVA logged no error');
    assert.equal(parsed.raised, null);
    const totals = totalsOf(results);
    const tests = parsed.results.filter((r) => !r.case.includes('--'));
    const count = (res: string) => tests.filter((r) => r.result === res).length;
    assert.deepEqual({ pass: count('pass'), fail: count('fail'), skip: count('skip') }, { pass: totals.passed, fail: totals.failed + totals.errors, skip: totals.skipped });
    assert.equal(tests.length, results.length, 'one LAVA case per ffs-lab result');
    const lava = parsed.results.filter((r) => r.set === 'lava');
    assert.deepEqual(lava.filter((r) => !r.case.includes('--') && !r.case.includes('before-all')).map((r) => [r.case, r.result]), [
      ['passes', 'pass'],
      ['measures', 'pass'],
      ['fails', 'fail'],
      ['skips', 'skip'],
      ['stopped-one', 'fail'],
      ['stopped-two', 'fail'],
      ['passes-too', 'pass'],
    ]);
    assert.deepEqual(lava.filter((r) => r.case.includes('--')).map((r) => [r.case, r.measurement, r.units]), [
      ['measures--throughput-IN', 123.456, 'MB/s'],
      ['measures--gadget-CPU-per-GiB', 0.75, 's/GiB'],
    ]);
    const hook = lava.find((r) => r.case.startsWith('a-block-whose-setup-fails-before-all-hook'));
    assert.equal(hook?.result, 'fail', `the failed hook is a case too: ${JSON.stringify(lava.map((r) => r.case))}`);
    assert.deepEqual([...new Set(parsed.results.map((r) => r.set))], ['lava', 'other']);
  });

  it('each test reaches LAVA when it ends: before the next one begins', async () => {
    const seen: string[] = [];
    await runWithLava({ lava: SUITE }, (emitted, line) => {
      if (line.event !== 'begin' || line.kind !== 'test') return;
      if (line.id === 'lava.fails') assert.match(emitted, /TEST_CASE_ID=measures RESULT=pass/);
      if (line.id === 'lava.skips') assert.match(emitted, /TEST_CASE_ID=fails RESULT=fail/);
      seen.push(line.id ?? '');
    });
    assert.ok(seen.includes('lava.skips'));
  });

  it("a test the kernel check fails after its block's own afterEach ran (a real run) is sent once, as failed", async () => {
    const suite = `const { testCase } = require(${mod('../src/suite-runner/test-case')});
describe('k', function () {
  afterEach('tidy', function () {});
  testCase('one', 'one', function () {});
  testCase('two', 'two', function () {});
});`;
    // The kernel monitor's take() alternates: before each test, after each test.
    const batches = [[], ['[1.0] WARNING: CPU: 0 PID: 1 at drivers/usb/gadget/function/f_fs.c:1 x+0x1/0x2'], [], []];
    let n = 0;
    const { text, results } = await runWithLava({ k: suite }, undefined, { take: async () => batches[n++] ?? [] });
    assert.deepEqual(results.map((r) => r.status), ['failed', 'passed']);
    assert.deepEqual(lavaParse(text).results.map((x) => [x.case, x.result]), [['one', 'fail'], ['two', 'pass']]);
  });

  it('a test the kernel check fails after it passed is sent once, as failed; an unfinished test is a failure; exit 3 raises', async () => {
    const chunks: string[] = [];
    const out = new PassThrough();
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    const lava = new LavaReporter(printingEmitter(out));
    const r = (id: string, status: TestResult['status']): TestResult => ({ suite: 'faults', id: `faults.${id}`, name: id, status, durationMs: 1 });
    lava.line({ event: 'result', at: 0, index: 0, result: r('agent-sigkill', 'passed') });
    lava.line({ event: 'result', at: 0, index: 0, result: r('agent-sigkill', 'failed') });
    lava.line({ event: 'begin', at: 0, kind: 'test', suite: 'faults', id: 'faults.stuck', name: 'stuck' });
    const code = await withLava(lava, async () => {
      lava.finish({ ...r('stuck', 'error'), reason: 'lab timed out after 900 s during this test' });
      throw infraError('the guest did not power off within 900 s; QEMU was killed');
    }).catch((e: Error) => e);
    assert.ok(code instanceof Error);
    const parsed = lavaParse(chunks.join(''));
    assert.deepEqual(parsed.results.map((x) => [x.case, x.result]), [['agent-sigkill', 'fail'], ['stuck', 'fail']]);
    assert.equal(parsed.raised, 'ffs-lab: the guest did not power off within 900 s; QEMU was killed');
    assert.deepEqual(lava.sent, { pass: 0, fail: 2, skip: 0, unknown: 0 });
  });

  it("through LAVA's own helper scripts when they are on PATH: the same signals, and their result files", async () => {
    const shell = path.join(lavaDispatcherRoot(), 'usr', 'lib', 'python3', 'dist-packages', 'lava_dispatcher', 'lava_test_shell');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-lava-bin-'));
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    // What LAVA's deployment does: the scripts get their interpreter line.
    for (const f of ['lava-test-case', 'lava-test-set', 'lava-test-raise', 'lava-common-functions']) {
      fs.writeFileSync(path.join(bin, f), `#!/bin/sh\n${fs.readFileSync(path.join(shell, f), 'utf8')}`, { mode: 0o755 });
    }
    const env = { PATH: process.env.PATH, LAVA_RESULT_DIR: process.env.LAVA_RESULT_DIR };
    process.env.PATH = `${bin}${path.delimiter}${process.env.PATH}`;
    process.env.LAVA_RESULT_DIR = path.join(dir, 'results-dir');
    try {
      assert.ok(lavaHelpersOnPath());
      const chunks: string[] = [];
      const out = new PassThrough();
      out.on('data', (c: Buffer) => chunks.push(c.toString()));
      const lava = new LavaReporter(helperEmitter(out));
      lava.line({ event: 'result', at: 0, index: 0, result: { suite: 'bench-io-modes', id: 'bench-io-modes.rep1-ours-in-aio-64k-d8', name: 'x', status: 'passed', durationMs: 1, measurements: [{ name: 'throughput', value: 77.5, unit: 'MB/s' }] } });
      lava.finish();
      lava.raise('ffs-lab: SSH lost');
      const parsed = lavaParse(chunks.join(''));
      assert.deepEqual(parsed.results.map((x) => [x.set, x.case, x.result, x.measurement]), [
        ['bench-io-modes', 'rep1-ours-in-aio-64k-d8', 'pass', undefined],
        ['bench-io-modes', 'rep1-ours-in-aio-64k-d8--throughput', 'pass', 77.5],
      ]);
      assert.equal(parsed.raised, 'ffs-lab: SSH lost');
      assert.equal(fs.readFileSync(path.join(dir, 'results-dir', 'results', 'rep1-ours-in-aio-64k-d8--throughput', 'measurement'), 'utf8').trim(), '77.5');
    } finally {
      process.env.PATH = env.PATH;
      if (env.LAVA_RESULT_DIR === undefined) delete process.env.LAVA_RESULT_DIR;
      else process.env.LAVA_RESULT_DIR = env.LAVA_RESULT_DIR;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('integrations/lava: the test definition and the example job pass LAVA\'s own schemas', () => {
    const repo = path.join(__dirname, '..', '..', '..');
    const script = `
import sys, yaml
sys.path.insert(0, sys.argv[1])
from lava_common.schemas import validate as validate_job
from lava_common.schemas.test.testdef import validate as validate_testdef
testdef = yaml.safe_load(open(sys.argv[2]))
job = yaml.safe_load(open(sys.argv[3]))
validate_testdef(testdef)
validate_job(job, strict=True)
# The schemas do refuse: a definition without its format, a job with an unknown boot method.
del testdef["metadata"]["format"]
job["actions"][1]["boot"]["method"] = "no-such-method"
for check, data in ((validate_testdef, testdef), (lambda d: validate_job(d, strict=True), job)):
    try:
        check(data)
        print("accepted a broken document")
        sys.exit(1)
    except Exception:
        pass
print("valid")
`;
    const r = spawnSync('/usr/bin/python3', ['-c', script, lavaPythonDir(), path.join(repo, 'integrations', 'lava', 'ffs-lab.yaml'), path.join(repo, 'integrations', 'lava', 'job-qemu-host.yaml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'valid');
  });
});

describe('LAVA names and values', () => {
  it('case names: the ID without its suite; a hook gets its title\'s slug and a digest; units and decimals as LAVA reads them', () => {
    assert.equal(lavaCaseName({ suite: 'mmap-limits', id: 'mmap-limits.largest-contiguous', name: 'x' }), 'largest-contiguous');
    const a = lavaCaseName({ suite: 's', name: '"before all" hook: connect for "a"' });
    const b = lavaCaseName({ suite: 's', name: '"before all" hook: connect for "b"' });
    assert.match(a, /^before-all-hook-connect-for-a-[0-9a-f]{8}$/);
    assert.notEqual(a, b);
    assert.equal(lavaUnits({ unit: 'MB / s' }), 'MB_/_s');
    assert.equal(lavaUnits({ unit: '' }), 'none');
    assert.equal(decimalText(1e22), '10000000000000000000000');
    assert.equal(decimalText(0.1 + 0.2), '0.3');
    assert.equal(decimalText(-5), '-5');
    const cases = lavaCases({ suite: 's', id: 's.t', name: 't', status: 'error', durationMs: 1, measurements: [{ name: 'a b', value: 1, unit: 'ms' }, { name: 'a-b', value: 2, unit: 'ms' }, { name: 'n', value: null as unknown as number, unit: 'x' }] });
    assert.deepEqual(cases.map((c) => [c.name, c.result]), [['t', 'fail'], ['t--a-b', 'fail'], ['t--a-b-2', 'fail']]);
  });
});

describe('journal follower', () => {
  it('hands over complete lines as they are written, a torn line and a split character once whole, and starts over on a new journal', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-follow-'));
    const file = path.join(dir, 'results.jsonl');
    const got: JournalLine[] = [];
    const f = new JournalFollower(file, (l) => got.push(l));
    const line = (name: string) => Buffer.from(`${JSON.stringify({ event: 'begin', at: 1, kind: 'test', suite: 's', name })}\n`);
    try {
      f.start();
      (f as unknown as { poll(): void }).poll(); // no file yet
      const one = line('één');
      // Cut inside the first é (two bytes in UTF-8).
      const cut = one.indexOf(Buffer.from('é')) + 1;
      fs.writeFileSync(file, Buffer.concat([line('a'), one.subarray(0, cut)]));
      (f as unknown as { poll(): void }).poll();
      assert.deepEqual(got.map((l) => (l as { name: string }).name), ['a']);
      fs.appendFileSync(file, one.subarray(cut));
      (f as unknown as { poll(): void }).poll();
      assert.deepEqual(got.map((l) => (l as { name: string }).name), ['a', 'één']);
      fs.writeFileSync(file, line('b'));
      f.stop();
      assert.deepEqual(got.map((l) => (l as { name: string }).name), ['a', 'één', 'b']);
    } finally {
      f.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
