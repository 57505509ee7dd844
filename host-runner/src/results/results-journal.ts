import * as fs from 'node:fs';
import type { RunResults, TestResult } from './results';

/** The journal's name in a report dir, beside results.json. */
export const JOURNAL_FILE = 'results.jsonl';

/** What is running: a test, a hook of each test (`before each`, `after each`), or a hook of a block (`before all`, `after all`). */
export type RunnableKind = 'test' | 'each-hook' | 'all-hook';

/**
 * One line of results.jsonl. `at` is the time it was written (ms since the epoch). A `result`
 * line may come twice for one test (same `index`): the later one wins (the per-test kernel check
 * can fail a test after its first result).
 */
export type JournalLine =
  | { event: 'run'; at: number; kernel: RunResults['kernel']; meta?: RunResults['meta']; startedAt: string }
  | { event: 'begin'; at: number; kind: RunnableKind; suite: string; name: string; id?: string }
  | { event: 'end'; at: number; suite: string; name: string }
  | { event: 'result'; at: number; index: number; result: TestResult }
  | { event: 'done'; at: number };

/** Distributes `Omit` over the union, so each line keeps its own fields. */
type WithoutAt<T> = T extends unknown ? Omit<T, 'at'> : never;

/**
 * results.jsonl, written as the run goes: one JSON line per event (the run's kernel, each test
 * or hook that begins, each result), each flushed to the file system before the run goes on, so
 * a run that hangs or is killed still leaves what it did (see results-recovery).
 *
 * Lifecycle: {@link create} truncates the file; {@link write} appends; {@link close} once at
 * the end. A write that fails (disk full, share gone) is reported once through `onError` and
 * ends journaling: the run itself goes on.
 */
export class ResultsJournal {
  private fd: number | undefined;

  private constructor(fd: number, private readonly onError: (err: Error) => void) {
    this.fd = fd;
  }

  /** Create (or truncate) `file`. Throws when it cannot be opened. */
  static create(file: string, onError: (err: Error) => void = () => undefined): ResultsJournal {
    return new ResultsJournal(fs.openSync(file, 'w'), onError);
  }

  /** Append one line and flush it (fdatasync): it is on the disk, or the host's over 9p, when this returns. */
  write(line: WithoutAt<JournalLine>): void {
    if (this.fd === undefined) return;
    try {
      fs.writeSync(this.fd, `${JSON.stringify({ ...line, at: Date.now() })}\n`);
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      this.close();
      this.onError(err as Error);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fs.closeSync(fd);
    } catch {
      // Closing a journal that could not be written: nothing more to lose.
    }
  }
}

/** The lines of a journal's text that parse as journal lines; a torn last line and any garbage are counted, not fatal. */
export function readJournal(text: string): { lines: JournalLine[]; unreadable: number } {
  const lines: JournalLine[] = [];
  let unreadable = 0;
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch {
      unreadable++;
      continue;
    }
    if (isJournalLine(obj)) lines.push(obj);
    else unreadable++;
  }
  return { lines, unreadable };
}

const str = (v: unknown): v is string => typeof v === 'string';
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const STATUSES = ['passed', 'failed', 'skipped', 'error'];

function isJournalLine(v: unknown): v is JournalLine {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  if (!num(o.at)) return false;
  switch (o.event) {
    case 'run': {
      const k = o.kernel as { release?: unknown; features?: { mmap?: unknown; dmabuf?: unknown } } | undefined;
      return str(o.startedAt) && !!k && str(k.release) && !!k.features && str(k.features.mmap) && str(k.features.dmabuf);
    }
    case 'begin':
      return (o.kind === 'test' || o.kind === 'each-hook' || o.kind === 'all-hook') && str(o.suite) && str(o.name);
    case 'end':
      return str(o.suite) && str(o.name);
    case 'result': {
      const r = o.result as Partial<TestResult> | undefined;
      return Number.isInteger(o.index) && (o.index as number) >= 0 && !!r && str(r.suite) && str(r.name) && STATUSES.includes(r.status as string) && num(r.durationMs);
    }
    case 'done':
      return true;
    default:
      return false;
  }
}
