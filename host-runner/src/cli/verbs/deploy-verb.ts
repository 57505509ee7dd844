import type { Verb } from '../options';
import { deployAgent } from '../../deploy/deploy-agent';
import { MIN_NODE } from '../../deploy/agent-bundle';
import { reachableTarget, TARGET_OPTIONS } from './target-options';

/** `ffs-lab deploy`: install the agent on a board that has Node.js. */
export const deployVerb: Verb = {
  name: 'deploy',
  summary: `Install the gadget agent on an SSH target that has Node.js ${MIN_NODE.join('.')} or later: pack the agent bundle for its architecture, upload it with SFTP, check it answers.`,
  options: [
    ...TARGET_OPTIONS,
    { name: 'install-dir', type: 'string', metavar: 'DIR', description: 'install dir on the target (default: the config\'s agent.installDir, else /opt/ffs-lab)' },
    { name: 'bundle', type: 'string', metavar: 'DIR', description: 'deploy this bundle of ffs-lab pack-agent (for the target\'s architecture) instead of packing one' },
  ],
  details: `Asks the target's node for its version and architecture, packs the agent bundle for it
(as ffs-lab pack-agent does; or takes --bundle), uploads its files into <install dir>/bin/, then
starts the agent and calls hello. Nothing is built or downloaded on the target: it needs node
only. The install dir must be a directory of deploy's own: new, empty, or marked by an earlier
deploy (.ffs-lab-install); system directories, paths not in normal form and symbolic links are
refused. What an earlier deploy left there (bin/, and dist/, native/, node_modules/ and the
package files of the npm-based deploys before the bundle) is removed first.
Exit codes: 0 installed and answering, 2 usage or lab config error, a refused install dir, or a
bundle for another architecture, 3 target problem (unreachable, host key, login, no node or one
older than ${MIN_NODE.join('.')}, an architecture without a bundle, agent does not answer).`,
  async run(args) {
    return deployAgent({
      target: await reachableTarget('deploy', args),
      ...(args.values['install-dir'] ? { installDir: args.values['install-dir'] as string } : {}),
      ...(args.values.bundle ? { bundle: args.values.bundle as string } : {}),
    });
  },
};
