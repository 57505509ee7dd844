import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { runSuites } from '../src/suite-runner/mocha-runner';
import { INJECT_FAILURE_ENV, parseFailureInjection } from '../src/suite-runner/failure-injection';

async function runWith(env: string, suiteText: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-inject-'));
  const file = path.join(dir, 'i.suite.js');
  fs.writeFileSync(file, suiteText);
  const out = new PassThrough();
  out.resume();
  process.env[INJECT_FAILURE_ENV] = env;
  try {
    return await runSuites([{ name: 'i', file, optIn: false }], { out });
  } finally {
    delete process.env[INJECT_FAILURE_ENV];
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('failure injection (FFS_LAB_INJECT_FAILURE)', () => {
  it('parses REGEX[@MS] and names the variable when the regex is bad', () => {
    assert.equal(parseFailureInjection(undefined), undefined);
    assert.equal(parseFailureInjection(''), undefined);
    assert.deepEqual(parseFailureInjection('IN 4096@250'), { pattern: /IN 4096/, afterMs: 250 });
    assert.deepEqual(parseFailureInjection('a@b'), { pattern: /a@b/, afterMs: 500 });
    assert.throws(() => parseFailureInjection('(['), /FFS_LAB_INJECT_FAILURE: not a regular expression/);
  });

  it('fails a matching test mid-body while the body goes on; the others run as before', async () => {
    const marks = path.join(os.tmpdir(), `ffs-inject-marks-${process.pid}`);
    const results = await runWith(
      'slow stream@200',
      `const fs = require('node:fs');
describe('s', function () {
  it('slow stream', async function () {
    await new Promise((r) => setTimeout(r, 600));
    fs.writeFileSync(${JSON.stringify(marks)}, 'body finished');
  });
  it('next', async function () {});
  it('skips itself', function () { this.skip(); });
});`,
    );
    assert.deepEqual(results.map((r) => [r.name, r.status]), [['slow stream', 'failed'], ['next', 'passed'], ['skips itself', 'skipped']]);
    assert.match(results[0]!.reason!, /^injected failure \(FFS_LAB_INJECT_FAILURE\) 200 ms into the test/);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(fs.readFileSync(marks, 'utf8'), 'body finished', 'the body was left running, as a timed-out test is');
    fs.rmSync(marks, { force: true });
  });

  it('a matching test that ends sooner fails as it ends; one that fails on its own keeps its own reason', async () => {
    const results = await runWith(
      'quick|broken@5000',
      `const assert = require('node:assert');
describe('q', function () {
  it('quick', function () {});
  it('broken', function () { assert.equal(1, 2); });
});`,
    );
    assert.equal(results[0]!.status, 'failed');
    assert.match(results[0]!.reason!, /injected failure .* as the test ended/);
    assert.equal(results[1]!.status, 'failed');
    assert.doesNotMatch(results[1]!.reason!, /injected/);
  });
});
