import * as fs from 'node:fs';

/** How long {@link openEndpointFd} keeps retrying an O_NONBLOCK open refused with EAGAIN (ms). */
export const OPEN_RETRY_MS = 2000;
/** Pause between those retries (ms). */
const RETRY_PAUSE_MS = 2;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * open(2) a FunctionFS endpoint file O_RDWR, O_NONBLOCK when `nonBlocking`; returns the descriptor.
 *
 * f_fs takes the instance's mutex in open() with mutex_trylock() when the file is opened
 * O_NONBLOCK, so an open that merely overlaps another open, an ep0 read or a close of the same
 * mount fails with EAGAIN although nothing is wrong. The mutex is only ever held for a moment by
 * a non-blocking holder, so such an open is retried for up to {@link OPEN_RETRY_MS}; a holder
 * that keeps it longer (a blocking ep0 read of another program) still ends in EAGAIN, with the
 * reason in the message. Other errors are thrown at once.
 */
export function openEndpointFd(path: string, nonBlocking: boolean): number {
  const flags = fs.constants.O_RDWR | (nonBlocking ? fs.constants.O_NONBLOCK : 0);
  const deadline = Date.now() + OPEN_RETRY_MS;
  for (;;) {
    try {
      return fs.openSync(path, flags);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN') throw err;
      if (Date.now() >= deadline) {
        (err as Error).message += ` (FunctionFS kept its instance lock for ${OPEN_RETRY_MS} ms: another program is blocked in a read of ep0?)`;
        throw err;
      }
      Atomics.wait(sleeper, 0, 0, RETRY_PAUSE_MS);
    }
  }
}
