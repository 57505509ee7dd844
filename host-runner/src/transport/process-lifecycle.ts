import { infraError } from '@ffs-lab/contract/exit-codes';
import type { ExecResult, ProcessExit, RemoteProcess } from './transport';

/** Exit reported when the connection carrying a process went away (see {@link RemoteProcess.exited}). */
export const CONNECTION_LOST: ProcessExit = Object.freeze({ code: null, signal: 'CONNECTION_LOST' });

/** Default of `timeoutMs` in {@link Transport.exec}: 60 s. */
export const DEFAULT_EXEC_TIMEOUT_MS = 60_000;

/** Resolves after `ms` milliseconds; the timer does not keep node alive. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** True if `p` settled within `ms` milliseconds. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let done = false;
  await Promise.race([p.then(() => (done = true), () => (done = true)), delay(ms)]);
  return done;
}

/**
 * Stop a process: send `signal`, and if it was TERM and the process is still there after
 * `graceMs`, send KILL. Resolves when it exited or, at the latest, `graceMs` after the KILL
 * (the caller then closes what carries it). `send` must not throw.
 */
export async function stopWithEscalation(
  send: (signal: 'TERM' | 'KILL') => Promise<void>,
  exited: Promise<ProcessExit>,
  signal: 'TERM' | 'KILL',
  graceMs: number,
): Promise<void> {
  await send(signal);
  if (await settlesWithin(exited, graceMs)) return;
  if (signal === 'TERM') {
    await send('KILL');
    await settlesWithin(exited, graceMs);
  }
}

/** Options of {@link collect}. */
export interface CollectOptions {
  /** Kill the process and reject after this long. Default {@link DEFAULT_EXEC_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed. Default: stdin is closed at once. */
  input?: string;
  /** How long to wait for the killed process to go before rejecting anyway: ms. */
  killWaitMs: number;
}

/**
 * Drive a started process to completion for {@link Transport.exec}: feed stdin, gather stdout and
 * stderr as UTF-8, enforce the timeout. `what` names the program and `where` the transport, for
 * messages (never the arguments, which may carry secrets).
 */
export async function collect(proc: RemoteProcess, what: string, where: string, opts: CollectOptions): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  proc.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const streamsDone = Promise.all([endOf(proc.stdout), endOf(proc.stderr)]);
  proc.stdin.end(opts.input);

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    const first = await Promise.race([proc.exited, timedOut]);
    if (first === 'timeout') {
      proc.kill('TERM');
      await settlesWithin(proc.exited, opts.killWaitMs);
      throw infraError(`'${what}' did not finish within ${formatSeconds(timeoutMs)} on ${where}; it was killed`);
    }
    if (first.signal === CONNECTION_LOST.signal) {
      throw infraError(`connection to ${where} lost while running '${what}'`);
    }
    // Output can trail the exit (local pipes; SSH data still in the stdout filter on a loaded
    // machine, where 2 s once cut a reply short); never wait on it forever.
    await settlesWithin(streamsDone, 10_000);
    return { code: first.code, signal: first.signal, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

function endOf(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
