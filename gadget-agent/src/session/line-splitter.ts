/** What the splitter hands on: a whole line, or the news that a line was too long (and dropped). */
export type SplitLine = { line: string } | { overlong: number };

/**
 * Splits a byte stream into newline-terminated lines without ever holding more than `maxBytes`
 * of one: past the limit the rest of that line is discarded as it arrives, up to its newline, and
 * the line is reported once as overlong. A trailing `\r` is dropped (CRLF peers).
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  /** Bytes of the current line seen so far, kept or not. */
  private seen = 0;
  /** The current line's last byte so far was a CR. */
  private lastCr = false;

  /** @param maxBytes longest line kept, newline excluded (bytes). */
  constructor(private readonly maxBytes: number) {}

  /** Feed a chunk; returns the lines it completed, in order. */
  push(chunk: Buffer): SplitLine[] {
    const out: SplitLine[] = [];
    let start = 0;
    while (start <= chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      this.keep(chunk.subarray(start, end));
      if (nl < 0) break;
      out.push(this.finish());
      start = nl + 1;
    }
    return out;
  }

  /** At EOF: the last line when it had no newline (nothing when it was empty). */
  end(): SplitLine[] {
    return this.seen > 0 ? [this.finish()] : [];
  }

  private keep(bytes: Buffer): void {
    this.seen += bytes.length;
    if (bytes.length) this.lastCr = bytes[bytes.length - 1] === 0x0d;
    // One byte over the limit is kept: it may be the CR of a CRLF.
    const room = this.maxBytes + 1 - this.held;
    if (room <= 0 || bytes.length === 0) return;
    const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
    // Copy: a subarray would pin the whole chunk it came from.
    this.parts.push(Buffer.from(kept));
    this.held += kept.length;
  }

  private finish(): SplitLine {
    const seen = this.seen;
    const cr = this.lastCr;
    const text = Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    this.held = 0;
    this.seen = 0;
    this.lastCr = false;
    // A CR ending the line is its terminator, not a byte of it (also right at the limit).
    if (seen - (cr ? 1 : 0) > this.maxBytes) return { overlong: seen };
    return { line: cr ? text.slice(0, -1) : text };
  }
}
