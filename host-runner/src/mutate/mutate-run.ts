import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import { MutantBuilder } from '@ffs-lab/fixtures/kernel/mutant-build';
import type { Mutant } from '@ffs-lab/fixtures/kernel/mutant';
import type { KernelImage } from '@ffs-lab/fixtures/kernel/kernel-build';
import { formatDuration } from '@ffs-lab/host-util/progress';
import type { RunResults } from '../results/results';
import { checkLabHost, runLab, type LabRunOptions } from '../lab/lab-run';
import { selectSuites } from '../suite-runner/suite-catalog';
import { campaignPassed, mutateHtml, rowFromResults, rowWithoutResults, totalsOf, type MutantRow, type MutateReport } from './mutate-report';

/** Options of a campaign: the lab options of every run, minus what the campaign chooses. */
export interface MutateOptions extends Pick<LabRunOptions, 'accel' | 'timeoutSec' | 'memoryMiB' | 'cpus'> {
  mutants: Mutant[];
  /** Each mutant's reports go to `<reportDir>/<mutant>/`; mutate.json and mutate.html to reportDir. */
  reportDir: string;
  /** First run the mutants' suites on the unmutated kernel; a failure there stops the campaign (its verdicts would mean nothing). */
  baseline?: boolean;
}

/**
 * The campaign: for each mutant, build its kernel from the prepared tree (incrementally), boot
 * it in the lab with the suites that claim its rule, and record whether a test failed, which,
 * and whether the failure stayed in its tests. Mutants run one after another (the VM and the
 * compiler take the machine); Ctrl-C stops after the current one.
 */
export async function runMutate(opts: MutateOptions, log: (line: string) => void): Promise<{ report: MutateReport; interrupted: boolean }> {
  const started = new Date();
  for (const m of opts.mutants) selectSuites(m.suites); // an unknown suite fails before anything is built
  await checkLabHost(log, 'x86_64', selectSuites([...new Set(opts.mutants.flatMap((m) => m.suites))]));
  const builder = await MutantBuilder.open({ log });
  const rows: MutantRow[] = [];
  let interrupted = false;
  let baseline: MutateReport['baseline'];
  try {
    if (opts.baseline) {
      const suites = [...new Set(opts.mutants.flatMap((m) => m.suites))];
      log(`mutate: baseline: ${suites.join(', ')} on the unmutated kernel`);
      const run = await labRun(opts, builder.baseline, suites, path.join(opts.reportDir, 'baseline'));
      if (run.code === ExitCode.Interrupted) return { report: report(), interrupted: true };
      const failed = run.results?.tests.filter((t) => t.status === 'failed' || t.status === 'error').map((t) => t.id ?? t.name) ?? [run.error ?? `exit ${run.code}`];
      baseline = { passed: Boolean(run.results) && !run.error && failed.length === 0, failed, ran: run.results?.tests.filter((t) => t.status !== 'skipped').length ?? 0 };
      if (!baseline.passed) {
        log(`mutate: the unmutated kernel fails its suites (${failed.slice(0, 3).join(', ')}): no mutant can be judged; stopping`);
        return { report: report(), interrupted };
      }
    }
    for (const [i, m] of opts.mutants.entries()) {
      log(`mutate: ${i + 1}/${opts.mutants.length}: ${m.name} (${m.rule}): ${m.what}`);
      const t0 = Date.now();
      let kernel: KernelImage;
      try {
        kernel = await builder.build(m);
      } catch (err) {
        if (!(err instanceof LabError)) throw err;
        rows.push(rowWithoutResults(m, 'invalid', err.message, (Date.now() - t0) / 1000, 0));
        log(`mutate: ${m.name}: invalid: ${err.message}`);
        continue;
      }
      const buildSec = kernel.reused ? 0 : (Date.now() - t0) / 1000;
      const t1 = Date.now();
      const dir = path.join(opts.reportDir, m.name);
      const run = await labRun(opts, kernel, m.suites, dir, m.append);
      const runSec = (Date.now() - t1) / 1000;
      if (run.code === ExitCode.Interrupted) {
        interrupted = true;
        break;
      }
      const row = run.results ? rowFromResults(m, run.results, buildSec, runSec, dir, run.error) : rowWithoutResults(m, 'no-results', run.error ?? `the run ended with exit code ${run.code} and wrote no results.json`, buildSec, runSec);
      rows.push(row);
      log(`mutate: ${m.name}: ${row.outcome}${row.outcome === 'caught' ? ` by ${row.failed.length} test(s), first ${row.failed[0]}${row.clean ? '' : '; later tests had hook errors (spill)'}` : ''} (${formatDuration(buildSec)} build, ${formatDuration(runSec)} run)`);
    }
  } finally {
    builder.close();
  }
  return { report: report(), interrupted };

  function report(): MutateReport {
    const r = builder.baseline;
    return { startedAt: started.toISOString(), durationMs: Date.now() - started.getTime(), base: { variant: r.variant, release: r.release, patches: r.patches ?? [] }, ...(baseline ? { baseline } : {}), mutants: rows, totals: totalsOf(rows) };
  }
}

/** One lab run of `suites` on `kernel`, reports in `dir`: its exit code and results, or why there are none. */
async function labRun(opts: MutateOptions, kernel: KernelImage, suites: string[], dir: string, bootArgs: string[] = []): Promise<{ code: number; results?: RunResults; error?: string }> {
  fs.rmSync(dir, { recursive: true, force: true });
  let code: number;
  try {
    code = await runLab({ kernel: { kind: 'built', kernel }, suites, reportDir: dir, bootArgs, accel: opts.accel, timeoutSec: opts.timeoutSec, memoryMiB: opts.memoryMiB, cpus: opts.cpus, shell: false, verbose: false });
  } catch (err) {
    if (!(err instanceof LabError)) throw err;
    // A hung or panicking mutant may still have left partial results (the test that was running is an error).
    const partial = readResults(dir);
    return { code: err.exitCode, error: err.message, ...(partial ? { results: partial } : {}) };
  }
  const results = readResults(dir);
  return { code, ...(results ? { results } : {}) };
}

function readResults(dir: string): RunResults | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as RunResults;
  } catch {
    return undefined;
  }
}

/**
 * An earlier campaign's report (`<dir>/mutate.json`) judged again from its mutants' lab reports
 * (`results.json` in each one's subdirectory): for a changed verdict rule, or a page lost. Rows
 * without results stay as they were.
 */
export function redrawMutate(dir: string, mutants: readonly Mutant[]): MutateReport {
  let old: MutateReport;
  try {
    old = JSON.parse(fs.readFileSync(path.join(dir, 'mutate.json'), 'utf8')) as MutateReport;
  } catch (err) {
    throw new LabError(`mutate --results: cannot read ${path.join(dir, 'mutate.json')}: ${(err as Error).message}`, ExitCode.Usage);
  }
  const rows = old.mutants.map((row) => {
    const m = mutants.find((x) => x.name === row.name);
    const results = readResults(path.join(dir, row.name));
    // The kernel it ran on stays what it was (the mutant's file may name another variant since).
    return m && results ? { ...rowFromResults(m, results, row.buildSec, row.runSec, path.join(dir, row.name), row.stopped), kernel: row.kernel ?? results.kernel.variant ?? 'patched' } : row;
  });
  return { ...old, mutants: rows, totals: totalsOf(rows) };
}

/** Write mutate.json and mutate.html into `dir`; returns their paths. */
export function writeMutate(dir: string, report: MutateReport): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'mutate.json');
  const html = path.join(dir, 'mutate.html');
  fs.writeFileSync(json, JSON.stringify({ ...report, passed: campaignPassed(report) }, null, 2) + '\n');
  fs.writeFileSync(html, mutateHtml(report));
  return [json, html];
}
