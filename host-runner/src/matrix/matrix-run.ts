import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import type { RunResults } from '../results/results';
import { checkLabHost, labArchOf, runLab, type LabRunOptions } from '../lab/lab-run';
import { selectSuites } from '../suite-runner/suite-catalog';
import { checkSelection } from '../suite-runner/test-list';
import { columnLabel, type MatrixColumn } from './matrix-column';
import { buildMatrix, failedColumn, kernelColumn, type MatrixKernel, type MatrixReport } from './matrix-report';
import { matrixHtml } from './matrix-html';
import { formatDuration } from '@ffs-lab/host-util/progress';

/** Options of a matrix run: the lab options of every run, minus the kernel and report dir. */
export interface MatrixOptions extends Omit<LabRunOptions, 'kernel' | 'reportDir' | 'shell' | 'compat'> {
  kernels: MatrixColumn[];
  /** Each kernel's reports go to `<reportDir>/<kernel>/`; matrix.json and matrix.html to reportDir. */
  reportDir: string;
}

/** The directory name of a column's reports. */
export function kernelDirName(column: MatrixColumn): string {
  return columnLabel(column).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'kernel';
}

/**
 * Run the lab once per kernel, one after another (the VM takes the machine), and collect each
 * run's results into one report. A kernel whose run fails to produce results (build failure,
 * refused image, hung guest) becomes a column with the reason; the others still run. Ctrl-C
 * stops the matrix after the current kernel's VM is gone.
 */
export async function runMatrix(opts: MatrixOptions, log: (line: string) => void): Promise<{ report: MatrixReport; interrupted: boolean }> {
  const started = new Date();
  // What no kernel can fix (unknown suites, missing packages, a bad checkout path) fails the matrix once, exit 2.
  const suites = selectSuites(opts.suites);
  checkSelection('matrix', suites, opts.select);
  for (const arch of new Set(opts.kernels.map((c) => labArchOf(c.kernel)))) await checkLabHost(log, arch, suites);
  const columns: MatrixKernel[] = [];
  let interrupted = false;
  for (const [i, column] of opts.kernels.entries()) {
    const label = columnLabel(column);
    const dir = path.join(opts.reportDir, kernelDirName(column));
    fs.rmSync(dir, { recursive: true, force: true });
    log(`matrix: kernel ${i + 1}/${opts.kernels.length}: ${label}`);
    const t0 = Date.now();
    let code: number;
    try {
      code = await runLab({ ...opts, kernel: column.kernel, ...(column.compat ? { compat: column.compat } : {}), reportDir: dir, shell: false });
    } catch (err) {
      if (!(err instanceof LabError)) throw err;
      columns.push(failedColumn(label, dir, err.exitCode, err.message, Date.now() - t0));
      log(`matrix: ${label}: no results: ${err.message}`);
      continue;
    }
    if (code === ExitCode.Interrupted) {
      interrupted = true;
      columns.push(failedColumn(label, dir, code, 'interrupted', Date.now() - t0));
      break;
    }
    const file = path.join(dir, 'results.json');
    if (!fs.existsSync(file)) {
      columns.push(failedColumn(label, dir, code, `the run ended with exit code ${code} and wrote no results.json`, Date.now() - t0));
      continue;
    }
    const col = kernelColumn(label, dir, code, JSON.parse(fs.readFileSync(file, 'utf8')) as RunResults);
    columns.push(col);
    log(`matrix: ${label}: ${col.totals.passed} passed, ${col.totals.failed + col.totals.errors} failed, ${col.totals.skipped} skipped in ${formatDuration((Date.now() - t0) / 1000)}`);
  }
  return { report: buildMatrix(columns, started, Date.now() - started.getTime()), interrupted };
}

/** Write matrix.json and matrix.html into `dir`; returns their paths. */
export function writeMatrix(dir: string, report: MatrixReport): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'matrix.json');
  const html = path.join(dir, 'matrix.html');
  fs.writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(html, matrixHtml(report));
  return [json, html];
}
