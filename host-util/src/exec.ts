import { spawn, type SpawnOptions } from 'node:child_process';
import type { Writable } from 'node:stream';

/** Result of a finished child process. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines of combined stdout+stderr (at most `tailLines`), for error messages. */
  tail: string[];
  /** All of stdout, when `captureStdout` was set. */
  stdout: string;
}

/** Options of {@link runCommand}. */
export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Every output line is also written here (e.g. a build log). */
  log?: Writable;
  /** Called for each complete output line (stdout and stderr). */
  onLine?: (line: string) => void;
  /** Keep stdout in `RunResult.stdout`. Default false. */
  captureStdout?: boolean;
  /** How many trailing lines to keep. Default 30. */
  tailLines?: number;
  /** Data written to stdin, then closed. Default: stdin is /dev/null. */
  input?: string;
}

/**
 * Run a program with an argv array (never through a shell) and collect its output line by line.
 * Resolves when it exits, whatever the status; callers decide what a non-zero code means.
 */
export function runCommand(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'] };
    const child = spawn(cmd, args, spawnOpts);
    const tailMax = opts.tailLines ?? 30;
    const tail: string[] = [];
    let stdout = '';
    const feed = (isStdout: boolean) => {
      let partial = '';
      return (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        if (isStdout && opts.captureStdout) stdout += text;
        opts.log?.write(chunk);
        partial += text;
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          tail.push(line);
          if (tail.length > tailMax) tail.shift();
          opts.onLine?.(line);
        }
      };
    };
    child.stdout!.on('data', feed(true));
    child.stderr!.on('data', feed(false));
    child.on('error', reject);
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    child.on('close', (code, signal) => resolve({ code, signal, tail, stdout }));
  });
}

/** Run a command and return its trimmed stdout, or undefined when it fails or cannot start. */
export async function commandOutput(cmd: string, args: readonly string[]): Promise<string | undefined> {
  try {
    const r = await runCommand(cmd, args, { captureStdout: true });
    return r.code === 0 ? r.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}
