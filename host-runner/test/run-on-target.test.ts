import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { resultsSchemaErrors } from './results-schema-check';
import type { RunResults } from '../src/results/results';
import { after, before, describe, it } from 'node:test';
import { runOnTarget } from '../src/run/run-on-target';
import { targetOf } from '../src/run/target';
import type { TargetConfig } from '../src/config/lab-config';
import type { SuiteEntry } from '../src/suite-runner/suite-catalog';
import { descendants, freePort, startSshd, type Sshd } from './sshd-fixture';

/**
 * `ffs-lab run` end to end against a real OpenSSH sshd on 127.0.0.1 and the real agent (this
 * checkout's): the error paths as the user meets them (exit code, one line, no stack, no
 * secret), and the shared run path with suites written for the test.
 */
/** host-runner/dist/src/: the compiled runner (this test runs from host-runner/dist/test/). */
const SRC = path.resolve(__dirname, '..', 'src');
const REPO = path.resolve(__dirname, '..', '..', '..');
const CLI = path.resolve(REPO, 'bin', 'ffs-lab.js');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

/** Exit code and the first stderr line; never a stack trace. */
function assertFails(r: CliRun, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, r.stderr + r.stdout);
  assert.match(r.stderr.split('\n')[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

describe('ffs-lab run against a real sshd', () => {
  let sshd: Sshd;
  let pwSshd: Sshd;
  let knownHosts: string;
  let tmp: string;

  before(async () => {
    [sshd, pwSshd] = await Promise.all([startSshd(), startSshd({ passwordAuth: true })]);
    knownHosts = sshd.knownHosts('known_hosts', `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n[127.0.0.1]:${pwSshd.port} ${pwSshd.hostKeyLine}\n`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-run-'));
  });

  after(async () => {
    await Promise.all([sshd?.stop(), pwSshd?.stop()]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const adHoc = (port: number) => ['--target', `ssh://root@127.0.0.1:${port}`, '--identity', sshd.clientKey, '--known-hosts', knownHosts];

  it('agent missing on the target: one line naming the path and ffs-lab deploy, exit 3', async () => {
    const cfg = path.join(tmp, 'missing.yaml');
    fs.writeFileSync(cfg, `targets:\n  board:\n    transport: {type: ssh, host: 127.0.0.1, port: ${sshd.port}, user: root, identity: ${sshd.clientKey}, knownHosts: ${knownHosts}}\n    agent: {installDir: /nonexistent/ffs-lab}\n`);
    const r = await runCli(['run', '--config', cfg, '--target', 'board']);
    assertFails(r, 3, new RegExp(`^ffs-lab: agent not found at /nonexistent/ffs-lab/bin/ffs-lab-agent\\.js on ssh://root@127\\.0\\.0\\.1:${sshd.port}; run 'ffs-lab deploy --target board'$`));
  });

  it('node missing on the target: names the program, exit 3', async () => {
    const cfg = path.join(tmp, 'nonode.yaml');
    fs.writeFileSync(cfg, `targets:\n  board:\n    transport: {type: ssh, host: 127.0.0.1, port: ${sshd.port}, user: root, identity: ${sshd.clientKey}, knownHosts: ${knownHosts}}\n    agent: {node: /nonexistent/bin/node}\n`);
    assertFails(await runCli(['run', '--config', cfg]), 3, /^ffs-lab: cannot start the agent on ssh:\/\/root@127\.0\.0\.1:\d+: '\/nonexistent\/bin\/node' not found there$/);
  });

  it('wrong host key: exit 3, HOST KEY MISMATCH', async () => {
    const kh = sshd.knownHosts('wrong_known_hosts', `[127.0.0.1]:${sshd.port} ${sshd.otherHostKeyLine}\n`);
    const r = await runCli(['run', '--target', `ssh://root@127.0.0.1:${sshd.port}`, '--identity', sshd.clientKey, '--known-hosts', kh]);
    assertFails(r, 3, /^ffs-lab: HOST KEY MISMATCH for 127\.0\.0\.1:\d+: .* expects ssh-ed25519 SHA256:/);
  });

  it('unreachable host: exit 3, connection refused', async () => {
    const port = await freePort();
    assertFails(await runCli(['run', ...adHoc(port)]), 3, new RegExp(`^ffs-lab: cannot reach 127\\.0\\.0\\.1:${port}: connection refused \\(ECONNREFUSED\\)$`));
  });

  it('wrong password: exit 3, authentication failed, the password is never printed', async () => {
    const secret = 'not-the-password-4711';
    const r = await runCli(['run', '--target', `ssh://root@127.0.0.1:${pwSshd.port}`, '--known-hosts', knownHosts], { FFS_LAB_SSH_PASSWORD: secret, HOME: tmp });
    assertFails(r, 3, /^ffs-lab: SSH authentication as root on 127\.0\.0\.1:\d+ failed \(tried: password and keyboard-interactive \(from \$FFS_LAB_SSH_PASSWORD\)\)$/);
    assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret));
  });

  it('bad lab config: every mistake on its own line, exit 2', async () => {
    const cfg = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(cfg, 'targets:\n  board:\n    transport: {type: ssh, host: h, prot: 22, proxyJump: "a b"}\n    udc: 7\n');
    const r = await runCli(['run', '--config', cfg, '--target', 'board']);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(r.stderr.trimEnd().split('\n'), [
      `ffs-lab: lab config ${cfg} has 3 mistakes:`,
      `  ${cfg}:3: targets.board.transport.prot: unknown key for ssh (did you mean 'port'?)`,
      `  ${cfg}:3: targets.board.transport.proxyJump: expected OpenSSH ProxyJump: [user@]host[:port], comma separated, or none, got the string "a b"`,
      `  ${cfg}:4: targets.board.udc: expected a string, got the number 7`,
    ]);
  });

  /** A suite file for the shared path, using the runner's own modules. */
  function suiteFile(name: string, body: string): SuiteEntry {
    const file = path.join(tmp, `${name}.suite.js`);
    const req = (m: string) => JSON.stringify(path.join(SRC, m));
    fs.writeFileSync(file, `const { labContext } = require(${req('suite-runner/lab-context.js')});\nconst { waitForUsbDevice } = require(${req('usb/usb-device-wait.js')});\n${body}\n`);
    return { name, file, optIn: false };
  }

  function labLikeTarget(): TargetConfig {
    return {
      name: 'board',
      transport: { type: 'ssh', host: '127.0.0.1', port: sshd.port, user: 'root', identity: sshd.clientKey, knownHosts },
      agent: { command: [process.execPath, path.resolve(REPO, 'bin', 'ffs-lab-agent.js')] },
      usb: { enumerateTimeoutMs: 300 },
    };
  }

  it('shared path: a passing suite over SSH gives exit 0 and the lab\'s reports; features unknown without a probe', async () => {
    const suite = suiteFile('hello', `describe('hello', function () {
      it('agent answers over ssh', async function () {
        const h = await labContext().startAgent();
        try { if (!h.agent.hello.pid) throw new Error('no pid'); } finally { await h.close(); }
      });
    });`);
    const reportDir = path.join(tmp, 'report-ok');
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const code = await runOnTarget({ target: targetOf(labLikeTarget()), suites: [suite], reportDir, label: 'run', out });
    assert.equal(code, 0, text);
    const results = JSON.parse(fs.readFileSync(path.join(reportDir, 'results.json'), 'utf8'));
    assert.equal(results.kernel.release, os.release());
    assert.deepEqual(results.kernel.features, { mmap: 'unknown', dmabuf: 'unknown' });
    assert.deepEqual(results.totals, { passed: 1, failed: 0, skipped: 0, errors: 0 });
    for (const f of ['junit.xml', 'results.ktap']) assert.ok(fs.existsSync(path.join(reportDir, f)), f);
    assert.match(text, /mmap zero-copy unknown \(not probed: no ffs-features probe/);
  });

  it('waivers: a waived failure leaves the run passing and says so; an expired waiver fails a run that would pass', async () => {
    const tc = JSON.stringify(path.join(SRC, 'suite-runner/test-case.js'));
    const suite = suiteFile('waived', `const { testCase } = require(${tc});
    describe('waived', function () {
      testCase('passes', 'passes', function () {});
      testCase('known-bug', 'a known bug', function () { throw Object.assign(new Error('still broken'), { code: 'ERR_ASSERTION' }); });
    });`);
    const today = new Date().toISOString().slice(0, 10);
    const later = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const run = async (waivers: { id: string; reason: string; expires: string }[], dir: string) => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (d: Buffer) => (text += d.toString()));
      const reportDir = path.join(tmp, dir);
      const code = await runOnTarget({ target: targetOf(labLikeTarget()), suites: [suite], reportDir, label: 'run', out, waivers });
      return { code, text, results: JSON.parse(fs.readFileSync(path.join(reportDir, 'results.json'), 'utf8')) as RunResults };
    };
    const none = await run([], 'report-unwaived');
    assert.equal(none.code, 1, none.text);
    const ok = await run([{ id: 'waived.known-bug', reason: 'tracked in bug 42', expires: later }], 'report-waived');
    assert.equal(ok.code, 0, ok.text);
    assert.deepEqual(ok.results.totals, { passed: 1, failed: 1, skipped: 0, errors: 0, waived: 1 });
    assert.deepEqual(ok.results.tests[1]!.waiver, { reason: 'tracked in bug 42', expires: later });
    assert.match(ok.text, /✗ a known bug: still broken \(waived until .*: tracked in bug 42\)/);
    assert.match(ok.text, /run: 1 passed, 1 failed \(1 waived\), 0 skipped/);
    assert.deepEqual(resultsSchemaErrors(ok.results), []);
    const expired = await run([{ id: 'waived.known-bug', reason: 'tracked in bug 42', expires: later }, { id: 'waived.passes', reason: 'was flaky', expires: today }], 'report-expired');
    assert.equal(expired.code, 1, expired.text);
    assert.deepEqual(expired.results.waivers?.expired.map((w) => w.id), ['waived.passes']);
    assert.match(expired.text, /run: waiver for waived\.passes expired on \d{4}-\d{2}-\d{2} \(was flaky\): it waives nothing and fails the run; renew or remove it/);
  });

  it('gadget that never enumerates: the host gives up after the timeout, exit 3, and no agent is left running', async () => {
    const suite = suiteFile('never', `describe('never enumerates', function () {
      let h;
      before(async function () {
        h = await labContext().startAgent();
        await waitForUsbDevice({ vendorId: 0x1d6b, productId: 0xfffe, serial: 'ffs-lab-never' }, labContext().usb.enumerateTimeoutMs);
      });
      after(async function () { if (h) await h.close(); });
      it('moves data', function () {});
    });`);
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const reportDir = path.join(tmp, 'report-never');
    const t0 = Date.now();
    const code = await runOnTarget({ target: targetOf(labLikeTarget()), suites: [suite], reportDir, label: 'run', out });
    assert.equal(code, 3, text);
    assert.ok(Date.now() - t0 < 30_000);
    assert.match(text, /run: infrastructure: USB device 1d6b:fffe serial ffs-lab-never did not enumerate within 300 ms: it never appeared/);
    const results = JSON.parse(fs.readFileSync(path.join(reportDir, 'results.json'), 'utf8'));
    assert.equal(results.tests[0].status, 'error');
    // The agent (and so its gadget, which it tears down on shutdown and on stdin EOF) is gone.
    // Its exit is reaped a moment after the run returns on a loaded machine: allow 5 s, not a hang.
    const agentsLeft = () => descendants(1).filter((p) => fs.existsSync(`/proc/${p.pid}/cmdline`) && fs.readFileSync(`/proc/${p.pid}/cmdline`, 'latin1').includes('ffs-lab-agent.js'));
    for (let i = 0; i < 50 && agentsLeft().length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(agentsLeft(), []);
  });
});
