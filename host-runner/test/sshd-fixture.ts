/**
 * Test fixture: a throwaway OpenSSH server on 127.0.0.1 with fresh keys in a temp dir.
 * Not a test file itself; ssh-transport.test.ts uses it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SSHD = '/usr/sbin/sshd';

/** A running sshd and the files around it. */
export interface Sshd {
  dir: string;
  port: number;
  /** The server's host public key line (`ssh-ed25519 AAAA...`). */
  hostKeyLine: string;
  /** Its fingerprint as `ssh-keygen -lf` prints it. */
  hostFingerprint: string;
  /** Authorized client key (unencrypted). */
  clientKey: string;
  /** Authorized client key encrypted with {@link keyPassphrase}. */
  encryptedClientKey: string;
  keyPassphrase: string;
  /** A key that is not authorized. */
  strangerKey: string;
  /** Another host key (public line) that this server does not have. */
  otherHostKeyLine: string;
  otherHostFingerprint: string;
  /** sshd's stderr so far, for failure messages. */
  log(): string;
  /** Write a known_hosts file in the temp dir and return its path. */
  knownHosts(name: string, text: string): string;
  /** SIGKILL the sshd processes serving existing connections (not the listener): a dropped connection. */
  killConnections(): number;
  /** Stop everything and remove the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

function keygen(path: string, passphrase = ''): string {
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'ffs-lab-test', '-f', path]);
  return path;
}

function fingerprintOf(pubPath: string): string {
  const fp = run('ssh-keygen', ['-lf', pubPath]).split(' ')[1];
  if (!fp?.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen -lf output for ${pubPath}`);
  return fp;
}

/** A free TCP port on 127.0.0.1 (closed again; there is a small race, acceptable in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Wait until something on the port sends an SSH banner. */
async function waitForBanner(port: number, child: ChildProcess, deadlineMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sshd exited at start:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s: Socket = connect(port, '127.0.0.1');
      const t = setTimeout(() => (s.destroy(), resolve(false)), 1_000);
      s.once('data', (d) => (clearTimeout(t), s.destroy(), resolve(d.toString('latin1').startsWith('SSH-'))));
      s.once('error', () => (clearTimeout(t), resolve(false)));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not answer on 127.0.0.1:${port} within ${deadlineMs} ms:\n${log()}`);
}

/** pids of all descendants of `root`, from /proc. */
export function descendants(root: number): { pid: number; comm: string }[] {
  const children = new Map<number, { pid: number; comm: string }[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push({ pid: Number(name), comm });
    children.set(ppid, list);
  }
  const out: { pid: number; comm: string }[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c.pid);
    }
  };
  walk(root);
  return out;
}

/** Is a local pid alive (zombies count as gone)? */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Options of {@link startSshd}. */
export interface SshdOptions {
  /** Offer password authentication (root's is refused by PermitRootLogin prohibit-password: a wrong password, always). */
  passwordAuth?: boolean;
  /** Listen on this port (a board whose sshd comes up late, on a port chosen before). Default: a free one. */
  port?: number;
  /** Public key files authorized besides the fixture's own client keys (another fixture's `clientKey + '.pub'`). */
  authorize?: readonly string[];
  /** More sshd_config lines (e.g. `PermitOpen`, for a jump host). */
  extraConfig?: readonly string[];
}

/** Start sshd. Throws (so the test fails, not skips) when OpenSSH is not installed. */
export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  if (!existsSync(SSHD)) {
    throw new Error(`${SSHD} is missing: install openssh-server (apt-get install openssh-server) to run the SSH transport tests`);
  }
  mkdirSync('/run/sshd', { recursive: true }); // privilege separation directory sshd insists on
  const dir = mkdtempSync(join(tmpdir(), 'ffs-lab-sshd-'));
  let child: ChildProcess | undefined;
  let stderr = '';
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const pid = child.pid!;
      for (const d of descendants(pid)) killQuietly(d.pid);
      killQuietly(pid);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 5_000);
        child!.once('exit', () => (clearTimeout(t), resolve()));
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const hostKey = keygen(join(dir, 'host_ed25519'));
    const otherHostKey = keygen(join(dir, 'other_host_ed25519'));
    const clientKey = keygen(join(dir, 'client_ed25519'));
    const keyPassphrase = 'correct horse battery staple';
    const encryptedClientKey = keygen(join(dir, 'client_encrypted'), keyPassphrase);
    const strangerKey = keygen(join(dir, 'stranger_ed25519'));
    const authorized = [`${clientKey}.pub`, `${encryptedClientKey}.pub`, ...(opts.authorize ?? [])];
    writeFileSync(join(dir, 'authorized_keys'), authorized.map((f) => readFileSync(f, 'utf8')).join(''));
    const port = opts.port ?? (await freePort());
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        `PasswordAuthentication ${opts.passwordAuth ? 'yes' : 'no'}`,
        'KbdInteractiveAuthentication no',
        // deploy uploads with SFTP, as to a board.
        'Subsystem sftp /usr/lib/openssh/sftp-server',
        'UsePAM no',
        'StrictModes no',
        'LogLevel INFO',
        'MaxStartups 50',
        ...(opts.extraConfig ?? []),
        '',
      ].join('\n'),
    );
    child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitForBanner(port, child, 10_000, () => stderr);
    const line = (p: string) => readFileSync(p, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const root = child.pid!;
    return {
      dir,
      port,
      hostKeyLine: line(`${hostKey}.pub`),
      hostFingerprint: fingerprintOf(`${hostKey}.pub`),
      clientKey,
      encryptedClientKey,
      keyPassphrase,
      strangerKey,
      otherHostKeyLine: line(`${otherHostKey}.pub`),
      otherHostFingerprint: fingerprintOf(`${otherHostKey}.pub`),
      log: () => stderr,
      knownHosts: (name, text) => {
        const p = join(dir, name);
        writeFileSync(p, text);
        return p;
      },
      killConnections: () => {
        const victims = descendants(root).filter((d) => d.comm.startsWith('sshd'));
        for (const v of victims) killQuietly(v.pid, 'SIGKILL');
        return victims.length;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

/** A TCP relay that can stop forwarding without closing (a pulled cable, as far as TCP can tell). */
export async function startBlackholeProxy(targetPort: number): Promise<{ port: number; freeze(): void; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let frozen = false;
  const server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    for (const [a, b] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      sockets.add(a);
      a.on('data', (d) => {
        if (!frozen) b.write(d);
      });
      a.on('error', () => {});
      a.on('close', () => b.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (typeof addr !== 'object' || !addr) throw new Error('proxy has no port');
  return {
    port: addr.port,
    freeze: () => (frozen = true),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
