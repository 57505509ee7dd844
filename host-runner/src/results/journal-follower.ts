import * as fs from 'node:fs';
import { readJournal, type JournalLine } from './results-journal';

/** How often the file is looked at: ms. */
const POLL_MS = 250;

/**
 * Follows a results.jsonl that another process writes (the runner inside the lab's VM, over the
 * share) and hands each complete line to `onLine`, in order, as it appears; a line still being
 * written waits for its newline. The file may not exist yet.
 *
 * Lifecycle: {@link start} once; {@link stop} once at the end, which reads what is left.
 */
export class JournalFollower {
  private offset = 0;
  /** Bytes after the last newline: a line still being written (maybe mid-character). */
  private rest = Buffer.alloc(0);
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly file: string, private readonly onLine: (line: JournalLine) => void) {}

  /** Begin polling (the timer does not keep the process alive). */
  start(): void {
    this.timer = setInterval(() => this.poll(), POLL_MS);
    this.timer.unref();
  }

  /** Stop polling, after handing over every complete line written so far. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.poll();
  }

  private poll(): void {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      const size = fs.fstatSync(fd).size;
      // A journal written anew (the guest truncated it): start over.
      if (size < this.offset) [this.offset, this.rest] = [0, Buffer.alloc(0)];
      if (size === this.offset) return;
      const buf = Buffer.alloc(size - this.offset);
      const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      const bytes = Buffer.concat([this.rest, buf.subarray(0, n)]);
      const end = bytes.lastIndexOf(0x0a);
      this.rest = bytes.subarray(end + 1);
      if (end < 0) return;
      for (const line of readJournal(bytes.subarray(0, end + 1).toString('utf8')).lines) this.onLine(line);
    } finally {
      fs.closeSync(fd);
    }
  }
}
