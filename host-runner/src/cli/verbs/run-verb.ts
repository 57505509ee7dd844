import type { ParsedArgs, Verb } from '../options';
import { runOnTarget } from '../../run/run-on-target';
import { selectSuites } from '../../suite-runner/suite-catalog';
import { checkSelection } from '../../suite-runner/test-list';
import { selected, SELECTION_OPTIONS } from '../../suite-runner/test-selection';
import { LAVA_OPTION, positiveInt, RETRIES_OPTION, retriesOf, WAIVERS_OPTION, waiversOf } from './verb-args';
import { lavaEmitter, LavaReporter, withLava } from '../../results/lava-reporter';
import { reachableTarget, TARGET_OPTIONS, targetSelectionOf } from './target-options';
import { usageError } from '@ffs-lab/contract/exit-codes';
import { configTargetNames, selectTarget } from '../../config/target-selection';
import { runTargetsInParallel } from '../../run/parallel-targets';
import { argvOf } from '../options';

/** The targets `--target` (repeated) and `--all-targets` name; leaves a single one in `args` as the other verbs take it. */
function severalTargets(args: ParsedArgs): string[] {
  const given = (args.values.target as string[] | undefined) ?? [];
  if (args.values['all-targets'] && given.length > 0) throw usageError('run: --all-targets or --target, not both');
  const names = args.values['all-targets'] ? configTargetNames(targetSelectionOf(args)) : given;
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw usageError(`run: target '${dup}' given twice`);
  if (names.length > 1) {
    const adHoc = names.find((n) => n === 'local' || n.startsWith('ssh://'));
    if (adHoc !== undefined) throw usageError(`run: several targets are names from the lab config, not '${adHoc}'`);
  }
  args.values.target = names.length === 1 ? names[0] : undefined;
  return names;
}

/** `ffs-lab run`: the suites against a real target (a gadget board over SSH, or this machine). */
export const runVerb: Verb = {
  name: 'run',
  summary: 'Run the suites against a target: a gadget board over SSH (ad hoc or from the lab config), or this machine.',
  options: [
    ...TARGET_OPTIONS.map((o) => (o.name === 'target' ? { ...o, multiple: true, description: `${o.description}; give it more than once, or --all-targets, to run several targets of the lab config in parallel, each into <report dir>/<target>/, with one table at the end` } : o)),
    { name: 'all-targets', type: 'boolean', description: 'run every target of the lab config, in parallel (as several --target)' },
    { name: 'suite', type: 'string', multiple: true, metavar: 'NAME', description: 'run only this suite (see `ffs-lab suites`); default: all' },
    ...SELECTION_OPTIONS,
    { name: 'report-dir', type: 'string', metavar: 'DIR', description: 'write results.json, junit.xml and results.ktap here' },
    { name: 'timeout', type: 'string', metavar: 'SEC', default: '60', description: 'default time limit of one test (suites raise it where they need more)' },
    RETRIES_OPTION,
    WAIVERS_OPTION,
    LAVA_OPTION,
  ],
  details: `The agent must be installed on the target (ffs-lab deploy). The host key is verified
against known_hosts (or the pinned fingerprint); a password is read from the environment
variable the config names (ad hoc targets: FFS_LAB_SSH_PASSWORD), never from the command line.
Exit codes: 0 passed, 1 a test failed, 2 usage or lab config error, 3 infrastructure
(unreachable, host key, login, agent missing, no enumeration, gadget left behind), 4 all skipped.`,
  async run(args) {
    const names = severalTargets(args);
    const suites = selectSuites((args.values.suite as string[] | undefined) ?? []);
    const timeoutSec = positiveInt('run', 'timeout', args.values.timeout);
    const selection = selected('run', args.values);
    checkSelection('run', suites, selection.select);
    if (names.length > 1) {
      const reportDir = args.values['report-dir'];
      if (typeof reportDir !== 'string') throw usageError('run: several targets need --report-dir DIR (each target\'s reports go to DIR/<target>/)');
      if (args.values.lava) throw usageError('run: --lava reports one run; give one target per LAVA job');
      if (args.values['usb-port'] !== undefined) throw usageError('run: --usb-port names one board\'s port; with several targets, give each its usb.port in the lab config');
      for (const name of names) selectTarget({ ...targetSelectionOf(args), target: name }); // every name and config mistake before anything starts
      return runTargetsInParallel({ targets: names, runArgs: argvOf(runVerb.options, args, ['target', 'all-targets', 'report-dir']), reportDir });
    }
    const target = await reachableTarget('run', args);
    const lava = args.values.lava ? new LavaReporter(lavaEmitter()) : undefined;
    return withLava(lava, () => runOnTarget({
      target,
      suites,
      ...selection,
      ...(args.values['report-dir'] ? { reportDir: args.values['report-dir'] as string } : {}),
      testTimeoutMs: timeoutSec * 1000,
      retries: retriesOf('run', args.values.retries),
      label: 'run',
      ...waiversOf(args.values),
      ...(lava ? { onJournal: (l) => lava.line(l) } : {}),
    }));
  },
};
