import { Transform, type TransformCallback } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { CONNECTION_LOST, stopWithEscalation } from './process-lifecycle';
import type { ProcessExit, RemoteProcess } from './transport';

/** First stdout line of every remote command, before the program replaces the shell. */
export const PID_MARKER = 'ffs-lab-pid ';
/** Give up looking for the marker after this many bytes (a server that ignores the prefix). */
const PID_MARKER_SCAN_LIMIT = 64 * 1024;

/**
 * A program running over one SSH session channel. stdout is the channel's data minus the pid
 * marker line; exited resolves on channel close with `signal` as `SIGTERM` etc. (or, on
 * connection loss, CONNECTION_LOST). As with any pipe, read stdout and stderr (or resume()
 * them): a program whose output nobody reads blocks once the SSH window fills, and never exits.
 */
export class SshProcess implements RemoteProcess {
  readonly stdin: ClientChannel;
  readonly stdout: Transform;
  readonly stderr: ClientChannel['stderr'];
  readonly exited: Promise<ProcessExit>;
  /** The remote pid (also its process group), once the marker line arrived; null if it never does. */
  readonly pid: Promise<number | null>;
  private resolveExit!: (exit: ProcessExit) => void;
  private resolvePid!: (pid: number | null) => void;
  private exitInfo: ProcessExit | undefined;
  /** Set as soon as the marker arrived, still readable after exit. */
  private knownPid: number | null = null;
  private done = false;
  private killing = false;

  /** @internal Created by {@link SshTransport.spawn}. */
  constructor(
    private readonly channel: ClientChannel,
    private readonly killGraceMs: number,
    private readonly signalRemote: (pid: number, sig: 'TERM' | 'KILL', groupOnly: boolean) => Promise<void>,
    private readonly isLost: () => boolean,
  ) {
    this.stdin = channel;
    this.stderr = channel.stderr;
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    this.pid = new Promise((resolve) => (this.resolvePid = resolve));
    this.stdout = new PidMarkerFilter((pid) => {
      this.knownPid ??= pid;
      this.resolvePid(pid);
    });
    channel.pipe(this.stdout);
    // Writes after the remote side closed fail; the exit status tells the story.
    channel.on('error', () => {});
    channel.on('exit', (code: number | null, signal?: string) => {
      this.exitInfo = { code: code ?? null, signal: code === null || code === undefined ? (signal ?? null) : null };
    });
    channel.on('close', () => {
      if (this.exitInfo) this.finish(this.exitInfo);
      else if (this.isLost()) this.finish(CONNECTION_LOST);
      else this.finish({ code: null, signal: null });
    });
  }

  kill(signal: 'TERM' | 'KILL' = 'TERM'): void {
    if (this.killing || this.done) return;
    this.killing = true;
    const send = async (sig: 'TERM' | 'KILL') => {
      const pid = await Promise.race([this.pid, this.exited.then(() => this.knownPid)]);
      // The second channel first: if the signal request killed the program first, its children
      // would lose their group leader before we signal the group (still possible, just later).
      if (pid !== null) await this.signalRemote(pid, sig, this.done);
      try {
        this.channel.signal(sig);
      } catch {
        // Channel already closing.
      }
    };
    void stopWithEscalation(send, this.exited, signal, this.killGraceMs).then(() => {
      if (!this.done) this.channel.close();
    });
  }

  /** @internal The connection is gone: nothing more will come. */
  connectionLost(): void {
    this.finish(CONNECTION_LOST);
  }

  private finish(exit: ProcessExit): void {
    if (this.done) return;
    this.done = true;
    this.resolvePid(null);
    this.resolveExit(exit);
  }
}

/** Drops everything up to and including the `ffs-lab-pid N` line and reports N. */
class PidMarkerFilter extends Transform {
  /** Bytes held back while looking for the marker; null once found (or given up). */
  private pending: Buffer | null = Buffer.alloc(0);
  /** Offset in `pending` up to which complete lines were already checked. */
  private scanned = 0;

  constructor(private readonly onPid: (pid: number | null) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.pending === null) return cb(null, chunk);
    const buf = Buffer.concat([this.pending, chunk]);
    for (;;) {
      const nl = buf.indexOf(0x0a, this.scanned);
      if (nl < 0) break;
      const line = buf.subarray(this.scanned, nl).toString('latin1');
      this.scanned = nl + 1;
      // Lines before the marker come from the login shell's rc files, not from the program: dropped.
      if (line.startsWith(PID_MARKER)) {
        this.pending = null;
        const pid = Number(line.slice(PID_MARKER.length));
        this.onPid(Number.isInteger(pid) && pid > 1 ? pid : null);
        const rest = buf.subarray(nl + 1);
        return cb(null, rest.length > 0 ? rest : undefined);
      }
    }
    if (buf.length > PID_MARKER_SCAN_LIMIT) return this.giveUp(buf, cb);
    this.pending = buf;
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.pending !== null && this.pending.length > 0) return this.giveUp(this.pending, cb);
    this.pending = null;
    this.onPid(null);
    cb();
  }

  /** No marker: the server did not run our prefix. Pass everything through unchanged. */
  private giveUp(buf: Buffer, cb: TransformCallback): void {
    this.pending = null;
    this.onPid(null);
    cb(null, buf);
  }
}
