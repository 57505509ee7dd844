import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode, usageError } from '@ffs-lab/contract/exit-codes';
import { formatDuration } from '@ffs-lab/host-util/progress';
import type { RunResults, Totals } from '../results/results';

/** bin/ffs-lab.js of this checkout (this file is host-runner/dist/src/run/parallel-targets.js). */
const CLI = path.resolve(__dirname, '..', '..', '..', '..', 'bin', 'ffs-lab.js');

/** How one target's run ended. */
export interface TargetOutcome {
  target: string;
  exitCode: number;
  reportDir: string;
  durationMs: number;
  /** From its results.json; absent when the run wrote none (unreachable, bad config...). */
  totals?: Totals;
  /** The run's last stderr line when it wrote no results. */
  error?: string;
}

/** Options of {@link runTargetsInParallel}. */
export interface ParallelTargets {
  /** Target names from the lab config. */
  targets: readonly string[];
  /** `ffs-lab run` options every target gets (no --target, no --report-dir). */
  runArgs: readonly string[];
  /** Each target's reports go to `<reportDir>/<target>/`; targets.json to reportDir. */
  reportDir: string;
  out?: NodeJS.WritableStream;
  /** Where the runs' stderr lines go (prefixed). Default stderr. */
  err?: NodeJS.WritableStream;
}

/**
 * Run several targets at once, one `ffs-lab run` process each (a run owns its process: the
 * mocha state, the lab context and the USB port confinement are per process), their output
 * lines prefixed with `[target]`, then one table. SIGINT and SIGTERM are passed on to every
 * run. Exit code: 130 if interrupted, else 3 if any run hit an infrastructure problem, else 1 if
 * any test failed, else 2 for a usage error, else 4 when every run skipped everything, else 0.
 */
export async function runTargetsInParallel(o: ParallelTargets): Promise<number> {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  const dirs = o.targets.map((t) => path.join(o.reportDir, t));
  for (const d of dirs) clearReportDir(d);
  const width = Math.max(...o.targets.map((t) => t.length));
  out.write(`run: ${o.targets.length} targets in parallel: ${o.targets.join(', ')}; reports in ${o.reportDir}/<target>/\n`);
  const children = new Set<ReturnType<typeof spawn>>();
  const forward = (sig: NodeJS.Signals) => {
    for (const c of children) c.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  let outcomes: TargetOutcome[];
  try {
    outcomes = await Promise.all(
      o.targets.map(async (target): Promise<TargetOutcome> => {
        const reportDir = path.join(o.reportDir, target);
        const started = Date.now();
        const child = spawn(process.execPath, [CLI, 'run', ...o.runArgs, '--target', target, '--report-dir', reportDir], { stdio: ['ignore', 'pipe', 'pipe'] });
        children.add(child);
        const prefix = `[${target.padEnd(width)}] `;
        let lastErr = '';
        prefixLines(child.stdout!, (l) => out.write(prefix + l + '\n'));
        prefixLines(child.stderr!, (l) => {
          if (l.trim()) lastErr = l;
          err.write(prefix + l + '\n');
        });
        const exitCode = await new Promise<number>((resolve) => {
          child.once('error', (e) => {
            lastErr = `cannot start ffs-lab run: ${e.message}`;
            resolve(ExitCode.Infrastructure);
          });
          child.once('close', (code, signal) => resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? ExitCode.Interrupted : ExitCode.Infrastructure)));
        });
        children.delete(child);
        const totals = totalsIn(reportDir);
        return { target, exitCode, reportDir, durationMs: Date.now() - started, ...(totals ? { totals } : { error: lastErr.replace(/^ffs-lab: /, '') }) };
      }),
    );
  } finally {
    process.removeListener('SIGINT', forward);
    process.removeListener('SIGTERM', forward);
  }
  const exitCode = combinedExitCode(outcomes.map((x) => x.exitCode));
  out.write(targetsTable(outcomes));
  try {
    fs.mkdirSync(o.reportDir, { recursive: true });
    fs.writeFileSync(path.join(o.reportDir, 'targets.json'), JSON.stringify({ exitCode, targets: outcomes }, null, 2) + '\n');
  } catch (e) {
    err.write(`run: cannot write ${path.join(o.reportDir, 'targets.json')}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
  }
  return exitCode;
}

/** The worst of several runs' exit codes (see runTargetsInParallel). */
export function combinedExitCode(codes: readonly number[]): number {
  for (const c of [ExitCode.Interrupted, ExitCode.Infrastructure, ExitCode.TestFailed, ExitCode.Usage]) if (codes.includes(c)) return c;
  if (codes.some((c) => ![ExitCode.Ok, ExitCode.AllSkipped].includes(c))) return ExitCode.Infrastructure;
  return codes.length > 0 && codes.every((c) => c === ExitCode.AllSkipped) ? ExitCode.AllSkipped : ExitCode.Ok;
}

/** The end-of-run table: one line per target. */
export function targetsTable(outcomes: readonly TargetOutcome[]): string {
  const verdict: Record<number, string> = { 0: 'passed', 1: 'FAILED', 2: 'USAGE', 3: 'INFRA', 4: 'all skipped', 130: 'interrupted' };
  const rows = outcomes.map((x) => [
    x.target,
    verdict[x.exitCode] ?? `exit ${x.exitCode}`,
    x.totals ? String(x.totals.passed) : '-',
    x.totals ? String(x.totals.failed + x.totals.errors) : '-',
    x.totals ? String(x.totals.skipped) : '-',
    formatDuration(x.durationMs / 1000),
    x.totals ? x.reportDir : (x.error ?? 'no results'),
  ]);
  const head = ['target', 'result', 'passed', 'failed', 'skipped', 'time', 'reports'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return ['', line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ''].join('\n');
}

/** Files a run writes into its report dir: a directory holding only these is an earlier run's, safe to clear. */
const REPORT_FILES = /^(results\.(json|jsonl|ktap)|junit\.xml|serial\.log|kernel-check\.txt|doctor\.json|cpu-prof)$/;

/** Empty an earlier run's report dir; refuse (exit 2) to touch a directory that holds anything else. */
function clearReportDir(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw usageError(`run: cannot use ${dir} as a report dir: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const foreign = names.filter((n) => !REPORT_FILES.test(n));
  if (foreign.length > 0) throw usageError(`run: ${dir} holds files that are not an earlier run's reports (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}); give another --report-dir`);
  fs.rmSync(dir, { recursive: true, force: true });
}

function totalsIn(dir: string): Totals | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as RunResults).totals;
  } catch {
    return undefined;
  }
}

/** Call `each` with every whole line of `stream` (and the last partial one at its end). */
function prefixLines(stream: NodeJS.ReadableStream, each: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8'); // characters split across chunks are joined, not mangled
  stream.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      each(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  stream.on('end', () => {
    if (buf) each(buf);
  });
}
