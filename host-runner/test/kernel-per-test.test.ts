import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { runSuites } from '../src/suite-runner/mocha-runner';

const ANNOTATIONS = JSON.stringify(path.resolve(__dirname, '..', 'src', 'suite-runner', 'test-annotations.js'));

/** A kernel log whose lines arrive as scripted, one batch per take(). */
function scriptedKernel(batches: string[][]) {
  let n = 0;
  return { take: async () => batches[n++] ?? [] };
}

describe('per-test kernel log', () => {
  it('a kernel report during a passing test fails it, names the report and attaches the lines', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-kmsg-'));
    const file = path.join(dir, 'k.suite.js');
    fs.writeFileSync(
      file,
      `const { allowKernelReports } = require(${ANNOTATIONS});
describe('k', function () {
  it('first', function () {});
  it('second', function () {});
  it('provokes on purpose', function () { allowKernelReports(this, /WARNING: CPU/); });
});`,
    );
    // beforeEach/afterEach alternate: [before first], [after first], [before second], ...
    const kernel = scriptedKernel([
      ['[1.0] noise before the test'],
      ['[2.0] BUG: KASAN: use-after-free in ffs_epfile_io+0x1/0x2', '[2.1] Read of size 8'],
      [],
      ['[3.0] usb 1-1: new high-speed USB device'],
      [],
      ['[4.0] WARNING: CPU: 0 PID: 1 at drivers/usb/gadget/udc/core.c:1 x+0x1/0x2'],
    ]);
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const results = await runSuites([{ name: 'k', file, optIn: false }], { out, kernelMonitor: kernel });
    const [first, second, third] = results;
    assert.equal(first!.status, 'failed');
    assert.match(first!.reason!, /^kernel report during the test: BUG: KASAN: use-after-free/);
    assert.match(first!.log!, /Read of size 8/);
    assert.doesNotMatch(first!.log!, /noise before/);
    assert.equal(second!.status, 'passed');
    assert.match(second!.log!, /new high-speed USB device/);
    assert.equal(third!.status, 'passed', 'an allowed report does not fail the test');
    assert.match(text, /✗ \^ kernel report during the test/);
    // The failure's text (JUnit's <failure> body, what CI systems show) carries the report's lines.
    assert.match(first!.details!, /^kernel report during the test:\nBUG: KASAN: use-after-free in ffs_epfile_io\+0x1\/0x2\nRead of size 8$/);
    assert.equal(second!.details, undefined, 'a passing test has no failure text');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a test that fails on its own gets the kernel lines of its time after its stack, the last 20 when there is no report', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-kmsg-'));
    const file = path.join(dir, 'f.suite.js');
    fs.writeFileSync(file, `const assert = require('node:assert');\ndescribe('f', function () { it('breaks', function () { assert.equal(1, 2); }); });`);
    const lines = Array.from({ length: 25 }, (_, i) => `[${i}.0] line ${i}`);
    const out = new PassThrough();
    out.resume();
    const [r] = await runSuites([{ name: 'f', file, optIn: false }], { out, kernelMonitor: scriptedKernel([[], lines]) });
    assert.equal(r!.status, 'failed');
    const [stack, kernel] = r!.details!.split('\n\n');
    assert.match(stack!, /AssertionError/);
    assert.equal(kernel, `kernel log, last lines during the test:\n${lines.slice(5).join('\n')}`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
