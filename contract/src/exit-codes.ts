/**
 * Process exit codes shared by every ffs-lab command (README.md, "Exit codes").
 * CI systems read these, so they never change meaning.
 */
export enum ExitCode {
  /** Every test that ran passed. */
  Ok = 0,
  /** At least one test failed (or errored). */
  TestFailed = 1,
  /** Bad command line, bad configuration, or a missing prerequisite the user must install. */
  Usage = 2,
  /** Infrastructure: kernel build failed, VM did not boot or hung, SSH unreachable, no enumeration. */
  Infrastructure = 3,
  /** Everything was skipped for a missing capability. */
  AllSkipped = 4,
  /** Interrupted by SIGINT/SIGTERM. */
  Interrupted = 130,
}

/**
 * An error meant for the user: a one-line message and the exit code it maps to.
 * The CLI prints `ffs-lab: <message>` and exits; no stack trace.
 */
export class LabError extends Error {
  /** @param hint optional second line telling the user what to do. */
  constructor(message: string, readonly exitCode: ExitCode, readonly hint?: string) {
    super(message);
    this.name = 'LabError';
  }
}

/** Shorthand for a usage/configuration error (exit 2). */
export function usageError(message: string, hint?: string): LabError {
  return new LabError(message, ExitCode.Usage, hint);
}

/** Shorthand for an infrastructure error (exit 3). */
export function infraError(message: string, hint?: string): LabError {
  return new LabError(message, ExitCode.Infrastructure, hint);
}
