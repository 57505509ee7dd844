/**
 * Reads the agent's stdin chunk by chunk and reports EOF (or a read error) once. It uses
 * process.stdin, which libuv reads with epoll on the event loop: a read parked in a thread-pool
 * thread instead would hold up the process's exit, since libuv joins its pool threads at exit,
 * and an agent told to stop (SIGTERM) while its SSH session stays open would never end.
 * `onChunk` must copy what it keeps: the consumer (LineSplitter) keeps at most one line's worth,
 * so a peer streaming an endless line costs no memory beyond the chunks the next GC frees.
 */
export function readStdin(onChunk: (chunk: Buffer) => void, onEnd: (why: string) => void): void {
  let ended = false;
  const end = (why: string) => {
    if (ended) return;
    ended = true;
    onEnd(why);
  };
  process.stdin.on('data', (chunk: Buffer) => onChunk(chunk));
  process.stdin.on('end', () => end('stdin closed'));
  process.stdin.on('close', () => end('stdin closed'));
  process.stdin.on('error', (err: NodeJS.ErrnoException) => end(`stdin read failed (${err.code ?? err.message})`));
}
