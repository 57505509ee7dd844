import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { Client, utils as sshUtils, type ClientChannel, type ConnectConfig, type ServerHostKeyAlgorithm, type SFTPWrapper } from 'ssh2';
import { LabError, infraError, usageError } from '@ffs-lab/contract/exit-codes';
import { checkHostKey, fingerprint, fingerprintsEqual, keyTypeOf, knownKeyTypes, parseKnownHosts, type HostKeyCheck, type KnownHostEntry } from './known-hosts';
import { CONNECTION_LOST, collect, settlesWithin, stopWithEscalation } from './process-lifecycle';
import { commandLine } from './shell-quote';
import type { ExecResult, ProcessExit, RemoteProcess, SpawnOptions, Transport } from './transport';

/** Where and how to reach the gadget over SSH. Secrets are never values here, only names of environment variables. */
export interface SshTargetOptions {
  /** Host name or IP address. */
  host: string;
  /** TCP port. Default 22. */
  port?: number;
  /** Remote user. Its login shell must be a POSIX sh (commands are sent as `sh -c` strings). */
  username: string;
  /** OpenSSH or PEM private key file for publickey authentication. Default: none. */
  privateKeyPath?: string;
  /** Name of the environment variable holding the private key's passphrase. Default: none (key not encrypted). */
  passphraseEnv?: string;
  /** Name of the environment variable holding the password (e.g. `FFS_LAB_SSH_PASSWORD`); also answers keyboard-interactive prompts. Default: none. */
  passwordEnv?: string;
  /** OpenSSH known_hosts file to verify the host key against. Default `~/.ssh/known_hosts`. Ignored when {@link hostKeyFingerprint} is set. */
  knownHostsPath?: string;
  /** Pinned host key fingerprint, `SHA256:...` as `ssh-keygen -lf` prints it; replaces known_hosts. */
  hostKeyFingerprint?: string;
  /**
   * Insecure opt-out: accept a host that has no known_hosts entry (nightly labs whose boards are
   * reflashed with new keys). A listed host offering another key is still refused. Default false.
   */
  acceptUnknownHostKey?: boolean;
  /** TCP connect + SSH handshake + authentication must finish within this: ms. Default 20000. */
  connectTimeoutMs?: number;
  /** SSH keepalive interval: ms, 0 = off. Default 5000. */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection counts as lost. Default 3. */
  keepaliveCountMax?: number;
  /** After kill('TERM'), how long to wait before sending KILL: ms. Default 2000. */
  killGraceMs?: number;
  /** Where the `*Env` names are looked up. Default process.env. */
  environment?: NodeJS.ProcessEnv;
}

/** First stdout line of every remote command, before the program replaces the shell. */
const PID_MARKER = 'ffs-lab-pid ';
/** Give up looking for the marker after this many bytes (a server that ignores the prefix). */
const PID_MARKER_SCAN_LIMIT = 64 * 1024;

/** ssh2 host key algorithm names for a known_hosts key type. */
const HOST_KEY_ALGORITHMS: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * {@link Transport} over one SSH connection (npm ssh2), with the host key verified by default.
 *
 * Every program runs as `printf 'ffs-lab-pid %s\n' "$$"; exec env -- K='v' 'argv0' ...`: the
 * first stdout line (stripped before the caller sees stdout) tells the remote pid, which is also
 * the process group, because sshd starts every non-pty session with setsid(). kill() runs
 * `kill -s SIG -- -PGID PID` over a second channel AND sends the SSH `signal` request, because
 * some servers ignore signal requests, ssh2 sends none after stdin EOF, and a signal request
 * reaches only the program, not its children. Each spawn holds one session channel (OpenSSH
 * allows MaxSessions, default 10, per connection; kill needs one more briefly). When the connection
 * itself drops, nothing can reach the remote side: sshd does not signal non-pty sessions, so
 * the program only sees EOF on stdin and EPIPE on output, and must exit on stdin EOF itself
 * (the gadget agent does).
 */
export class SshTransport implements Transport {
  /** `ssh://user@host:port`. */
  readonly description: string;
  private readonly opts: Required<Pick<SshTargetOptions, 'port' | 'connectTimeoutMs' | 'keepaliveIntervalMs' | 'keepaliveCountMax' | 'killGraceMs'>> & SshTargetOptions;
  private client: Client | undefined;
  /** Why the connection ended, once it has. */
  private lostReason: string | undefined;
  private readonly running = new Set<SshProcess>();

  constructor(opts: SshTargetOptions) {
    this.opts = { port: 22, connectTimeoutMs: 20_000, keepaliveIntervalMs: 5_000, keepaliveCountMax: 3, killGraceMs: 2_000, ...opts };
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    this.description = `ssh://${this.opts.username}@${host}:${this.opts.port}`;
  }

  /** Connect and authenticate; LabError exit 2 for bad options, exit 3 for every network, host key or auth failure. */
  async connect(): Promise<void> {
    if (this.client && this.lostReason === undefined) return;
    const { config, methods } = this.buildConfig();
    const verifier = this.makeVerifier();
    config.hostVerifier = (key: Buffer) => verifier.verify(key);
    // Ask the server for a key type we can check, as OpenSSH does; otherwise it may offer one we have no line for.
    if (verifier.preferred.length > 0) config.algorithms = { serverHostKey: { prepend: verifier.preferred, append: [], remove: [] } };

    const client = new Client();
    this.lostReason = undefined;
    await new Promise<void>((resolve, reject) => {
      let ready = false;
      let lastError: (Error & { level?: string; code?: string }) | undefined;
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        lastError = err;
        if (ready) this.lostReason ??= err.message;
      });
      client.on('ready', () => {
        ready = true;
        resolve();
      });
      if (this.opts.passwordEnv !== undefined) {
        const password = config.password;
        client.on('keyboard-interactive', (_name, _instr, _lang, prompts, finish) => finish(prompts.map(() => password ?? '')));
      }
      client.on('close', () => {
        if (ready) {
          this.connectionLost(lastError?.message ?? 'closed by the server');
          return;
        }
        client.removeAllListeners('keyboard-interactive');
        reject(this.connectError(lastError, verifier.verdict, methods));
      });
      try {
        client.connect(config);
      } catch (err) {
        reject(usageError(`bad SSH configuration for ${this.description}: ${(err as Error).message}`));
      }
    });
    this.client = client;
  }

  /** Start a program (see the class comment for the remote command line). Rejects with exit 2 for bad argv/env, 3 when not connected. */
  async spawn(argv: readonly string[], opts: SpawnOptions = {}): Promise<SshProcess> {
    const command = `printf '${PID_MARKER}%s\\n' "$$"; ${commandLine(argv, opts.env)}`;
    const client = this.requireClient();
    const channel = await new Promise<ClientChannel>((resolve, reject) =>
      client.exec(command, (err, ch) => (err ? reject(infraError(`cannot start '${argv[0]}' on ${this.description}: ${err.message}`)) : resolve(ch))),
    );
    const proc = new SshProcess(channel, this.opts.killGraceMs, (pid, sig, groupOnly) => this.signalRemote(pid, sig, groupOnly), () => this.lostReason !== undefined);
    this.running.add(proc);
    void proc.exited.then(() => this.running.delete(proc));
    return proc;
  }

  /** Run to completion; a timeout (default 60 s) or a lost connection rejects with exit 3. */
  async exec(argv: readonly string[], opts: SpawnOptions & { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
    const proc = await this.spawn(argv, opts);
    return collect(proc, argv[0], this.description, { timeoutMs: opts.timeoutMs, input: opts.input, killWaitMs: 2 * this.opts.killGraceMs + 3_000 });
  }

  /**
   * Open an SFTP session on this connection (for `ffs-lab deploy`). The server must offer the
   * `sftp` subsystem (OpenSSH does by default). The caller ends it with `end()`; close() ends it too.
   */
  async sftp(): Promise<SFTPWrapper> {
    const client = this.requireClient();
    return new Promise((resolve, reject) =>
      client.sftp((err, sftp) => (err ? reject(infraError(`cannot open SFTP on ${this.description}: ${err.message}`, 'does its sshd offer the sftp subsystem?')) : resolve(sftp))),
    );
  }

  /** TERM (then KILL) everything still running, then end the connection. Bounded: at most about 2 x killGraceMs + 5 s. */
  async close(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const all = [...this.running];
    for (const proc of all) proc.kill('TERM');
    await settlesWithin(Promise.all(all.map((p) => p.exited)), 2 * this.opts.killGraceMs + 3_000);
    this.client = undefined;
    if (this.lostReason !== undefined) return;
    this.lostReason = 'closed';
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.end();
    if (!(await settlesWithin(closed, 2_000))) client.destroy();
  }

  /**
   * Signal the remote process group (helpers the program started go too) and the process itself
   * (in case it left the group) over a fresh channel; never throws. Once the program has exited
   * only the group is signalled: Linux does not reuse a pid while a group of that id exists,
   * but may reuse a bare pid.
   */
  private async signalRemote(pid: number, sig: 'TERM' | 'KILL', groupOnly: boolean): Promise<void> {
    const client = this.client;
    if (!client || this.lostReason !== undefined) return;
    const command = `kill -s ${sig} -- -${pid}${groupOnly ? '' : ` ${pid}`} 2>/dev/null; exit 0`;
    const done = new Promise<void>((resolve) => {
      try {
        client.exec(command, (err, ch) => {
          if (err) return resolve();
          ch.on('close', () => resolve()).on('error', () => resolve());
          ch.resume();
          ch.stderr.resume();
          ch.end();
        });
      } catch {
        resolve();
      }
    });
    await settlesWithin(done, 5_000);
  }

  private connectionLost(reason: string): void {
    this.lostReason ??= reason;
    for (const proc of this.running) proc.connectionLost();
  }

  private requireClient(): Client {
    if (this.lostReason !== undefined && this.lostReason !== 'closed') {
      throw infraError(`connection to ${this.description} lost: ${this.lostReason}`);
    }
    if (!this.client) throw infraError(`not connected to ${this.description} (connect() first)`);
    return this.client;
  }

  private secretFromEnv(name: string, what: string): string {
    const value = (this.opts.environment ?? process.env)[name];
    if (value === undefined) throw usageError(`environment variable ${name} (the SSH ${what} for ${this.description}) is not set`);
    return value;
  }

  /** ssh2 configuration, plus a description of the auth methods for messages (names only, never secrets). */
  private buildConfig(): { config: ConnectConfig; methods: string[] } {
    const o = this.opts;
    if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw usageError(`bad SSH port ${o.port}`);
    if (!o.username) throw usageError(`no SSH user name for ${o.host}`);
    if (o.hostKeyFingerprint !== undefined && !/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(o.hostKeyFingerprint.trim())) {
      throw usageError(`hostKeyFingerprint must look like SHA256:<43 base64 characters> (as 'ssh-keygen -lf' prints), got ${JSON.stringify(o.hostKeyFingerprint)}`);
    }
    const config: ConnectConfig = {
      host: o.host,
      port: o.port,
      username: o.username,
      readyTimeout: o.connectTimeoutMs,
      keepaliveInterval: o.keepaliveIntervalMs,
      keepaliveCountMax: o.keepaliveCountMax,
    };
    const methods: string[] = [];
    if (o.privateKeyPath !== undefined) {
      let key: Buffer;
      try {
        key = readFileSync(o.privateKeyPath);
      } catch (err) {
        throw usageError(`cannot read SSH private key ${o.privateKeyPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const passphrase = o.passphraseEnv !== undefined ? this.secretFromEnv(o.passphraseEnv, 'key passphrase') : undefined;
      const parsed = sshUtils.parseKey(key, passphrase);
      if (parsed instanceof Error) {
        const hint = o.passphraseEnv === undefined ? 'if the key is encrypted, set passphraseEnv to the name of a variable holding its passphrase' : undefined;
        throw usageError(`cannot use SSH private key ${o.privateKeyPath}: ${parsed.message}`, hint);
      }
      config.privateKey = key;
      if (passphrase !== undefined) config.passphrase = passphrase;
      methods.push(`publickey (${o.privateKeyPath})`);
    }
    if (o.passwordEnv !== undefined) {
      config.password = this.secretFromEnv(o.passwordEnv, 'password');
      config.tryKeyboard = true;
      methods.push(`password and keyboard-interactive (from $${o.passwordEnv})`);
    }
    if (methods.length === 0) throw usageError(`no SSH authentication method for ${this.description}: set privateKeyPath or passwordEnv`);
    return { config, methods };
  }

  /** The host key policy: pinned fingerprint, or known_hosts (optionally accepting unknown hosts). */
  private makeVerifier(): VerifierState {
    const o = this.opts;
    const state: VerifierState = { verdict: undefined, verify: () => false, preferred: [] };
    const pin = o.hostKeyFingerprint?.trim();
    if (pin !== undefined) {
      state.verify = (key) => {
        const offered = fingerprint(key);
        const ok = fingerprintsEqual(offered, pin);
        state.verdict = { kind: 'pin', ok, offered, offeredType: keyTypeOf(key), pinned: pin };
        return ok;
      };
      return state;
    }
    const path = o.knownHostsPath ?? join(homedir(), '.ssh', 'known_hosts');
    let entries: KnownHostEntry[] = [];
    let missing = false;
    try {
      entries = parseKnownHosts(readFileSync(path, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw usageError(`cannot read known_hosts file ${path}: ${(err as NodeJS.ErrnoException).code}`);
      missing = true;
    }
    state.verify = (key) => {
      const check = checkHostKey(entries, o.host, o.port, key);
      const ok = check.result === 'match' || (check.result === 'unknown' && o.acceptUnknownHostKey === true);
      state.verdict = { kind: 'known_hosts', ok, check, path, missing };
      return ok;
    };
    state.preferred = knownKeyTypes(entries, o.host, o.port).flatMap((t) => HOST_KEY_ALGORITHMS[t] ?? []);
    return state;
  }

  /** One-line LabError for a failure before 'ready'. */
  private connectError(err: (Error & { level?: string; code?: string }) | undefined, verdict: Verdict | undefined, methods: string[]): LabError {
    const where = `${this.opts.host}:${this.opts.port}`;
    if (verdict && !verdict.ok) return hostKeyError(verdict, where, this.opts);
    if (!err) return infraError(`SSH connection to ${where} closed before login`);
    if (err.level === 'client-authentication') {
      return infraError(`SSH authentication as ${this.opts.username} on ${where} failed (tried: ${methods.join(', ')})`, 'check that the key is in the remote authorized_keys, or the password variable holds the right password');
    }
    if (err.level === 'client-timeout') {
      return infraError(`cannot reach ${where}: no SSH login within ${this.opts.connectTimeoutMs / 1000} s`, 'is the target up and its sshd running? (connectTimeoutMs sets the limit)');
    }
    const unreachable: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      EHOSTUNREACH: 'host unreachable',
      ENETUNREACH: 'network unreachable',
      ETIMEDOUT: 'connection timed out',
      ENOTFOUND: 'unknown host name',
      EAI_AGAIN: 'host name lookup failed',
      ECONNRESET: 'connection reset',
    };
    if (err.code !== undefined && unreachable[err.code] !== undefined) {
      return infraError(`cannot reach ${where}: ${unreachable[err.code]} (${err.code})`);
    }
    return infraError(`SSH connection to ${where} failed: ${err.message}`);
  }
}

/** The hostVerifier and what it decided (kept for the error message). */
interface VerifierState {
  verify(key: Buffer): boolean;
  verdict: Verdict | undefined;
  /** ssh2 host key algorithms to ask for first (from the known_hosts key types of this host). */
  preferred: ServerHostKeyAlgorithm[];
}

/** What the host key check decided, kept for the error message. */
type Verdict =
  | { kind: 'pin'; ok: boolean; offered: string; offeredType: string; pinned: string }
  | { kind: 'known_hosts'; ok: boolean; check: HostKeyCheck; path: string; missing: boolean };

function hostKeyError(v: Verdict, where: string, o: SshTargetOptions): LabError {
  if (v.kind === 'pin') {
    return infraError(`host key of ${where} does not match the pinned fingerprint: expected ${v.pinned}, offered ${v.offeredType} ${v.offered}`, 'if the target was legitimately re-keyed, update hostKeyFingerprint');
  }
  const c = v.check;
  switch (c.result) {
    case 'mismatch':
      return infraError(
        `HOST KEY MISMATCH for ${where}: ${v.path} line ${c.lines.join(',')} expects ${c.expected.join(' or ')}, server offered ${c.offeredType} ${c.offered}`,
        `possible man-in-the-middle; if the target was legitimately re-keyed, remove its old entry with 'ssh-keygen -R ${hostPattern(o)} -f ${v.path}'`,
      );
    case 'revoked':
      return infraError(`host key of ${where} is revoked (${v.path} line ${c.line}): ${c.offeredType} ${c.offered}`);
    case 'unknown':
      return infraError(
        `host key of ${where} is unknown: no entry for ${hostPattern(o)} in ${v.path}${v.missing ? ' (file does not exist)' : ''}; server offered ${c.offeredType} ${c.offered}`,
        `after checking the fingerprint, add it with 'ssh-keyscan -p ${o.port ?? 22} -t ${c.offeredType} ${o.host} >> ${v.path}', or pin it with hostKeyFingerprint: '${c.offered}'`,
      );
    case 'match':
      return infraError(`SSH connection to ${where} failed after host key verification`);
  }
}

function hostPattern(o: SshTargetOptions): string {
  const port = o.port ?? 22;
  return port === 22 ? o.host : `[${o.host}]:${port}`;
}

/**
 * A program running over one SSH session channel. stdout is the channel's data minus the pid
 * marker line; exited resolves on channel close with `signal` as `SIGTERM` etc. (or, on
 * connection loss, CONNECTION_LOST). As with any pipe, read stdout and stderr (or resume()
 * them): a program whose output nobody reads blocks once the SSH window fills, and never exits.
 */
export class SshProcess implements RemoteProcess {
  readonly stdin: ClientChannel;
  readonly stdout: Transform;
  readonly stderr: ClientChannel['stderr'];
  readonly exited: Promise<ProcessExit>;
  /** The remote pid (also its process group), once the marker line arrived; null if it never does. */
  readonly pid: Promise<number | null>;
  private resolveExit!: (exit: ProcessExit) => void;
  private resolvePid!: (pid: number | null) => void;
  private exitInfo: ProcessExit | undefined;
  /** Set as soon as the marker arrived, still readable after exit. */
  private knownPid: number | null = null;
  private done = false;
  private killing = false;

  /** @internal Created by {@link SshTransport.spawn}. */
  constructor(
    private readonly channel: ClientChannel,
    private readonly killGraceMs: number,
    private readonly signalRemote: (pid: number, sig: 'TERM' | 'KILL', groupOnly: boolean) => Promise<void>,
    private readonly isLost: () => boolean,
  ) {
    this.stdin = channel;
    this.stderr = channel.stderr;
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    this.pid = new Promise((resolve) => (this.resolvePid = resolve));
    this.stdout = new PidMarkerFilter((pid) => {
      this.knownPid ??= pid;
      this.resolvePid(pid);
    });
    channel.pipe(this.stdout);
    // Writes after the remote side closed fail; the exit status tells the story.
    channel.on('error', () => {});
    channel.on('exit', (code: number | null, signal?: string) => {
      this.exitInfo = { code: code ?? null, signal: code === null || code === undefined ? (signal ?? null) : null };
    });
    channel.on('close', () => {
      if (this.exitInfo) this.finish(this.exitInfo);
      else if (this.isLost()) this.finish(CONNECTION_LOST);
      else this.finish({ code: null, signal: null });
    });
  }

  kill(signal: 'TERM' | 'KILL' = 'TERM'): void {
    if (this.killing || this.done) return;
    this.killing = true;
    const send = async (sig: 'TERM' | 'KILL') => {
      const pid = await Promise.race([this.pid, this.exited.then(() => this.knownPid)]);
      // The second channel first: if the signal request killed the program first, its children
      // would lose their group leader before we signal the group (still possible, just later).
      if (pid !== null) await this.signalRemote(pid, sig, this.done);
      try {
        this.channel.signal(sig);
      } catch {
        // Channel already closing.
      }
    };
    void stopWithEscalation(send, this.exited, signal, this.killGraceMs).then(() => {
      if (!this.done) this.channel.close();
    });
  }

  /** @internal The connection is gone: nothing more will come. */
  connectionLost(): void {
    this.finish(CONNECTION_LOST);
  }

  private finish(exit: ProcessExit): void {
    if (this.done) return;
    this.done = true;
    this.resolvePid(null);
    this.resolveExit(exit);
  }
}

/** Drops everything up to and including the `ffs-lab-pid N` line and reports N. */
class PidMarkerFilter extends Transform {
  /** Bytes held back while looking for the marker; null once found (or given up). */
  private pending: Buffer | null = Buffer.alloc(0);
  /** Offset in `pending` up to which complete lines were already checked. */
  private scanned = 0;

  constructor(private readonly onPid: (pid: number | null) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.pending === null) return cb(null, chunk);
    const buf = Buffer.concat([this.pending, chunk]);
    for (;;) {
      const nl = buf.indexOf(0x0a, this.scanned);
      if (nl < 0) break;
      const line = buf.subarray(this.scanned, nl).toString('latin1');
      this.scanned = nl + 1;
      // Lines before the marker come from the login shell's rc files, not from the program: dropped.
      if (line.startsWith(PID_MARKER)) {
        this.pending = null;
        const pid = Number(line.slice(PID_MARKER.length));
        this.onPid(Number.isInteger(pid) && pid > 1 ? pid : null);
        const rest = buf.subarray(nl + 1);
        return cb(null, rest.length > 0 ? rest : undefined);
      }
    }
    if (buf.length > PID_MARKER_SCAN_LIMIT) return this.giveUp(buf, cb);
    this.pending = buf;
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.pending !== null && this.pending.length > 0) return this.giveUp(this.pending, cb);
    this.pending = null;
    this.onPid(null);
    cb();
  }

  /** No marker: the server did not run our prefix. Pass everything through unchanged. */
  private giveUp(buf: Buffer, cb: TransformCallback): void {
    this.pending = null;
    this.onPid(null);
    cb(null, buf);
  }
}
