import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { runSuites } from '../src/suite-runner/mocha-runner';
import { finishedRun, totalsOf } from '../src/results/results';
import { hostIdentity } from '../src/results/run-metadata';
import { toKtap } from '../src/results/ktap';
import { toJUnitXml } from '../src/results/junit-xml';
import { parseKtap } from '../src/results/ktap-parse';
import { retriesOf } from '../src/cli/verbs/verb-args';
import { resultsSchemaErrors } from './results-schema-check';

async function run(suiteText: string, retries: number, kernelMonitor?: { take(): Promise<string[]> }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-retries-'));
  const file = path.join(dir, 'r.suite.js');
  fs.writeFileSync(file, suiteText);
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  try {
    return { results: await runSuites([{ name: 'r', file, optIn: false }], { out, retries, ...(kernelMonitor ? { kernelMonitor } : {}) }), text };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A test that fails on its first run and passes on its second, one that always fails, one that passes. */
const SUITE = `const assert = require('node:assert');
let runs = 0;
describe('r', function () {
  it('wobbles', function () { runs++; assert.ok(runs > 1, 'first run fails'); });
  it('always broken', function () { assert.equal(1, 2); });
  it('steady', function () {});
});`;

/** `--retries`: real mocha runs; a flaky pass is counted apart and never hides a repeated failure. */
describe('--retries', () => {
  it('a test that passes on a retry is flaky (attempts, first failure); one that fails every time failed', async () => {
    const { results, text } = await run(SUITE, 2);
    assert.deepEqual(results.map((r) => [r.name, r.status, r.attempts]), [
      ['wobbles', 'passed', 2],
      ['always broken', 'failed', 3],
      ['steady', 'passed', undefined],
    ]);
    assert.match(results[0]!.firstFailure!, /first run fails/);
    assert.deepEqual(totalsOf(results), { passed: 2, failed: 1, skipped: 0, errors: 0, flaky: 1 });
    assert.match(text, /~ wobbles: first run fails \(attempt 1; retrying\)/);
    assert.match(text, /✓ wobbles \(\d+ ms; flaky: passed on attempt 2; first failure: first run fails\)/);
    assert.match(text, /✗ always broken: .*; failed on each of 3 attempts/);
  });

  it('the reports say it: KTAP (still parses), JUnit system-out, results.json by the schema', async () => {
    const { results } = await run(SUITE, 1);
    const r = finishedRun({ meta: { tool: { version: '0' }, command: [], target: 't', host: hostIdentity() }, kernel: { release: '6.12', features: { mmap: 'present', dmabuf: 'present' } }, tests: results, started: new Date(), ended: new Date() });
    assert.deepEqual(resultsSchemaErrors(r), []);
    const ktap = toKtap(r);
    assert.match(ktap, /^# flaky: passed on attempt 2; first failure: first run fails\nok 1 r: wobbles$/m);
    assert.match(ktap, /^# Flaky: 1 passed only on a retry$/m);
    assert.deepEqual(parseKtap(ktap).cases.map((c) => c.status), ['pass', 'fail', 'pass']);
    assert.match(toJUnitXml(r), /<system-out>flaky: passed on attempt 2; first failure: first run fails<\/system-out>/);
  });

  it('without --retries nothing is retried; --retries takes 0 to 5', async () => {
    const { results } = await run(SUITE, 0);
    assert.deepEqual(results.map((r) => [r.status, r.attempts]), [['failed', undefined], ['failed', undefined], ['passed', undefined]]);
    assert.equal(retriesOf('lab', '0'), 0);
    assert.equal(retriesOf('lab', '5'), 5);
    for (const bad of ['6', '-1', 'two', '']) assert.throws(() => retriesOf('lab', bad), /lab: --retries must be a whole number from 0 to 5/);
  });

  it('a kernel report in a failed attempt fails the test that then passed: never flaky', async () => {
    const batches = [[], ['[1.0] BUG: KASAN: use-after-free in ffs_epfile_io+0x1/0x2'], [], ['[2.0] all quiet']];
    let n = 0;
    const { results } = await run(
      `const assert = require('node:assert');
let runs = 0;
describe('k', function () { it('wobbles', function () { runs++; assert.ok(runs > 1, 'first run fails'); }); });`,
      1,
      { take: async () => batches[n++] ?? [] },
    );
    assert.equal(results[0]!.status, 'failed');
    assert.match(results[0]!.reason!, /^kernel report during the test \(its 2 attempts\): BUG: KASAN/);
    assert.equal(results[0]!.attempts, undefined);
    assert.match(results[0]!.log!, /use-after-free[\s\S]*all quiet/);
  });

  it('a retry that a hook stopped keeps the test\'s own failure', async () => {
    const { results } = await run(
      `const assert = require('node:assert');
let n = 0;
describe('s', function () {
  beforeEach(function () { if (++n === 2) throw new Error('setup broke'); });
  it('wobbles', function () { assert.ok(false, 'first run fails'); });
});`,
      1,
    );
    assert.deepEqual(results.map((r) => [r.name, r.status]), [
      ['"before each" hook for "wobbles"', 'error'],
      ['wobbles', 'failed'],
    ]);
    assert.match(results[1]!.reason!, /^first run fails .*\(its retry was not run: the "before each" hook failed\)$/);
  });
});
