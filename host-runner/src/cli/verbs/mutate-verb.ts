import * as path from 'node:path';
import { ExitCode, usageError } from '@ffs-lab/contract/exit-codes';
import { loadMutants, MUTANTS_DIR } from '@ffs-lab/fixtures/kernel/mutant';
import type { Verb } from '../options';
import { positiveInt } from './verb-args';
import { redrawMutate, runMutate, writeMutate } from '../../mutate/mutate-run';
import { campaignPassed, mutateText } from '../../mutate/mutate-report';

/** `ffs-lab mutate`: the mutation campaign over our series. */
export const mutateVerb: Verb = {
  name: 'mutate',
  summary: 'Build a kernel per mutant of our series (fixtures/kernel/mutants/), boot each in the lab with the suites that claim its rule, and print which mutants the suites catch; write mutate.json and mutate.html.',
  options: [
    { name: 'mutant', type: 'string', multiple: true, metavar: 'NAME', description: 'run only this mutant (file name without .json); repeatable; default: every mutant' },
    { name: 'rule', type: 'string', multiple: true, metavar: 'ID', description: 'run only the mutants of this rule of docs/behaviour.md (e.g. L3); repeatable' },
    { name: 'list', type: 'boolean', description: 'print the mutants (name, rule, suites, what) and exit' },
    { name: 'results', type: 'string', metavar: 'DIR', description: 'judge an earlier campaign again from its report directory (its mutate.json and each mutant\'s results.json) instead of running one' },
    { name: 'baseline', type: 'boolean', description: 'first run the mutants\' suites on the unmutated kernel; if that fails, stop' },
    { name: 'report-dir', type: 'string', metavar: 'DIR', default: 'mutate-results', description: 'mutate.json and mutate.html here, each mutant\'s lab reports in a subdirectory' },
    { name: 'accel', type: 'string', choices: ['auto', 'tcg', 'kvm'], default: 'auto', description: 'VM accelerator' },
    { name: 'timeout', type: 'string', metavar: 'SEC', default: '900', description: 'kill one mutant\'s VM after this many seconds' },
    { name: 'memory', type: 'string', metavar: 'MIB', default: '2048', description: 'guest memory' },
    { name: 'cpus', type: 'string', metavar: 'N', default: '2', description: 'guest CPUs' },
  ],
  details: `The first run prepares the patched 6.12 tree once (about 5 minutes on 2 cores) under
$FFS_LAB_CACHE/mutate/; each mutant then recompiles only the files it changes (about a minute)
and its image is cached by the mutant's content. A mutant is caught when a test of its suites
fails; "clean" says no later test had a hook error. A mutant that no longer applies or compiles
is reported invalid, naming why. README: "Verdict power".
Exit codes: 0 every mutant caught with no spill, 1 a mutant survived, spilled, was invalid or
got no results, 2 usage, 130 interrupted.`,
  async run(args) {
    const v = args.values;
    let mutants = loadMutants(MUTANTS_DIR, (v.mutant as string[] | undefined) ?? []);
    const rules = (v.rule as string[] | undefined) ?? [];
    if (rules.length) {
      mutants = mutants.filter((m) => rules.includes(m.rule));
      if (mutants.length === 0) throw usageError(`mutate: no mutant of rule ${rules.join(', ')} in ${MUTANTS_DIR}`);
    }
    if (mutants.length === 0) throw usageError(`mutate: no mutants in ${MUTANTS_DIR}`);
    if (v.list) {
      for (const m of mutants) process.stdout.write(`${m.name}  ${m.rule}  [${m.suites.join(', ')}]  ${m.what}\n`);
      return ExitCode.Ok;
    }
    const reportDir = path.resolve(v['report-dir'] as string);
    const log = (line: string) => process.stderr.write(`${line}\n`);
    if (typeof v.results === 'string') {
      const redrawn = redrawMutate(path.resolve(v.results), loadMutants(MUTANTS_DIR));
      const files = writeMutate(reportDir, redrawn);
      process.stdout.write(mutateText(redrawn));
      process.stdout.write(`mutate: wrote ${files.join(', ')}\n`);
      return campaignPassed(redrawn) ? ExitCode.Ok : ExitCode.TestFailed;
    }
    const { report, interrupted } = await runMutate(
      {
        mutants,
        reportDir,
        baseline: Boolean(v.baseline),
        accel: v.accel as 'auto' | 'tcg' | 'kvm',
        timeoutSec: positiveInt('mutate', 'timeout', v.timeout),
        memoryMiB: positiveInt('mutate', 'memory', v.memory),
        cpus: positiveInt('mutate', 'cpus', v.cpus),
      },
      log,
    );
    const files = writeMutate(reportDir, report);
    process.stdout.write(`\n${mutateText(report)}`);
    process.stdout.write(`mutate: wrote ${files.join(', ')}\n`);
    if (interrupted) return ExitCode.Interrupted;
    return campaignPassed(report) ? ExitCode.Ok : ExitCode.TestFailed;
  },
};
