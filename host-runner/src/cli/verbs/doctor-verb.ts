import type { Verb } from '../options';
import { runDoctor } from '../../doctor/doctor';
import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import { selectTarget } from '../../config/target-selection';
import { targetOf } from '../../run/target';
import { TARGET_OPTIONS, targetSelectionOf, waitIfAsked } from './target-options';

/** `ffs-lab doctor`: a target's bring-up, checked step by step, with what to do at each failure. */
export const doctorVerb: Verb = {
  name: 'doctor',
  summary: 'Check a target step by step (SSH, root, Node.js, agent, configfs, FunctionFS, UDC, kernel options, zero-copy mmap, the host seeing the gadget) and say what to do about each failure.',
  options: [...TARGET_OPTIONS, { name: 'json', type: 'string', metavar: 'FILE', description: 'also write the results as JSON' }],
  details: `Each check prints OK, WARN, FAIL or SKIP (a check whose prerequisite failed) and, for a
failure, what to do. Nothing is left on the target: the test gadget is removed and the agent
stopped. The embedded lab runs it with 'ffs-lab lab --doctor'.
Exit codes: 0 ready (warnings allowed), 2 usage or lab config error, 3 a check failed.`,
  async run(args) {
    const target = targetOf(selectTarget(targetSelectionOf(args)));
    try {
      await waitIfAsked('doctor', args, target);
    } catch (err) {
      // Never up within --wait-for-ssh: the ssh check says so, with its advice (and --json has it).
      if (!(err instanceof LabError) || err.exitCode === ExitCode.Usage) throw err;
    }
    return runDoctor(target, process.stdout, args.values.json as string | undefined);
  },
};
