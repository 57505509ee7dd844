import * as fs from 'node:fs';

/** Bytes read from fd 0 at a time. */
const READ_BYTES = 64 * 1024;
/** Pause before retrying a non-blocking stdin that had nothing (ms). */
const EAGAIN_RETRY_MS = 5;

/**
 * Reads the agent's stdin (fd 0) into one fixed buffer, chunk by chunk, and reports EOF (or a
 * read error) once. Unlike process.stdin, whose every chunk is a fresh allocation freed only at
 * the next GC, a peer streaming an endless line costs no memory beyond what the consumer keeps.
 * `onChunk` gets a view of the shared buffer: it must copy what it keeps before returning. One
 * libuv pool thread waits in read(2) meanwhile.
 */
export function readStdin(onChunk: (chunk: Buffer) => void, onEnd: (why: string) => void): void {
  const buf = Buffer.alloc(READ_BYTES);
  const next = () => {
    fs.read(0, buf, 0, buf.length, null, (err, n) => {
      if (err) {
        if (err.code === 'EAGAIN') return void setTimeout(next, EAGAIN_RETRY_MS);
        return onEnd(`stdin read failed (${err.code ?? err.message})`);
      }
      if (n === 0) return onEnd('stdin closed');
      onChunk(buf.subarray(0, n));
      next();
    });
  };
  next();
}
