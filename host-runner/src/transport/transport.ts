import type { Readable, Writable } from 'node:stream';

/** How a remote (or local) process ended. */
export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

/** A running program started through a {@link Transport}: the gadget agent, usually. */
export interface RemoteProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves when the process has ended (or the connection carrying it was lost: code null, signal 'CONNECTION_LOST'). */
  readonly exited: Promise<ProcessExit>;
  /** Stop it: SIGTERM (default) or SIGKILL, then close the channel. Safe to call twice. */
  kill(signal?: 'TERM' | 'KILL'): void;
}

/** Result of {@link Transport.exec}. */
export interface ExecResult extends ProcessExit {
  stdout: string;
  stderr: string;
}

/** Options of {@link Transport.spawn} and {@link Transport.exec}. */
export interface SpawnOptions {
  /** Environment variables for the program (names must match [A-Za-z_][A-Za-z0-9_]*). */
  env?: Record<string, string>;
}

/**
 * How the runner reaches the gadget side: start programs there by argv (never a pasted shell
 * string) and talk to them over stdin/stdout. Lifecycle: connect() once, spawn/exec any number
 * of times, close() at the end (kills what is still running).
 */
export interface Transport {
  /** For messages, e.g. `ssh://root@127.0.0.1:22` or `local`. */
  readonly description: string;
  /** Open the connection (verifying the host key for SSH). Errors are LabErrors with exit code 3 (or 2 for bad configuration). */
  connect(): Promise<void>;
  /** Start a program; its stdio is returned as streams. */
  spawn(argv: readonly string[], opts?: SpawnOptions): Promise<RemoteProcess>;
  /** Run a program to completion and collect its output. `timeoutMs` (default 60 s) kills it and rejects with a LabError. */
  exec(argv: readonly string[], opts?: SpawnOptions & { timeoutMs?: number; input?: string }): Promise<ExecResult>;
  /** Kill what is still running and close the connection. Safe to call twice. */
  close(): Promise<void>;
}
