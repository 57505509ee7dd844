/** Lines kept from the start of a program's output (where its first report usually is). */
export const HEAD_LINES = 1000;
/** Lines kept from the end of a program's output (what it was doing last). */
export const TAIL_LINES = 200;

/**
 * The output a program wrote, as whole lines, bounded: the first HEAD_LINES and the last
 * TAIL_LINES, with one marker line saying how many were dropped between them.
 *
 * A report followed by a long dump (ffs-test prints "bad OUT byte" and then 256 lines of hex)
 * must survive the dump, so the head is kept rather than only a ring of the last lines; and a
 * line that arrives in several pipe reads (ffs-test's stderr is unbuffered: prefix, message and
 * newline are separate writes) is joined before it is kept, so a search for it cannot miss.
 */
export class ProgramOutput {
  private readonly head: string[] = [];
  private readonly tail: string[] = [];
  private dropped = 0;
  private readonly partial = new Map<string, string>();

  constructor(
    private readonly headLines = HEAD_LINES,
    private readonly tailLines = TAIL_LINES,
  ) {}

  /** Add a chunk read from `stream` (e.g. 'stdout'); a line without its newline waits for the rest. */
  write(stream: string, chunk: string): void {
    const text = (this.partial.get(stream) ?? '') + chunk;
    const lines = text.split('\n');
    this.partial.set(stream, lines.pop()!);
    for (const line of lines) this.keep(line);
  }

  /** Keep one whole line (e.g. the agent's own note about the program). */
  line(text: string): void {
    this.keep(text);
  }

  /** Keep every unfinished line as it is (the program has exited). */
  end(): void {
    for (const [stream, rest] of this.partial) {
      if (rest) this.keep(rest);
      this.partial.delete(stream);
    }
  }

  /** The kept lines, in order; a marker line stands where lines were dropped. */
  lines(): string[] {
    if (this.dropped === 0) return [...this.head, ...this.tail];
    return [...this.head, `[... ${this.dropped} line(s) not kept ...]`, ...this.tail];
  }

  private keep(line: string): void {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (!text) return;
    if (this.head.length < this.headLines) {
      this.head.push(text);
      return;
    }
    this.tail.push(text);
    if (this.tail.length > this.tailLines) {
      this.tail.shift();
      this.dropped++;
    }
  }
}
