import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentError } from '../session/agent-error';
import { ProgramOutput } from './program-output';
import type { ProgramStatus } from '@ffs-lab/contract/protocol';

/**
 * A user-space FunctionFS program (e.g. the kernel's tools/usb/ffs-test) run by the agent: it
 * writes the descriptors to ep0 and serves the endpoints. Its output is kept for the runner.
 */
export class GadgetProgram {
  private readonly child: ChildProcess;
  private readonly output = new ProgramOutput();
  private exit: { code: number | null; signal: string | null } | undefined;
  private readonly exited: Promise<void>;

  /** Start `argv` (no shell) in `cwd`. */
  constructor(argv: readonly string[], cwd: string) {
    if (argv.length === 0 || argv.some((a) => typeof a !== 'string')) throw new AgentError('BAD_REQUEST', 'argv must be a non-empty array of strings');
    if (!fs.existsSync(argv[0]!)) throw new AgentError('ENOENT', `program not found: ${argv[0]}`);
    this.child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.output.write('stdout', chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.output.write('stderr', chunk));
    // 'close' comes after both pipes are drained: a last line without its newline is kept then.
    this.child.on('close', () => this.output.end());
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.output.line(`spawn error: ${err.message}`);
        this.exit = { code: null, signal: null };
        resolve();
      });
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
    });
  }

  /** Wait until every file in `names` exists under `dir` (the program has written its descriptors). */
  async waitForFiles(dir: string, names: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (names.every((n) => fs.existsSync(path.join(dir, n)))) return;
      if (this.exit) {
        throw new AgentError('PROGRAM_EXITED', `program exited (${this.exit.code ?? this.exit.signal}) before ${names.join(', ')} appeared: ${this.output.lines().slice(-3).join(' | ')}`);
      }
      if (Date.now() > deadline) throw new AgentError('TIMEOUT', `${names.join(', ')} did not appear in ${dir} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  status(): ProgramStatus {
    return {
      running: !this.exit,
      pid: this.child.pid ?? null,
      exitCode: this.exit?.code ?? null,
      signal: this.exit?.signal ?? null,
      output: this.output.lines(),
    };
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 2000): Promise<ProgramStatus> {
    if (!this.exit) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.status();
  }

  /** Kill at once without waiting (exit paths). */
  killNow(): void {
    if (!this.exit) this.child.kill('SIGKILL');
  }
}
