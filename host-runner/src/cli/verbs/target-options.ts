import type { OptionSpec, ParsedArgs } from '../options';
import type { TargetSelection } from '../../config/target-selection';

/** Options that pick a target; shared by `run` and `deploy`. */
export const TARGET_OPTIONS: readonly OptionSpec[] = [
  { name: 'target', type: 'string', metavar: 'ssh://USER@HOST[:PORT]|local|NAME', description: 'the target: an ad hoc SSH URL, this machine, or a name from the lab config (optional when the config has one target)' },
  { name: 'config', type: 'string', metavar: 'FILE', description: 'lab config file, YAML or JSON (default: ./ffs-lab.yaml when it exists)' },
  { name: 'identity', type: 'string', metavar: 'FILE', description: 'SSH private key (default: the config\'s, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa)' },
  { name: 'known-hosts', type: 'string', metavar: 'FILE', description: 'known_hosts file to verify the host key (default: the config\'s, else ~/.ssh/known_hosts)' },
];

/** The target selection the options above describe. */
export function targetSelectionOf(args: ParsedArgs): TargetSelection {
  const v = args.values;
  return {
    ...(typeof v.target === 'string' ? { target: v.target } : {}),
    ...(typeof v.config === 'string' ? { config: v.config } : {}),
    ...(typeof v.identity === 'string' ? { identity: v.identity } : {}),
    ...(typeof v['known-hosts'] === 'string' ? { knownHosts: v['known-hosts'] } : {}),
  };
}
