import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import type { TestResult } from './results';
import type { JournalLine } from './results-journal';
import { lavaCases, lavaHelperArgv, lavaSetName, lavaSignalLine, type LavaSignal } from './lava-signals';

/** Where signals go: printed as the helper scripts print them, or through the helpers themselves. */
export type LavaEmitter = (signal: LavaSignal) => void;

/**
 * Turns the run's journal (results.jsonl lines, as they are written) into LAVA signals as each
 * test finishes: a test set per suite, a case per test and per measurement. A test's result is
 * sent when the next test begins (or another result, or the end, arrives), not at once: the
 * per-test kernel check, a root hook that runs after the block's own `afterEach` hooks, may still
 * fail a test that had passed (a second result line for the same test).
 *
 * Lifecycle: {@link line} for each journal line, in order; {@link finish} once, with the test
 * that never finished (a hang, a killed run) if any; {@link raise} on an infrastructure error.
 */
export class LavaReporter {
  private pending: { index: number; result: TestResult } | undefined;
  private set: string | undefined;
  /** Results sent, by LAVA result: the counts a LAVA job's results page shows for the tests. */
  readonly sent = { pass: 0, fail: 0, skip: 0, unknown: 0 };

  constructor(private readonly emit: LavaEmitter) {}

  /** One journal line, in order. Hook lines between a test's result and the next test send nothing. */
  line(l: JournalLine): void {
    if (l.event === 'result') {
      if (this.pending?.index !== l.index) this.flush();
      this.pending = { index: l.index, result: l.result };
    } else if ((l.event === 'begin' && l.kind === 'test') || l.event === 'done') {
      this.flush();
    }
  }

  /** End of the run: send what is pending, the unfinished test (as a failure), and close the set. */
  finish(unfinished?: TestResult): void {
    this.flush();
    if (unfinished) this.send(unfinished);
    if (this.set !== undefined) this.emit({ kind: 'set-stop' });
    this.set = undefined;
  }

  /** An infrastructure error (exit 3): LAVA ends the test shell with a TestError carrying it. */
  raise(message: string): void {
    this.emit({ kind: 'raise', message });
  }

  private flush(): void {
    if (!this.pending) return;
    const { result } = this.pending;
    this.pending = undefined;
    this.send(result);
  }

  private send(r: TestResult): void {
    const set = lavaSetName(r.suite);
    if (set !== this.set) {
      if (this.set !== undefined) this.emit({ kind: 'set-stop' });
      this.emit({ kind: 'set-start', name: set });
      this.set = set;
    }
    const cases = lavaCases(r);
    this.sent[cases[0]!.result]++;
    for (const c of cases) this.emit(c);
  }
}

/** Print each signal as a line on `out` (what LAVA's helpers print, without their result files). */
export function printingEmitter(out: NodeJS.WritableStream): LavaEmitter {
  return (s) => void out.write(`${lavaSignalLine(s)}\n`);
}

/**
 * Run LAVA's own helper scripts (lava-test-case, lava-test-set, lava-test-raise), which a LAVA
 * test shell puts on PATH: they print the signal (or send it to /dev/kmsg, as the job asks) and
 * keep the results under $LAVA_RESULT_DIR. A helper that fails has its signal printed instead.
 */
export function helperEmitter(out: NodeJS.WritableStream): LavaEmitter {
  const print = printingEmitter(out);
  return (s) => {
    const [cmd, ...args] = lavaHelperArgv(s);
    const r = spawnSync(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    if (r.stdout) out.write(r.stdout);
    // lava-test-raise exits 1 by design, after signalling.
    if (r.error || (r.status !== 0 && s.kind !== 'raise')) print(s);
  };
}

/** Whether LAVA's helpers are on PATH (a LAVA test shell). */
export function lavaHelpersOnPath(envPath = process.env.PATH ?? ''): boolean {
  return envPath.split(path.delimiter).some((d) => d !== '' && isExecutable(path.join(d, 'lava-test-case')));
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The emitter for this process: LAVA's helpers inside a LAVA test shell, else printed lines. */
export function lavaEmitter(out: NodeJS.WritableStream = process.stdout): LavaEmitter {
  return lavaHelpersOnPath() ? helperEmitter(out) : printingEmitter(out);
}

/**
 * Run a verb's work with the LAVA reporter (when there is one) and end its signals as LAVA
 * needs: the open test set closed, and `lava-test-raise` when the run ends on an infrastructure
 * error (exit 3, or a LabError of it), so the LAVA job shows an infrastructure failure, not a
 * short list of passes.
 */
export async function withLava(lava: LavaReporter | undefined, run: () => Promise<number>): Promise<number> {
  if (!lava) return run();
  try {
    const code = await run();
    lava.finish();
    if (code === ExitCode.Infrastructure) lava.raise('ffs-lab: infrastructure error (exit 3): some tests could not be judged; see the log');
    return code;
  } catch (err) {
    lava.finish();
    if (err instanceof LabError && err.exitCode === ExitCode.Infrastructure) lava.raise(`ffs-lab: ${err.message}`);
    throw err;
  }
}
