import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { exitCodeOf, totalsOf, type RunResults, type TestResult } from '../src/results/results';
import { toJUnitXml } from '../src/results/junit-xml';
import { toKtap } from '../src/results/ktap';
import { parseKtap } from '../src/results/ktap-parse';

const tests: TestResult[] = [
  { suite: 'integrity', name: 'IN 4 KiB', status: 'passed', durationMs: 12, measurements: [{ name: 'throughput', value: 95.5, unit: 'MB/s' }] },
  { suite: 'integrity', name: 'OUT <odd> & "quoted"', status: 'failed', reason: 'byte 7 differs', details: 'AssertionError: byte 7', durationMs: 3 },
  { suite: 'mmap-limits', name: 'default boundary', status: 'skipped', reason: 'mmap zero-copy: absent on this kernel', durationMs: 0 },
  { suite: 'mmap-limits', name: 'setup', status: 'error', reason: 'agent gone', durationMs: 1, log: 'dmesg: WARNING at f_fs.c' },
];
const run: RunResults = { kernel: { release: '6.12.117-ffslab', features: { mmap: 'absent', dmabuf: 'present' } }, totals: totalsOf(tests), tests, startedAt: '2026-11-24T00:00:00.000Z', durationMs: 16 };

test('totals and exit codes follow README.md, "Exit codes"', () => {
  assert.deepEqual(run.totals, { passed: 1, failed: 1, skipped: 1, errors: 1 });
  assert.equal(exitCodeOf(run.totals), 1);
  assert.equal(exitCodeOf({ passed: 0, failed: 0, skipped: 3, errors: 0 }), 4);
  assert.equal(exitCodeOf({ passed: 2, failed: 0, skipped: 3, errors: 0 }), 0);
  assert.equal(exitCodeOf({ passed: 0, failed: 0, skipped: 0, errors: 1 }), 1);
  assert.equal(exitCodeOf({ passed: 0, failed: 0, skipped: 0, errors: 0 }), 3, 'a run that ran nothing must not pass');
});

test('JUnit keeps failures and errors apart, carries skip messages and logs, escapes XML', () => {
  const xml = toJUnitXml(run);
  assert.match(xml, /<testsuites name="ffs-lab" tests="4" failures="1" errors="1" skipped="1"/);
  assert.match(xml, /<testsuite name="integrity" tests="2" failures="1" errors="0" skipped="0"/);
  assert.match(xml, /name="OUT &lt;odd&gt; &amp; &quot;quoted&quot;"/);
  assert.match(xml, /<failure message="byte 7 differs">AssertionError: byte 7<\/failure>/);
  assert.match(xml, /<error message="agent gone">/);
  assert.match(xml, /<skipped message="mmap zero-copy: absent on this kernel"\/>/);
  assert.match(xml, /<system-out>dmesg: WARNING at f_fs.c<\/system-out>/);
  assert.match(xml, /<system-out>throughput: 95.5 MB\/s<\/system-out>/);
});

test('KTAP has a plan, SKIP directives, not-ok lines and totals', () => {
  const ktap = toKtap(run).split('\n');
  assert.equal(ktap[0], 'KTAP version 1');
  assert.ok(ktap.includes('1..4'));
  assert.ok(ktap.includes('ok 1 integrity: IN 4 KiB'));
  assert.ok(ktap.includes('# integrity: IN 4 KiB: throughput = 95.5 MB/s'));
  assert.ok(ktap.includes('not ok 2 integrity: OUT <odd> & "quoted"'));
  assert.ok(ktap.includes('ok 3 mmap-limits: default boundary # SKIP mmap zero-copy: absent on this kernel'));
  assert.ok(ktap.includes('not ok 4 mmap-limits: setup # ERROR agent gone'));
  assert.ok(ktap.includes('# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:1'));
});

test('KTAP marks an error that was a time limit (mocha\'s, or the lab\'s on a recovered run) TIMEOUT, and parses it back', () => {
  const timed: TestResult[] = [
    { suite: 's', name: 'slow', status: 'error', reason: 'Timeout of 60000ms exceeded. For async tests and hooks, ensure "done()" is called', durationMs: 60000 },
    { suite: 's', name: 'hung', status: 'error', reason: 'lab timed out after 900 s during this test', durationMs: 1 },
  ];
  const ktap = toKtap({ ...run, tests: timed, totals: totalsOf(timed) });
  assert.match(ktap, /^not ok 1 s: slow # TIMEOUT Timeout of 60000ms exceeded/m);
  assert.match(ktap, /^not ok 2 s: hung # TIMEOUT lab timed out after 900 s during this test$/m);
  assert.deepEqual(parseKtap(ktap).cases.map((c) => [c.status, c.reason]), [
    ['fail', 'Timeout of 60000ms exceeded. For async tests and hooks, ensure "done()" is called'],
    ['fail', 'lab timed out after 900 s during this test'],
  ]);
});
