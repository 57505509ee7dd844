import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Verb } from '../options';
import { infraError, usageError } from '@ffs-lab/contract/exit-codes';
import { ARCH_OPTIONS, archKernelChoice, KERNEL_OPTIONS } from './kernel-options';
import { labArchOf, runLab } from '../../lab/lab-run';
import { runOnTarget } from '../../run/run-on-target';
import { BENCH_SUITE, selectSuites } from '../../suite-runner/suite-catalog';
import type { RunResults } from '../../results/results';
import { ensureCPair } from '../../bench/c-pair';
import { buildBenchReport } from '../../bench/bench-report';
import { benchText } from '../../bench/bench-table';
import { writeBenchOutputs } from '../../bench/bench-output';
import { BENCH_DEPTHS } from '../../bench/bench-case';
import { positiveInt } from './verb-args';
import { reachableTarget, TARGET_OPTIONS } from './target-options';


/** `ffs-lab bench`: the I/O-mode benchmark (ours vs the C pair), then tables, charts and ratios. */
export const benchVerb: Verb = {
  name: 'bench',
  summary: 'Benchmark every I/O mode (throughput, CPU per GiB) for our stack and the C reference pair, in the lab VM or on a target; write a table, bench.json, SVG charts and index.html.',
  options: [
    { name: 'target', type: 'string', metavar: 'ssh://USER@HOST[:PORT]|local|NAME', description: 'bench a target instead of the embedded lab (as for `run`; the agent must be deployed there)' },
    ...TARGET_OPTIONS.filter((o) => o.name !== 'target'),
    ...[...KERNEL_OPTIONS, ...ARCH_OPTIONS].map((o) => ({ ...o, description: `lab only: ${o.description}` })),
    { name: 'accel', type: 'string', choices: ['auto', 'tcg', 'kvm'], default: 'auto', description: 'lab only: VM accelerator' },
    { name: 'timeout', type: 'string', metavar: 'SEC', default: '1800', description: 'lab: kill the VM after this many seconds; target: time limit of one test' },
    { name: 'memory', type: 'string', metavar: 'MIB', default: '2048', description: 'lab only: guest memory' },
    { name: 'cpus', type: 'string', metavar: 'N', default: '2', description: 'lab only: guest CPUs' },
    { name: 'verbose', type: 'boolean', description: 'lab only: show kernel messages on the console' },
    { name: 'cpu-prof', type: 'boolean', description: 'lab only: write V8 CPU profiles of the runner and of every agent into <report dir>/cpu-prof/ (to see where a stream\'s time goes; the profiler slows both)' },
    { name: 'grep', type: 'string', metavar: 'REGEX', description: "bench only the cases whose full title matches, e.g. 'rep 1, .*aio, 64 KiB'" },
    { name: 'report-dir', type: 'string', metavar: 'DIR', default: 'bench-results', description: 'where results.json, bench.json, bench-in.svg, bench-out.svg and index.html go' },
    { name: 'results', type: 'string', metavar: 'FILE', description: 'run nothing: make the table, charts and page from this results.json of an earlier bench run' },
    { name: 'chart-depth', type: 'string', metavar: 'N', default: '8', description: `queue depth the charts show (${BENCH_DEPTHS.join(', ')}); the table has every depth` },
  ],
  details: `Grid: direction (IN, OUT) x mode (copy, aio, mmap, and dmabuf when attach works) x transfer
size (16 KiB, 64 KiB, 1 MiB) x depth (1, 8, 32), each for our stack and for the C pair
(bench/src, built with gcc into the cache; needs libusb-1.0-0-dev and zlib1g-dev), 3 repetitions
interleaved (5, with 4x longer streams, with FFS_LAB_PROFILE=nightly). About 10 minutes on a
2-core TCG lab. Ratios are printed last: ours / C per mode, mmap / copy per direction.
On a board the C gadget must be built there: set FFS_LAB_BENCH_GADGET to its path. With
--arch arm64 the pair is cross-built (gcc-aarch64-linux-gnu, against the guest's root); emulated
arm64 figures show where time goes, not what a board does.
Exit codes: as for lab/run (0 all cases ran, 1 a case failed, 2 usage, 3 infrastructure).`,
  async run(args) {
    const v = args.values;
    const reportDir = path.resolve(v['report-dir'] as string);
    const chartDepth = positiveInt('bench', 'chart-depth', v['chart-depth']);
    if (!BENCH_DEPTHS.includes(chartDepth)) throw usageError(`bench: --chart-depth must be one of ${BENCH_DEPTHS.join(', ')} (got ${chartDepth})`);
    const conditions: Record<string, string | number> = {};
    let code = 0;
    let resultsFile: string;
    if (typeof v.results === 'string') {
      // The machine facts of an earlier run are not known here; only where the figures came from.
      resultsFile = path.resolve(v.results);
      conditions.source = resultsFile;
    } else {
      conditions['host machine'] = `${os.hostname()}: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}`;
      conditions['load average at start'] = os.loadavg().map((x) => x.toFixed(2)).join(' ');
      conditions.profile = process.env.FFS_LAB_PROFILE ?? 'quick';
      const timeoutSec = positiveInt('bench', 'timeout', v.timeout);
      const onTarget = typeof v.target === 'string' || typeof v.config === 'string';
      if (onTarget && v['cpu-prof']) throw usageError('bench: --cpu-prof works in the embedded lab only (on a target, start the agent with node --cpu-prof through agent.command)');
      const kernel = onTarget ? undefined : archKernelChoice('bench', args);
      // The runner (host side) runs the C host; the x86_64 lab VM finds this build in the host's
      // cache (an arm64 lab cross-builds its own).
      if (!kernel || labArchOf(kernel) !== 'arm64') await ensureCPair((line) => process.stderr.write(`${line}\n`));
      if (onTarget) {
        const target = await reachableTarget('bench', args);
        conditions.target = target.name;
        code = await runOnTarget({ target, suites: selectSuites([BENCH_SUITE]), ...(v.grep ? { select: { grep: v.grep as string } } : {}), reportDir, testTimeoutMs: timeoutSec * 1000, label: 'bench' });
      } else {
        conditions.target = `embedded lab VM (${positiveInt('bench', 'cpus', v.cpus)} vCPU, ${positiveInt('bench', 'memory', v.memory)} MiB, accel ${v.accel as string}; host and gadget share the VM)`;
        code = await runLab({
          kernel: kernel!,
          ...(v.compat === 'armhf' ? { compat: 'armhf' as const } : {}),
          suites: [BENCH_SUITE],
          ...(v.grep ? { select: { grep: v.grep as string } } : {}),
          reportDir,
          accel: v.accel as 'auto' | 'tcg' | 'kvm',
          timeoutSec,
          memoryMiB: positiveInt('bench', 'memory', v.memory),
          cpus: positiveInt('bench', 'cpus', v.cpus),
          shell: false,
          verbose: Boolean(v.verbose),
          cpuProf: Boolean(v['cpu-prof']),
        });
      }
      conditions['load average at end'] = os.loadavg().map((x) => x.toFixed(2)).join(' ');
      resultsFile = path.join(reportDir, 'results.json');
    }
    if (!fs.existsSync(resultsFile)) throw infraError(`no results to report: ${resultsFile} does not exist`);
    let run: RunResults;
    try {
      run = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as RunResults;
    } catch (err) {
      throw usageError(`bench: ${resultsFile} is not a results.json: ${(err as Error).message}`);
    }
    const report = buildBenchReport(run, conditions);
    const written = writeBenchOutputs(reportDir, report, chartDepth);
    process.stdout.write(`\n${benchText(report)}`);
    process.stdout.write(`\nbench: wrote ${written.map((f) => (path.relative(process.cwd(), f).startsWith('..') ? f : path.relative(process.cwd(), f))).join(', ')}\n`);
    return code;
  },
};
