import * as path from 'node:path';
import { ExitCode, usageError } from '@ffs-lab/contract/exit-codes';
import type { Verb } from '../options';
import { selected, SELECTION_OPTIONS } from '../../suite-runner/test-selection';
import { positiveInt, RETRIES_OPTION, retriesOf, WAIVERS_OPTION, waiversOf } from './verb-args';
import { COLUMN_NAMES, parseMatrixColumn } from '../../matrix/matrix-column';
import { runMatrix, writeMatrix } from '../../matrix/matrix-run';
import { matrixText } from '../../matrix/matrix-table';
import { selectSuites } from '../../suite-runner/suite-catalog';

/** `ffs-lab matrix`: the suites on several kernels, one table. */
export const matrixVerb: Verb = {
  name: 'matrix',
  summary: 'Run the suites in the lab on several kernels, one after another, and print one table (suite x kernel: passed/failed/skipped, skip reasons grouped); write matrix.json and matrix.html.',
  options: [
    { name: 'kernels', type: 'string', metavar: 'LIST', description: `comma-separated columns: kernel variants and arm64-compat (${COLUMN_NAMES.join(', ')}), tree:DIR, image:FILE` },
    { name: 'suite', type: 'string', multiple: true, metavar: 'NAME', description: 'run only this suite on every kernel (see `ffs-lab suites`); default: all' },
    ...SELECTION_OPTIONS,
    { name: 'report-dir', type: 'string', metavar: 'DIR', default: 'matrix-results', description: 'matrix.json and matrix.html here, each kernel\'s reports in a subdirectory' },
    { name: 'accel', type: 'string', choices: ['auto', 'tcg', 'kvm'], default: 'auto', description: 'VM accelerator' },
    { name: 'timeout', type: 'string', metavar: 'SEC', default: '900', description: 'kill one kernel\'s VM after this many seconds' },
    { name: 'memory', type: 'string', metavar: 'MIB', default: '2048', description: 'guest memory' },
    { name: 'cpus', type: 'string', metavar: 'N', default: '2', description: 'guest CPUs' },
    { name: 'verbose', type: 'boolean', description: 'show kernel messages on the console' },
    RETRIES_OPTION,
    WAIVERS_OPTION,
  ],
  details: `Kernels that are not cached are built first (about 5 minutes each on 2 cores). A kernel
that cannot be built or booted, or that lacks a lab requirement, gets a column saying why and the
others still run. Skipped tests never fail the matrix: each is listed under its reason.
Exit codes: 0 no kernel had a failure, 1 a kernel had a failed test or no results, 2 usage,
130 interrupted.`,
  async run(args) {
    const v = args.values;
    if (typeof v.kernels !== 'string' || !v.kernels.trim()) throw usageError('matrix: --kernels is required, e.g. --kernels vanilla-6.1,vanilla,patched');
    const kernels = v.kernels.split(',').filter((t) => t.trim()).map(parseMatrixColumn);
    if (kernels.length === 0) throw usageError(`matrix: --kernels '${v.kernels}' names no kernel`);
    const suites = (v.suite as string[] | undefined) ?? [];
    selectSuites(suites);
    const reportDir = path.resolve(v['report-dir'] as string);
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const { report, interrupted } = await runMatrix(
      {
        kernels,
        suites,
        ...selected('matrix', v),
        reportDir,
        accel: v.accel as 'auto' | 'tcg' | 'kvm',
        timeoutSec: positiveInt('matrix', 'timeout', v.timeout),
        memoryMiB: positiveInt('matrix', 'memory', v.memory),
        cpus: positiveInt('matrix', 'cpus', v.cpus),
        verbose: Boolean(v.verbose),
        retries: retriesOf('matrix', v.retries),
        ...waiversOf(v),
      },
      log,
    );
    const files = writeMatrix(reportDir, report);
    process.stdout.write(`\n${matrixText(report)}`);
    process.stdout.write(`matrix: wrote ${files.join(', ')}\n`);
    if (interrupted) return ExitCode.Interrupted;
    return report.passed ? ExitCode.Ok : ExitCode.TestFailed;
  },
};
