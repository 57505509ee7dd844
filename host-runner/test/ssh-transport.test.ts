import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import { SshTransport, type SshTargetOptions } from '../src/transport/ssh-transport';
import { HOSTILE_ARGS } from './hostile-args';
import { alive, freePort, startBlackholeProxy, startSshd, type Sshd } from './sshd-fixture';

/** Reject if `p` takes longer than `ms`: no test waits unbounded. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms))),
  ]);
}

/** The first line a stream produces (bounded). */
function firstLine(stream: Readable, ms = 10_000): Promise<string> {
  return within(
    new Promise<string>((resolve, reject) => {
      let buf = '';
      const onData = (d: Buffer) => {
        buf += d.toString('utf8');
        const nl = buf.indexOf('\n');
        if (nl >= 0) {
          stream.off('data', onData);
          resolve(buf.slice(0, nl));
        }
      };
      stream.on('data', onData);
      stream.once('end', () => reject(new Error(`stream ended before a line: ${JSON.stringify(buf)}`)));
    }),
    ms,
    'first line',
  );
}

/** Assert a promise rejects with an exit-3 LabError whose one-line message matches every pattern. */
async function rejectsInfra(p: Promise<unknown>, ...patterns: (string | RegExp)[]): Promise<LabError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof LabError, `expected a LabError, got ${String(caught)}`);
  assert.equal(caught.exitCode, ExitCode.Infrastructure, caught.message);
  assert.ok(!caught.message.includes('\n'), `one line: ${caught.message}`);
  for (const pat of patterns) {
    if (typeof pat === 'string') assert.ok(caught.message.includes(pat), `message lacks ${JSON.stringify(pat)}: ${caught.message}`);
    else assert.match(caught.message, pat);
  }
  return caught;
}

/**
 * Which of these pids still run on the remote side, asked over a second exec with `kill -0`.
 * Zombies count as gone: an orphan's exit is reaped by the remote init, which in a container
 * may take its time.
 */
async function remoteSurvivors(t: SshTransport, pids: number[]): Promise<string> {
  const script = 'for p; do kill -0 "$p" 2>/dev/null && ! grep -q "^[0-9]* (.*) Z" "/proc/$p/stat" 2>/dev/null && echo "alive $p"; done; true';
  return (await t.exec(['sh', '-c', script, 'sh', ...pids.map(String)])).stdout;
}

describe('SshTransport against a real OpenSSH server', () => {
  let sshd: Sshd;
  let knownHostsPath: string;
  const transports: SshTransport[] = [];
  /** Remote (= local) pids a test started; killed at the end whatever happened. */
  const leftovers = new Set<number>();

  before(async () => {
    sshd = await startSshd();
    knownHostsPath = sshd.knownHosts('known_hosts', `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
  });

  after(async () => {
    await Promise.allSettled(transports.map((t) => within(t.close(), 15_000, 'close')));
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await sshd?.stop();
  });

  /** A transport with test defaults; closed in after() even if the test fails. */
  function make(overrides: Partial<SshTargetOptions> = {}): SshTransport {
    const t = new SshTransport({
      host: '127.0.0.1',
      port: sshd.port,
      username: 'root',
      privateKeyPath: sshd.clientKey,
      knownHostsPath,
      connectTimeoutMs: 10_000,
      keepaliveIntervalMs: 1_000,
      killGraceMs: 500,
      environment: {},
      ...overrides,
    });
    transports.push(t);
    return t;
  }

  async function connected(overrides: Partial<SshTargetOptions> = {}): Promise<SshTransport> {
    const t = make(overrides);
    await within(t.connect(), 15_000, 'connect');
    return t;
  }

  it('runs a command and returns its output and exit code', async () => {
    const t = await connected();
    assert.equal(t.description, `ssh://root@127.0.0.1:${sshd.port}`);
    const r = await t.exec(['echo', 'hello']);
    assert.deepEqual(r, { code: 0, signal: null, stdout: 'hello\n', stderr: '' });
    const e = await t.exec(['sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.deepEqual(e, { code: 7, signal: null, stdout: 'out\n', stderr: 'err\n' });
    assert.equal((await t.exec(['/nonexistent/program'])).code, 127);
  });

  it('delivers hostile argv elements byte-exact', async () => {
    const t = await connected();
    const r = await t.exec(['printf', '%s\\0', ...HOSTILE_ARGS]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), HOSTILE_ARGS);
    const j = await t.exec([process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', '--', ...HOSTILE_ARGS]);
    assert.deepEqual(JSON.parse(j.stdout), HOSTILE_ARGS);
  });

  it('passes environment variables exactly', async () => {
    const t = await connected();
    const env = Object.fromEntries(HOSTILE_ARGS.map((v, i) => [`FFS_V${i}`, v]));
    const r = await t.exec([process.execPath, '-e', 'process.stdout.write(JSON.stringify(Object.entries(process.env).filter(([k]) => k.startsWith("FFS_V"))))'], { env });
    assert.deepEqual(Object.fromEntries(JSON.parse(r.stdout) as [string, string][]), env);
  });

  it('rejects NUL bytes and bad env names as usage errors', async () => {
    const t = await connected();
    await assert.rejects(t.exec(['echo', 'a\0b']), (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Usage);
    await assert.rejects(t.exec(['echo'], { env: { 'X-Y': '1' } }), (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Usage);
  });

  it('reports a death by signal', async () => {
    const t = await connected();
    const r = await t.exec(['sh', '-c', 'kill -s USR1 $$']);
    assert.equal(r.code, null);
    assert.equal(r.signal, 'SIGUSR1');
  });

  it('pipes stdin (exec input and a streamed spawn)', async () => {
    const t = await connected();
    const data = 'x'.repeat(1 << 20) + '\nend\n';
    const r = await t.exec(['sha256sum'], { input: data });
    assert.equal(r.stdout.split(' ')[0], createHash('sha256').update(data).digest('hex'));
    const cat = await t.spawn(['cat']);
    let out = '';
    cat.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    cat.stdin.write('line 1\n');
    cat.stdin.end('line 2\n');
    assert.deepEqual(await within(cat.exited, 10_000, 'cat exit'), { code: 0, signal: null });
    assert.equal(out, 'line 1\nline 2\n');
  });

  it('accepts a hashed known_hosts entry', async () => {
    const { spawnSync } = await import('node:child_process');
    const path = sshd.knownHosts('known_hosts_hashed', `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
    assert.equal(spawnSync('ssh-keygen', ['-H', '-f', path], { timeout: 10_000 }).status, 0);
    const t = await connected({ knownHostsPath: path });
    assert.equal((await t.exec(['true'])).code, 0);
  });

  it('refuses a mismatched host key, naming both fingerprints', async () => {
    const path = sshd.knownHosts('known_hosts_wrong', `[127.0.0.1]:${sshd.port} ${sshd.otherHostKeyLine}\n`);
    await rejectsInfra(within(make({ knownHostsPath: path }).connect(), 15_000, 'connect'), 'MISMATCH', sshd.otherHostFingerprint, sshd.hostFingerprint);
  });

  it('refuses an unknown host, saying how to add or pin it', async () => {
    // A plain entry does not cover a non-22 port (OpenSSH semantics): the host counts as unknown.
    const path = sshd.knownHosts('known_hosts_plain', `127.0.0.1 ${sshd.hostKeyLine}\n`);
    const err = await rejectsInfra(within(make({ knownHostsPath: path }).connect(), 15_000, 'connect'), 'unknown', sshd.hostFingerprint);
    assert.match(err.hint ?? '', /ssh-keyscan/);
    assert.match(err.hint ?? '', /hostKeyFingerprint/);
    await rejectsInfra(make({ knownHostsPath: `${sshd.dir}/does-not-exist` }).connect(), 'does not exist');
  });

  it('accepts an unknown host only with acceptUnknownHostKey, never a mismatch', async () => {
    const t = await connected({ knownHostsPath: `${sshd.dir}/does-not-exist`, acceptUnknownHostKey: true });
    assert.equal((await t.exec(['true'])).code, 0);
    const wrong = sshd.knownHosts('known_hosts_wrong2', `[127.0.0.1]:${sshd.port} ${sshd.otherHostKeyLine}\n`);
    await rejectsInfra(make({ knownHostsPath: wrong, acceptUnknownHostKey: true }).connect(), 'MISMATCH');
  });

  it('accepts the pinned fingerprint and refuses another', async () => {
    const nowhere = `${sshd.dir}/does-not-exist`;
    const t = await connected({ knownHostsPath: nowhere, hostKeyFingerprint: sshd.hostFingerprint });
    assert.equal((await t.exec(['true'])).code, 0);
    await rejectsInfra(make({ hostKeyFingerprint: sshd.otherHostFingerprint }).connect(), sshd.otherHostFingerprint, sshd.hostFingerprint);
    await assert.rejects(make({ hostKeyFingerprint: 'MD5:aa:bb' }).connect(), (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Usage);
  });

  it('reports failed authentication with the methods tried, never the secret', async () => {
    const secret = 'hunter2-very-secret';
    const err = await rejectsInfra(
      within(make({ privateKeyPath: sshd.strangerKey, passwordEnv: 'FFS_TEST_PW', environment: { FFS_TEST_PW: secret } }).connect(), 15_000, 'connect'),
      'authentication',
      sshd.strangerKey,
      'FFS_TEST_PW',
    );
    assert.ok(!err.message.includes(secret) && !(err.hint ?? '').includes(secret));
  });

  it('uses an encrypted key with the passphrase from the named variable', async () => {
    const t = await connected({ privateKeyPath: sshd.encryptedClientKey, passphraseEnv: 'FFS_TEST_PASS', environment: { FFS_TEST_PASS: sshd.keyPassphrase } });
    assert.equal((await t.exec(['true'])).code, 0);
    const usage = (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Usage && !e.message.includes(sshd.keyPassphrase);
    await assert.rejects(make({ privateKeyPath: sshd.encryptedClientKey }).connect(), usage);
    await assert.rejects(make({ privateKeyPath: sshd.encryptedClientKey, passphraseEnv: 'FFS_UNSET' }).connect(), (e: unknown) => usage(e) && (e as Error).message.includes('FFS_UNSET'));
    await assert.rejects(make({ privateKeyPath: sshd.encryptedClientKey, passphraseEnv: 'P', environment: { P: 'wrong' } }).connect(), usage);
  });

  it('reports a closed port as unreachable, quickly', async () => {
    const port = await freePort();
    const started = Date.now();
    await rejectsInfra(within(make({ port }).connect(), 5_000, 'connect'), `127.0.0.1:${port}`, 'refused');
    assert.ok(Date.now() - started < 3_000);
  });

  it('kill() really terminates the remote process and its children', async () => {
    const t = await connected();
    const p = await t.spawn(['sh', '-c', 'sleep 300 & echo $$ $!; wait']);
    const [shPid, sleepPid] = (await firstLine(p.stdout)).split(' ').map(Number);
    leftovers.add(shPid).add(sleepPid);
    assert.equal(await within(p.pid, 5_000, 'pid'), shPid, 'the pid marker names the program itself');
    p.kill();
    p.kill(); // safe twice
    const exit = await within(p.exited, 10_000, 'exit after kill');
    assert.equal(exit.signal, 'SIGTERM');
    assert.equal(await remoteSurvivors(t, [shPid, sleepPid]), '', 'no remote process survived');
  });

  it('kill() escalates to KILL when TERM is ignored, also with stdin closed', async () => {
    const t = await connected();
    const p = await t.spawn(['sh', '-c', 'trap "" TERM; echo $$; while :; do sleep 1; done']);
    const pid = Number(await firstLine(p.stdout));
    leftovers.add(pid);
    p.stdin.end(); // after EOF ssh2 sends no more signal requests: the kill over a second channel must do it
    p.kill('TERM');
    const exit = await within(p.exited, 10_000, 'exit after kill');
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(await remoteSurvivors(t, [pid]), '');
  });

  it('exec timeout kills the program and rejects with a clear error', async () => {
    const t = await connected();
    const pidFile = `${sshd.dir}/timeout.pid`;
    const started = Date.now();
    await rejectsInfra(t.exec(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 300`], { timeoutMs: 700 }), "'sh' did not finish within 0.7 s", 'killed');
    assert.ok(Date.now() - started < 6_000);
    const { readFileSync } = await import('node:fs');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    leftovers.add(pid);
    assert.ok(!alive(pid), `remote pid ${pid} still alive`);
  });

  it('close() kills what still runs', async () => {
    const t = await connected();
    const p = await t.spawn(['sleep', '300']);
    const pid = (await within(p.pid, 5_000, 'pid'))!;
    leftovers.add(pid);
    assert.ok(alive(pid));
    await within(t.close(), 15_000, 'close');
    await within(p.exited, 5_000, 'exit');
    assert.ok(!alive(pid));
    await t.close(); // safe twice
    await rejectsInfra(t.exec(['true']), 'not connected');
  });

  it('resolves exited with CONNECTION_LOST when the serving sshd dies', async () => {
    const t = await connected();
    const p = await t.spawn(['sleep', '300']);
    leftovers.add((await within(p.pid, 5_000, 'pid'))!);
    assert.ok(sshd.killConnections() > 0, 'found sshd connection processes');
    assert.deepEqual(await within(p.exited, 10_000, 'exited after drop'), { code: null, signal: 'CONNECTION_LOST' });
    await rejectsInfra(t.exec(['true']), 'lost');
    await t.close();
  });

  it('detects a silent drop with keepalives', async () => {
    const proxy = await startBlackholeProxy(sshd.port);
    try {
      const kh = sshd.knownHosts('known_hosts_proxy', `[127.0.0.1]:${proxy.port} ${sshd.hostKeyLine}\n`);
      const t = await connected({ port: proxy.port, knownHostsPath: kh, keepaliveIntervalMs: 300, keepaliveCountMax: 2 });
      const p = await t.spawn(['sleep', '300']);
      leftovers.add((await within(p.pid, 5_000, 'pid'))!);
      proxy.freeze();
      const started = Date.now();
      assert.deepEqual(await within(p.exited, 10_000, 'exited after silent drop'), { code: null, signal: 'CONNECTION_LOST' });
      assert.ok(Date.now() - started < 5_000);
      await rejectsInfra(t.exec(['true']), 'lost', 'Keepalive');
    } finally {
      await proxy.stop();
    }
  });
});
