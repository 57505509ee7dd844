import { native } from './bindings';

/** An Error shaped like node's system errors: code (errno name), errno (negative), syscall. */
export interface ErrnoException extends Error {
  code: string;
  errno: number;
  syscall: string;
}

/** Make the error for a negative result (`-errno`) of `syscall`. */
export function errnoError(negErrno: number, syscall: string, detail?: string): ErrnoException {
  const code = native().errnoName(-negErrno);
  const err = new Error(`${code}: ${syscall}${detail ? ` ${detail}` : ''}`) as ErrnoException;
  err.code = code;
  err.errno = negErrno;
  err.syscall = syscall;
  return err;
}

/** True when `err` is a system error with this code (e.g. `ENOMEM`). */
export function hasCode(err: unknown, code: string): boolean {
  return (err as { code?: unknown })?.code === code;
}
