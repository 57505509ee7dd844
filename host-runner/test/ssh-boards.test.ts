/**
 * Reaching boards as a hardware lab does, against real OpenSSH servers on the loopback: an
 * ssh-agent, ~/.ssh/config with a two-hop ProxyJump, a board whose sshd comes up late, a
 * changed host key, accept-new. No mock transport: every case is a real login.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import { selectTarget, type TargetSelection } from '../src/config/target-selection';
import { targetOf } from '../src/run/target';
import { SshTransport } from '../src/transport/ssh-transport';
import { waitForSsh } from '../src/transport/ssh-wait';
import { freePort, startSshd, type Sshd } from './sshd-fixture';

const REPO = path.resolve(__dirname, '..', '..', '..');

/** Reject if `p` takes longer than `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The LabError `p` rejects with (fails when it resolves or throws something else). */
async function labErrorOf(p: Promise<unknown>): Promise<LabError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LabError, `expected a LabError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

describe('boards over SSH as a lab reaches them (real sshd, ssh-agent, jump hosts)', () => {
  let board: Sshd;
  let dir: string;
  const extra: Sshd[] = [];
  let agent: ChildProcess | undefined;
  let agentSock: string;
  /** known_hosts with the board's key. */
  let kh: string;

  before(async () => {
    board = await startSshd();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-boards-'));
    kh = path.join(dir, 'known_hosts');
    fs.writeFileSync(kh, `[127.0.0.1]:${board.port} ${board.hostKeyLine}\n`);
  });

  after(async () => {
    agent?.kill('SIGKILL');
    await Promise.allSettled([board?.stop(), ...extra.map((s) => s.stop())]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** An SSH config file of this test. */
  function writeConfig(text: string): string {
    const p = path.join(dir, `ssh_config.${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(p, text);
    return p;
  }

  /** selectTarget with this test's SSH config file (never the machine's ~/.ssh/config). */
  function target(sel: TargetSelection & { sshConfigText?: string }) {
    const { sshConfigText, ...rest } = sel;
    return targetOf(selectTarget({ env: {}, cwd: dir, sshConfig: writeConfig(sshConfigText ?? ''), warn: () => {}, ...rest }));
  }

  async function whoami(t: ReturnType<typeof target>): Promise<string> {
    const tr = t.makeTransport();
    try {
      await within(tr.connect(), 20_000, 'connect');
      return (await tr.exec(['id', '-un'])).stdout.trim();
    } finally {
      await tr.close();
    }
  }

  it('logs in with a key held only by an ssh-agent (SSH_AUTH_SOCK), and not without it', async () => {
    agentSock = path.join(dir, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !fs.existsSync(agentSock); i++) await new Promise((r) => setTimeout(r, 50));
    const add = spawnSync('ssh-add', [board.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: agentSock }, encoding: 'utf8' });
    assert.equal(add.status, 0, add.stderr);
    // The SSH config names a key file that does not exist: the agent is the only way in.
    const sshConfigText = `Host *\n  IdentityFile ${dir}/no-such-key\n  UserKnownHostsFile ${kh}\n`;
    const url = `ssh://root@127.0.0.1:${board.port}`;
    assert.equal(await whoami(target({ target: url, env: { SSH_AUTH_SOCK: agentSock }, sshConfigText })), 'root');
    const noAgent = await labErrorOf(whoami(target({ target: url, env: {}, sshConfigText })));
    assert.equal(noAgent.exitCode, ExitCode.Usage);
    assert.match(noAgent.message, /no SSH authentication method/);
    // IdentitiesOnly, as in ssh: only the agent's keys that are also key files of the host are offered.
    const refused = await labErrorOf(whoami(target({ target: url, env: { SSH_AUTH_SOCK: agentSock }, sshConfigText: `${sshConfigText}  IdentitiesOnly yes\n` })));
    assert.equal(refused.exitCode, ExitCode.Infrastructure);
    assert.match(refused.message, /SSH authentication as root on .* failed \(tried: publickey \(ssh-agent .*, only its keys of 0 key files: IdentitiesOnly\)\)/);
    // The usual case: an encrypted key, unlocked once into the agent, named by IdentityFile.
    const askpass = path.join(dir, 'askpass.sh');
    fs.writeFileSync(askpass, `#!/bin/sh\necho '${board.keyPassphrase}'\n`, { mode: 0o700 });
    const addEncrypted = spawnSync('ssh-add', [board.encryptedClientKey], { env: { ...process.env, SSH_AUTH_SOCK: agentSock, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(addEncrypted.status, 0, addEncrypted.stderr);
    const onlyEncrypted = `Host *\n  IdentityFile ${board.encryptedClientKey}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${kh}\n`;
    assert.equal(await whoami(target({ target: url, env: { SSH_AUTH_SOCK: agentSock }, sshConfigText: onlyEncrypted })), 'root');
    // The same without the agent: the encrypted file alone cannot log in (no passphrase given).
    const noPass = await labErrorOf(whoami(target({ target: url, env: {}, sshConfigText: onlyEncrypted })));
    assert.match(noPass.message, /no SSH authentication method .*skipped: encrypted/);
  });

  it('every known_hosts file counts: a key listed in another file is known, a different one there is a changed key even for accept-new', async () => {
    const empty = path.join(dir, 'primary_empty');
    fs.writeFileSync(empty, '');
    const other = path.join(dir, 'other_known_hosts');
    const make = (extra: string) => new SshTransport({ host: '127.0.0.1', port: board.port, username: 'root', privateKeyPath: board.clientKey, knownHostsPath: empty, extraKnownHostsPaths: [extra], acceptNewHostKey: true, environment: {}, log: () => {} });
    fs.writeFileSync(other, `[127.0.0.1]:${board.port} ${board.hostKeyLine}\n`);
    const t = make(other);
    await within(t.connect(), 20_000, 'connect');
    await t.close();
    assert.equal(fs.readFileSync(empty, 'utf8'), '', 'known from the other file: nothing recorded');
    fs.writeFileSync(other, `[127.0.0.1]:${board.port} ${board.otherHostKeyLine}\n`);
    const e = await labErrorOf(within(make(other).connect(), 20_000, 'connect'));
    assert.match(e.message, new RegExp(`^HOST KEY MISMATCH for 127\\.0\\.0\\.1:${board.port}: ${other.replace(/[.]/g, '\\.')} line 1 expects`));
    assert.equal(fs.readFileSync(empty, 'utf8'), '', 'a changed key is never recorded');
  });

  it('reaches a board through two jump hosts named in ~/.ssh/config, each host key verified', async () => {
    const pub = `${board.clientKey}.pub`;
    // Each jump host may forward only to the next hop: the login can only have taken the chain.
    const j2 = await startSshd({ authorize: [pub], extraConfig: ['AllowTcpForwarding yes', `PermitOpen 127.0.0.1:${board.port}`] });
    extra.push(j2);
    const j1 = await startSshd({ authorize: [pub], extraConfig: ['AllowTcpForwarding yes', `PermitOpen 127.0.0.1:${j2.port}`] });
    extra.push(j1);
    const chainKh = path.join(dir, 'chain_known_hosts');
    fs.writeFileSync(chainKh, [`[127.0.0.1]:${board.port} ${board.hostKeyLine}`, `[127.0.0.1]:${j1.port} ${j1.hostKeyLine}`, `[127.0.0.1]:${j2.port} ${j2.hostKeyLine}`, ''].join('\n'));
    const config = (khFile: string) =>
      [
        'Host j1',
        `  HostName 127.0.0.1`,
        `  Port ${j1.port}`,
        'Host j2',
        `  HostName 127.0.0.1`,
        `  Port ${j2.port}`,
        'Host board',
        '  HostName 127.0.0.1',
        `  Port ${board.port}`,
        '  ProxyJump j1,j2',
        'Host *',
        '  User root',
        `  IdentityFile ${board.clientKey}`,
        `  UserKnownHostsFile ${khFile}`,
        '',
      ].join('\n');
    const t = target({ target: 'ssh://board', sshConfigText: config(chainKh) });
    assert.match(t.description, new RegExp(`^ssh://root@127\\.0\\.0\\.1:${board.port} \\(via 127\\.0\\.0\\.1:${j1.port}, 127\\.0\\.0\\.1:${j2.port}\\)$`));
    assert.equal(await whoami(t), 'root');
    for (const [name, s] of [['j1', j1], ['j2', j2]] as const) assert.match(s.log(), /Accepted publickey for root/, `${name} was logged into`);

    // A jump host whose key is not the one known: refused, and the message names the hop.
    const wrongKh = path.join(dir, 'wrong_known_hosts');
    fs.writeFileSync(wrongKh, [`[127.0.0.1]:${board.port} ${board.hostKeyLine}`, `[127.0.0.1]:${j1.port} ${j1.hostKeyLine}`, `[127.0.0.1]:${j2.port} ${j1.hostKeyLine}`, ''].join('\n'));
    const e = await labErrorOf(whoami(target({ target: 'ssh://board', sshConfigText: config(wrongKh) })));
    assert.equal(e.exitCode, ExitCode.Infrastructure);
    assert.match(e.message, new RegExp(`HOST KEY MISMATCH for 127\\.0\\.0\\.1:${j2.port}.*\\[jump host 2 of 2\\]$`));

    // Unknown jump hosts with --accept-new-host-key: accepted and recorded, hop by hop.
    const newKh = path.join(dir, 'new_known_hosts');
    fs.writeFileSync(newKh, `[127.0.0.1]:${board.port} ${board.hostKeyLine}\n`);
    assert.equal(await whoami(target({ target: 'ssh://board', sshConfigText: config(newKh), acceptNewHostKey: true })), 'root');
    const recorded = fs.readFileSync(newKh, 'utf8');
    assert.ok(recorded.includes(`[127.0.0.1]:${j1.port} ${j1.hostKeyLine}`) && recorded.includes(`[127.0.0.1]:${j2.port} ${j2.hostKeyLine}`), recorded);
  });

  it('--wait-for-ssh: waits for a board whose sshd starts late, with progress', async () => {
    const port = await freePort();
    const lateKh = path.join(dir, 'late_known_hosts');
    fs.writeFileSync(lateKh, '');
    const make = () => new SshTransport({ host: '127.0.0.1', port, username: 'root', privateKeyPath: board.clientKey, knownHostsPath: lateKh, acceptNewHostKey: true, connectTimeoutMs: 5_000, environment: {}, log: () => {} });
    const said: string[] = [];
    const started = Date.now();
    const late = new Promise<Sshd>((resolve, reject) => setTimeout(() => startSshd({ port, authorize: [`${board.clientKey}.pub`] }).then(resolve, reject), 2_500));
    try {
      await within(waitForSsh(make, { deadlineMs: 30_000, say: (l) => said.push(l), firstPauseMs: 200, maxPauseMs: 1_000 }), 40_000, 'wait');
    } finally {
      extra.push(await late);
    }
    assert.ok(Date.now() - started >= 2_000, 'it did wait');
    assert.match(said[0]!, new RegExp(`^waiting for SSH on ssh://root@127\\.0\\.0\\.1:${port}: cannot reach 127\\.0\\.0\\.1:${port}: connection refused \\(ECONNREFUSED\\) \\(0 s of 30 s, attempt 1\\)$`));
    assert.match(said[said.length - 1]!, /^SSH on .* is up after \d+ s \(\d+ attempts\)$/);
  });

  it('--wait-for-ssh gives up at its deadline with the last error, exit 3', async () => {
    const port = await freePort();
    const make = () => new SshTransport({ host: '127.0.0.1', port, username: 'root', privateKeyPath: board.clientKey, knownHostsPath: kh, environment: {} });
    const started = Date.now();
    const e = await labErrorOf(within(waitForSsh(make, { deadlineMs: 2_000, say: () => {}, firstPauseMs: 200 }), 20_000, 'wait'));
    assert.ok(Date.now() - started >= 1_500, `gave up after ${Date.now() - started} ms`);
    assert.equal(e.exitCode, ExitCode.Infrastructure);
    assert.match(e.message, new RegExp(`^no SSH login on ssh://root@127\\.0\\.0\\.1:${port} within 2 s \\(\\d+ attempts\\); last error: cannot reach .*connection refused`));
  });

  it('a changed host key is never retried and never accepted, not even with accept-new', async () => {
    const changedKh = path.join(dir, 'changed_known_hosts');
    fs.writeFileSync(changedKh, `[127.0.0.1]:${board.port} ${board.otherHostKeyLine}\n`);
    let attempts = 0;
    const make = () => {
      attempts++;
      return new SshTransport({ host: '127.0.0.1', port: board.port, username: 'root', privateKeyPath: board.clientKey, knownHostsPath: changedKh, acceptNewHostKey: true, environment: {}, log: () => {} });
    };
    const started = Date.now();
    const e = await labErrorOf(within(waitForSsh(make, { deadlineMs: 30_000, say: () => {} }), 20_000, 'wait'));
    assert.equal(attempts, 1);
    assert.ok(Date.now() - started < 10_000);
    assert.match(e.message, /^HOST KEY MISMATCH for 127\.0\.0\.1:\d+/);
    assert.equal(fs.readFileSync(changedKh, 'utf8'), `[127.0.0.1]:${board.port} ${board.otherHostKeyLine}\n`, 'known_hosts untouched');
  });

  it('accept-new records a new host, then refuses the same address with another key', async () => {
    const port = await freePort();
    const first = await startSshd({ port, authorize: [`${board.clientKey}.pub`] });
    const newKh = path.join(dir, 'accept_new_known_hosts');
    const notices: string[] = [];
    const make = () => new SshTransport({ host: '127.0.0.1', port, username: 'root', privateKeyPath: board.clientKey, knownHostsPath: newKh, acceptNewHostKey: true, environment: {}, log: (l) => notices.push(l) });
    try {
      const t = make();
      await within(t.connect(), 20_000, 'connect');
      await t.close();
      assert.equal(fs.readFileSync(newKh, 'utf8'), `[127.0.0.1]:${port} ${first.hostKeyLine}\n`);
      const again = make();
      await within(again.connect(), 20_000, 'connect again');
      await again.close();
      assert.equal(fs.readFileSync(newKh, 'utf8').split('\n').length, 2, 'a known host is not added twice');
      assert.deepEqual(notices, [`Warning: Permanently added '[127.0.0.1]:${port}' (ssh-ed25519 ${first.hostFingerprint}) to the list of known hosts (${newKh}).`]);
    } finally {
      await first.stop();
    }
    // The board was reflashed: same address, new key.
    const second = await startSshd({ port, authorize: [`${board.clientKey}.pub`] });
    extra.push(second);
    const e = await labErrorOf(within(make().connect(), 20_000, 'connect'));
    assert.match(e.message, /^HOST KEY MISMATCH/);
  });

  it('the CLI: --wait-for-ssh on a dead address exits 3 with the last error, no stack trace', () => {
    const r = spawnSync(process.execPath, [path.join(REPO, 'bin', 'ffs-lab.js'), 'deploy', '--target', 'ssh://root@127.0.0.1:9', '--identity', board.clientKey, '--known-hosts', kh, '--ssh-config', writeConfig(''), '--wait-for-ssh', '2'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, ExitCode.Infrastructure, r.stderr);
    assert.match(r.stderr, /deploy: waiting for SSH on ssh:\/\/root@127\.0\.0\.1:9: cannot reach 127\.0\.0\.1:9: connection refused/);
    assert.match(r.stderr, /no SSH login on ssh:\/\/root@127\.0\.0\.1:9 within 2 s/);
    assert.ok(!/\n\s+at /.test(r.stderr), r.stderr);
    const bad = spawnSync(process.execPath, [path.join(REPO, 'bin', 'ffs-lab.js'), 'run', '--target', 'ssh://root@127.0.0.1:9', '--wait-for-ssh', 'soon'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(bad.status, ExitCode.Usage, bad.stderr);
    assert.match(bad.stderr, /--wait-for-ssh must be a positive whole number/);
  });

  it('doctor: an unknown host key fails the first check with what to do; past it, each check says what is missing here', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(REPO, 'bin', 'ffs-lab.js'), 'doctor', '--target', `ssh://root@127.0.0.1:${board.port}`, '--identity', board.clientKey, '--ssh-config', writeConfig(''), ...args], { encoding: 'utf8', timeout: 120_000 });
    const empty = path.join(dir, 'doctor_empty_known_hosts');
    fs.writeFileSync(empty, '');
    const unknown = cli('--known-hosts', empty);
    assert.equal(unknown.status, ExitCode.Infrastructure, unknown.stderr);
    assert.match(unknown.stdout, /^ {2}FAIL {2}ssh {10}host key of 127\.0\.0\.1:\d+ is unknown/m);
    assert.match(unknown.stdout, /-> after checking the fingerprint, add it with 'ssh-keyscan .*or accept it on first use with --accept-new-host-key$/m);
    assert.match(unknown.stdout, /^ {2}SKIP {2}root {9}not checked: needs ssh$/m);
    const json = path.join(dir, 'doctor.json');
    const known = cli('--known-hosts', kh, '--json', json);
    assert.equal(known.status, ExitCode.Infrastructure, known.stderr);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as { checks: { name: string; status: string; detail: string; advice?: string }[] };
    const by = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    assert.equal(by.ssh!.status, 'ok');
    assert.equal(by.root!.status, 'ok');
    assert.equal(by.node!.status, 'ok', by.node!.detail);
    // This checkout is not deployed at /opt/ffs-lab on the loopback "board".
    assert.equal(by.agent!.status, 'fail');
    assert.match(`${by.agent!.detail} ${by.agent!.advice ?? ''}`, /agent not found at \/opt\/ffs-lab\/bin\/ffs-lab-agent\.js .*ffs-lab deploy/);
    assert.equal(by['host-usb']!.status, 'skip');
    // A board that never comes up within --wait-for-ssh: the ssh check says so, --json included.
    const deadJson = path.join(dir, 'doctor-dead.json');
    const dead = spawnSync(process.execPath, [path.join(REPO, 'bin', 'ffs-lab.js'), 'doctor', '--target', 'ssh://root@127.0.0.1:9', '--identity', board.clientKey, '--known-hosts', kh, '--ssh-config', writeConfig(''), '--wait-for-ssh', '1', '--json', deadJson], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(dead.status, ExitCode.Infrastructure, dead.stderr);
    assert.match(dead.stdout, /^ {2}FAIL {2}ssh {10}cannot reach 127\.0\.0\.1:9: connection refused/m);
    assert.match(dead.stderr, /doctor: waiting for SSH on ssh:\/\/root@127\.0\.0\.1:9/);
    assert.equal((JSON.parse(fs.readFileSync(deadJson, 'utf8')) as { checks: { status: string }[] }).checks[0]!.status, 'fail');
  });

  it('two targets of one config run in parallel, each into its own report dir, with one table at the end', async () => {
    const second = await startSshd({ authorize: [`${board.clientKey}.pub`] });
    extra.push(second);
    const bothKh = path.join(dir, 'both_known_hosts');
    fs.writeFileSync(bothKh, `[127.0.0.1]:${board.port} ${board.hostKeyLine}\n[127.0.0.1]:${second.port} ${second.hostKeyLine}\n`);
    const agent = JSON.stringify([process.execPath, path.join(REPO, 'bin', 'ffs-lab-agent.js')]);
    const cfg = path.join(dir, 'two-boards.yaml');
    fs.writeFileSync(cfg, ['targets:', ...[['pi-a', board.port], ['pi-b', second.port]].flatMap(([name, port]) => [
      `  ${name}:`,
      `    transport: {type: ssh, host: 127.0.0.1, port: ${port}, user: root, identity: ${board.clientKey}, knownHosts: ${bothKh}}`,
      `    agent: {command: ${agent}}`,
    ]), ''].join('\n'));
    const reports = path.join(dir, 'two-boards');
    const r = spawnSync(process.execPath, [path.join(REPO, 'bin', 'ffs-lab.js'), 'run', '--config', cfg, '--all-targets', '--suite', 'kernel-info', '--report-dir', reports, '--ssh-config', writeConfig('')], { encoding: 'utf8', timeout: 180_000 });
    const summary = JSON.parse(fs.readFileSync(path.join(reports, 'targets.json'), 'utf8')) as { exitCode: number; targets: { target: string; exitCode: number; totals?: { passed: number; failed: number; skipped: number; errors: number } }[] };
    assert.deepEqual(summary.targets.map((t) => t.target), ['pi-a', 'pi-b']);
    // Each run's code follows from its own results, and the whole run's is the worst of them.
    for (const t of summary.targets) assert.equal(t.exitCode, t.totals!.failed + t.totals!.errors > 0 ? ExitCode.TestFailed : ExitCode.Ok, JSON.stringify(t));
    assert.equal(r.status, Math.max(...summary.targets.map((t) => t.exitCode)), r.stdout + r.stderr);
    assert.equal(summary.exitCode, r.status);
    const runs = ['pi-a', 'pi-b'].map((n) => JSON.parse(fs.readFileSync(path.join(reports, n, 'results.json'), 'utf8')) as { startedAt: string; endedAt: string; tests: unknown[]; meta: { target: string } });
    assert.deepEqual(runs.map((x) => x.meta.target), [`ssh://root@127.0.0.1:${board.port}`, `ssh://root@127.0.0.1:${second.port}`], 'each run went to its own board');
    for (const x of runs) assert.ok(x.tests.length > 0);
    const [a, b] = runs.map((x) => [Date.parse(x.startedAt), Date.parse(x.endedAt)] as const);
    assert.ok(a![0] < b![1] && b![0] < a![1], `the runs overlap in time: ${JSON.stringify(runs.map((x) => [x.startedAt, x.endedAt]))}`);
    assert.match(r.stdout, /^\[pi-a\] kernel-info$/m, 'each line carries its target');
    assert.match(r.stdout, /^\[pi-b\] kernel-info$/m);
    assert.match(r.stdout, /^target +result +passed +failed +skipped +time +reports$/m);
    assert.match(r.stdout, new RegExp(`^pi-a .*${reports}/pi-a$`, 'm'));
    assert.match(r.stdout, new RegExp(`^pi-b .*${reports}/pi-b$`, 'm'));
    const noDir = spawnSync(process.execPath, [path.join(REPO, 'bin', 'ffs-lab.js'), 'run', '--config', cfg, '--target', 'pi-a', '--target', 'pi-b'], { encoding: 'utf8' });
    assert.equal(noDir.status, ExitCode.Usage);
    assert.match(noDir.stderr, /several targets need --report-dir DIR/);
    fs.writeFileSync(path.join(reports, 'pi-a', 'notes.txt'), 'mine');
    const foreign = spawnSync(process.execPath, [path.join(REPO, 'bin', 'ffs-lab.js'), 'run', '--config', cfg, '--all-targets', '--report-dir', reports], { encoding: 'utf8' });
    assert.equal(foreign.status, ExitCode.Usage);
    assert.match(foreign.stderr, /pi-a holds files that are not an earlier run's reports \(notes\.txt\)/);
    assert.equal(fs.readFileSync(path.join(reports, 'pi-a', 'notes.txt'), 'utf8'), 'mine', 'never removed');
  });
});
