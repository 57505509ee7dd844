import type { Verb } from '../options';
import { runOnTarget } from '../../run/run-on-target';
import { selectSuites } from '../../suite-runner/suite-catalog';
import { checkSelection } from '../../suite-runner/test-list';
import { selected, SELECTION_OPTIONS } from '../../suite-runner/test-selection';
import { LAVA_OPTION, positiveInt, RETRIES_OPTION, retriesOf, WAIVERS_OPTION, waiversOf } from './verb-args';
import { lavaEmitter, LavaReporter, withLava } from '../../results/lava-reporter';
import { reachableTarget, TARGET_OPTIONS } from './target-options';

/** `ffs-lab run`: the suites against a real target (a gadget board over SSH, or this machine). */
export const runVerb: Verb = {
  name: 'run',
  summary: 'Run the suites against a target: a gadget board over SSH (ad hoc or from the lab config), or this machine.',
  options: [
    ...TARGET_OPTIONS,
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
    const suites = selectSuites((args.values.suite as string[] | undefined) ?? []);
    const timeoutSec = positiveInt('run', 'timeout', args.values.timeout);
    const selection = selected('run', args.values);
    checkSelection('run', suites, selection.select);
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
