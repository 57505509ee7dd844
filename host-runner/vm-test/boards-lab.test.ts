import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DoctorReport } from '../src/doctor/doctor';
import type { RunResults } from '../src/results/results';
import { runCli } from './cli-run';

/**
 * Issue 21's lab checks with real boots (about 15 s each on TCG): doctor on the lab, on a lab
 * without FunctionFS and on one whose UDC another gadget holds, each with the advice a user
 * needs; and two gadgets of one kind on two UDCs told apart by port.
 */
function doctorIn(dir: string): DoctorReport {
  return JSON.parse(fs.readFileSync(path.join(dir, 'doctor.json'), 'utf8')) as DoctorReport;
}

function statuses(r: DoctorReport): Record<string, string> {
  return Object.fromEntries(r.checks.map((c) => [c.name, c.status]));
}

test('doctor on the lab: every check passes, in order, and nothing is left behind', { timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-doctor-'));
  try {
    const r = await runCli(['lab', '--doctor', '--report-dir', dir]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const report = doctorIn(dir);
    assert.deepEqual(report.checks.map((c) => c.name), ['ssh', 'root', 'node', 'agent', 'configfs', 'functionfs', 'udc', 'kconfig', 'mmap', 'host-usb']);
    assert.ok(report.checks.every((c) => c.status === 'ok'), JSON.stringify(report.checks, null, 1));
    assert.match(r.stdout, /^ {2}OK {4}host-usb {5}a test gadget \(1d6b:01d0\) bound to dummy_udc\.0, enumerated and opened on this host$/m);
    assert.match(r.stdout, /^doctor: ready$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('doctor on a lab without FunctionFS names it, says what to do, and skips what depends on it (exit 3)', { timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-doctor-'));
  try {
    const r = await runCli(['lab', '--doctor', '--doctor-break', 'no-functionfs', '--report-dir', dir]);
    assert.equal(r.code, 3, r.stderr + r.stdout);
    const report = doctorIn(dir);
    assert.deepEqual(statuses(report), { ssh: 'ok', root: 'ok', node: 'ok', agent: 'ok', configfs: 'ok', functionfs: 'fail', udc: 'ok', kconfig: 'ok', mmap: 'skip', 'host-usb': 'skip' });
    const ffs = report.checks.find((c) => c.name === 'functionfs')!;
    assert.match(ffs.detail, /configfs refuses an ffs function: FunctionFS is switched off on the kernel command line \(initcall_blacklist=ffsmod_init\)/);
    assert.equal(ffs.advice, 'boot without that initcall_blacklist entry');
    assert.match(r.stdout, /^doctor: 1 failed \(functionfs\)/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('doctor on a lab whose UDC another gadget holds names the gadget and how to free it (exit 3)', { timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-doctor-'));
  try {
    const r = await runCli(['lab', '--doctor', '--doctor-break', 'udc-busy', '--report-dir', dir]);
    assert.equal(r.code, 3, r.stderr + r.stdout);
    const report = doctorIn(dir);
    assert.equal(statuses(report).udc, 'fail');
    assert.equal(statuses(report)['host-usb'], 'skip');
    const udc = report.checks.find((c) => c.name === 'udc')!;
    assert.match(udc.detail, /^UDC dummy_udc\.0 is busy: configfs gadget 'ffslab-holder' is bound to it/);
    assert.equal(udc.advice, 'unbind it: echo "" > /sys/kernel/config/usb_gadget/ffslab-holder/UDC (or stop the program that owns that gadget)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('two gadgets of one kind on two UDCs: the host finds each on its own port (dummy_hcd.num=2)', { timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-ports-'));
  try {
    const r = await runCli(['lab', '--kernel-append', 'dummy_hcd.num=2', '--tag', 'usb-port', '--report-dir', dir]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const run = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as RunResults;
    assert.deepEqual(run.tests.map((t) => [t.id, t.status]), [['enumeration.two-udcs-by-port', 'passed']]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
