import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { AgentError } from '../session/agent-error';
import type { ProgramRun } from '@ffs-lab/contract/protocol';

/** Output kept per stream: bytes. A self-test's KTAP is a few KiB; this bounds a runaway program. */
const OUTPUT_CAP = 4 * 1024 * 1024;

/** Programs of `program.run` still running: the agent's teardown kills them. */
const running = new Set<ChildProcess>();

/** SIGKILL every program `program.run` started that still runs (exit paths). */
export function killRunPrograms(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/**
 * Run a program to completion (no shell, no gadget needed), e.g. the series' kselftest, which
 * mounts its own FunctionFS instances. Killed with SIGKILL after `timeoutMs`.
 */
export function runProgram(argv: readonly string[], timeoutMs: number, env?: Record<string, string>): Promise<ProgramRun> {
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string' || a.includes('\0'))) {
    throw new AgentError('BAD_REQUEST', 'program.run: argv must be a non-empty array of strings without NUL');
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new AgentError('BAD_REQUEST', 'program.run: timeoutMs must be a positive integer');
  if (env !== undefined && (typeof env !== 'object' || Object.values(env).some((v) => typeof v !== 'string'))) {
    throw new AgentError('BAD_REQUEST', 'program.run: env must map names to strings');
  }
  if (!fs.existsSync(argv[0]!)) throw new AgentError('ENOENT', `program not found: ${argv[0]}`);
  const started = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const collect = (s: NodeJS.ReadableStream) => {
    const chunks: Buffer[] = [];
    let size = 0;
    s.on('data', (c: Buffer) => {
      if (size < OUTPUT_CAP) chunks.push(c.subarray(0, OUTPUT_CAP - size));
      size += c.length;
    });
    return () => Buffer.concat(chunks).toString('utf8') + (size > OUTPUT_CAP ? `\n[${size - OUTPUT_CAP} more bytes dropped]\n` : '');
  };
  running.add(child);
  const stdout = collect(child.stdout!);
  const stderr = collect(child.stderr!);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve) => {
    const done = (exitCode: number | null, signal: string | null, extra = '') => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ exitCode, signal, stdout: stdout(), stderr: stderr() + extra, timedOut, durationMs: Date.now() - started });
    };
    child.on('error', (err) => done(null, null, `spawn error: ${err.message}\n`));
    child.on('close', (code, signal) => done(code, signal));
  });
}
