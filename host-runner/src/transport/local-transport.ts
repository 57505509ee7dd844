import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { infraError } from '@ffs-lab/contract/exit-codes';
import { checkArgv, checkEnv } from './shell-quote';
import { collect, settlesWithin, stopWithEscalation } from './process-lifecycle';
import type { ExecResult, ProcessExit, RemoteProcess, SpawnOptions, Transport } from './transport';

/** Options of {@link LocalTransport}. */
export interface LocalTransportOptions {
  /** After a TERM, how long to wait before sending KILL: ms. Default 2000. */
  killGraceMs?: number;
}

/**
 * Runs programs on this machine: child_process.spawn with an argv, never a shell. The child
 * gets process.env plus {@link SpawnOptions.env}. Each child leads its own process group, so
 * kill() reaches everything it started, too.
 *
 * Differences from SSH: a program that cannot be started (not found, not executable) makes
 * spawn() reject with an infrastructure LabError, where over SSH the remote shell reports exit
 * code 127 (or 126).
 */
export class LocalTransport implements Transport {
  readonly description = 'local';
  private readonly killGraceMs: number;
  private readonly running = new Set<LocalProcess>();

  constructor(opts: LocalTransportOptions = {}) {
    this.killGraceMs = opts.killGraceMs ?? 2_000;
  }

  /** Nothing to open. */
  async connect(): Promise<void> {}

  async spawn(argv: readonly string[], opts: SpawnOptions = {}): Promise<RemoteProcess> {
    checkArgv(argv);
    checkEnv(opts.env);
    const child = spawnChild(argv[0], argv.slice(1), {
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Own process group: kill() signals the group, so helpers the program started go too.
      detached: true,
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(infraError(`cannot start '${argv[0]}': ${err.code ?? err.message}`)),
      );
    });
    const proc = new LocalProcess(child, this.killGraceMs);
    this.running.add(proc);
    void proc.exited.then(() => this.running.delete(proc));
    return proc;
  }

  async exec(argv: readonly string[], opts: SpawnOptions & { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
    const proc = await this.spawn(argv, opts);
    return collect(proc, argv[0], this.description, { timeoutMs: opts.timeoutMs, input: opts.input, killWaitMs: 2 * this.killGraceMs + 1_000 });
  }

  async close(): Promise<void> {
    const all = [...this.running];
    for (const proc of all) proc.kill('TERM');
    await settlesWithin(Promise.all(all.map((p) => p.exited)), 2 * this.killGraceMs + 1_000);
  }
}

/** A child of {@link LocalTransport}. */
class LocalProcess implements RemoteProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exited: Promise<ProcessExit>;
  private killing = false;
  private done = false;

  constructor(private readonly child: ChildProcess, private readonly killGraceMs: number) {
    this.stdin = child.stdin!;
    this.stdout = child.stdout!;
    this.stderr = child.stderr!;
    // A write after the child went away fails with EPIPE; the exit status tells the story.
    this.stdin.on('error', () => {});
    // 'close' (not 'exit') so that all output has been read when exited resolves, as with SSH.
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      }),
    );
  }

  kill(signal: 'TERM' | 'KILL' = 'TERM'): void {
    if (this.killing || this.done) return;
    this.killing = true;
    void stopWithEscalation(async (sig) => this.signalGroup(sig), this.exited, signal, this.killGraceMs).then(() => {
      // Still there (a descendant holding our pipes open): stop waiting on it.
      if (!this.done) {
        this.stdin.destroy();
        this.stdout.destroy();
        this.stderr.destroy();
      }
    });
  }

  private signalGroup(sig: 'TERM' | 'KILL'): void {
    const pid = this.child.pid;
    if (pid === undefined || this.done) return;
    try {
      process.kill(-pid, `SIG${sig}`);
    } catch {
      try {
        process.kill(pid, `SIG${sig}`);
      } catch {
        // Already gone.
      }
    }
  }
}
