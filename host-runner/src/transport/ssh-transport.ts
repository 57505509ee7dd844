import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { infraError } from '@ffs-lab/contract/exit-codes';
import { collect, settlesWithin } from './process-lifecycle';
import { commandLine } from './shell-quote';
import { openSshChain, sshUrl } from './ssh-connection';
import { PID_MARKER, SshProcess } from './ssh-process';
import { resolveSshOptions, type ResolvedSshOptions, type SshTargetOptions } from './ssh-target-options';
import type { ExecResult, SpawnOptions, Transport } from './transport';

export type { SshTargetOptions } from './ssh-target-options';
export { SshProcess } from './ssh-process';

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
  private readonly opts: ResolvedSshOptions;
  private client: Client | undefined;
  /** The jump hosts' connections the target's runs through, first hop first. */
  private jumpClients: Client[] = [];
  /** Why the connection ended, once it has. */
  private lostReason: string | undefined;
  private readonly running = new Set<SshProcess>();

  constructor(opts: SshTargetOptions) {
    this.opts = resolveSshOptions(opts);
    this.description = sshUrl(this.opts);
  }

  /**
   * Connect (through the jump hosts, when there are some) and authenticate; LabError exit 2 for
   * bad options, exit 3 for every network, host key or auth failure (SshNotUpError when the
   * target or a hop is not up yet).
   */
  async connect(): Promise<void> {
    if (this.client && this.lostReason === undefined) return;
    // A connection lost earlier: its jump hosts' connections go before new ones open.
    for (const j of this.jumpClients.splice(0)) j.destroy();
    const chain = await openSshChain(this.opts);
    const target = chain[chain.length - 1]!;
    const jumps = chain.slice(0, -1).map((c) => c.client);
    this.lostReason = undefined;
    target.client.on('error', (err: Error) => (this.lostReason ??= err.message));
    target.client.on('close', () => {
      this.connectionLost(target.lastError()?.message ?? 'closed by the server');
      // Nothing runs through the jump hosts any more.
      if (this.lostReason !== 'closed') for (const j of jumps) j.end();
    });
    this.client = target.client;
    this.jumpClients = jumps;
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
    const jumps = this.jumpClients.reverse();
    this.jumpClients = [];
    if (this.lostReason === undefined) {
      this.lostReason = 'closed';
      await endClient(client);
    }
    for (const j of jumps) await endClient(j);
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
}

/** End an SSH connection politely, then by force after 2 s. */
async function endClient(client: Client): Promise<void> {
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.end();
  if (!(await settlesWithin(closed, 2_000))) client.destroy();
}
