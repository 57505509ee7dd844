/**
 * One line of progress for long work (kernel builds, boots). On a terminal the line is
 * rewritten in place; elsewhere (CI logs) a line is printed at most every `intervalMs`.
 */
export class Progress {
  private lastPrinted = 0;
  private lastText = '';
  private readonly tty: boolean;

  /** @param intervalMs minimum time between lines when not on a TTY (default 20 s). */
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly intervalMs = 20_000) {
    this.tty = Boolean(stream.isTTY) && process.env.CI !== 'true';
  }

  /** Report the current state; cheap to call often. */
  update(text: string): void {
    this.lastText = text;
    const now = Date.now();
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${text}`);
    } else if (now - this.lastPrinted >= this.intervalMs) {
      this.stream.write(`${text}\n`);
      this.lastPrinted = now;
    }
  }

  /** End the progress line with a final message. */
  done(text: string): void {
    if (this.tty && this.lastText) this.stream.write('\r\x1b[2K');
    this.stream.write(`${text}\n`);
    this.lastText = '';
  }
}

/** Format seconds as `4m53s` or `12s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
