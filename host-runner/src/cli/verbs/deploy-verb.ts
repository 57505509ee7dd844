import type { Verb } from '../options';
import { selectTarget } from '../../config/target-selection';
import { deployAgent } from '../../deploy/deploy-agent';
import { targetOf } from '../../run/target';
import { positiveInt } from './verb-args';
import { TARGET_OPTIONS, targetSelectionOf } from './target-options';

/** `ffs-lab deploy`: install the agent on a board that has Node.js. */
export const deployVerb: Verb = {
  name: 'deploy',
  summary: 'Install the gadget agent on an SSH target that has Node.js: upload it with SFTP, npm ci there (builds native code), check it answers.',
  options: [
    ...TARGET_OPTIONS,
    { name: 'install-dir', type: 'string', metavar: 'DIR', description: 'install dir on the target (default: the config\'s agent.installDir, else /opt/ffs-lab)' },
    { name: 'install-timeout', type: 'string', metavar: 'SEC', default: '900', description: 'time limit of npm ci on the target' },
  ],
  details: `Uploads package.json, package-lock.json, bin/, dist/ and the native/ sources (no build
outputs), runs 'npm ci --omit=dev' in the install dir, then starts the agent and calls hello.
The install dir must be a directory of deploy's own: new, empty, or marked by an earlier deploy
(.ffs-lab-install); system directories, paths not in normal form and symbolic links are refused.
Exit codes: 0 installed and answering, 2 usage or lab config error or a refused install dir, 3 target problem
(unreachable, host key, login, no node/npm, npm ci failed, agent does not answer).`,
  async run(args) {
    const config = selectTarget(targetSelectionOf(args));
    return deployAgent({
      target: targetOf(config),
      ...(args.values['install-dir'] ? { installDir: args.values['install-dir'] as string } : {}),
      installTimeoutMs: positiveInt('deploy', 'install-timeout', args.values['install-timeout']) * 1000,
    });
  },
};
