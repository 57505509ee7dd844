import type { OptionSpec, ParsedArgs } from '../options';
import { selectTarget, type TargetSelection } from '../../config/target-selection';
import { targetOf, type Target } from '../../run/target';
import { waitForSsh } from '../../transport/ssh-wait';
import { positiveInt } from './verb-args';

/** Options that pick a target and say how to reach it; shared by `run`, `deploy`, `bench` and `doctor`. */
export const TARGET_OPTIONS: readonly OptionSpec[] = [
  { name: 'target', type: 'string', metavar: 'ssh://[USER@]HOST[:PORT]|local|NAME', description: 'the target: an ad hoc SSH URL (HOST may be a Host alias of the SSH config), this machine, or a name from the lab config (optional when the config has one target)' },
  { name: 'config', type: 'string', metavar: 'FILE', description: 'lab config file, YAML or JSON (default: ./ffs-lab.yaml when it exists)' },
  { name: 'identity', type: 'string', metavar: 'FILE', description: 'SSH private key (default: the config\'s, else the SSH config\'s IdentityFile, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa; an ssh-agent at $SSH_AUTH_SOCK is tried first)' },
  { name: 'known-hosts', type: 'string', metavar: 'FILE', description: 'known_hosts file to verify the host key (default: the config\'s, else the SSH config\'s UserKnownHostsFile, else ~/.ssh/known_hosts)' },
  { name: 'ssh-config', type: 'string', metavar: 'FILE', description: 'OpenSSH client config to read instead of ~/.ssh/config and /etc/ssh/ssh_config (as ssh -F): HostName, User, Port, IdentityFile, ProxyJump, UserKnownHostsFile, StrictHostKeyChecking' },
  { name: 'accept-new-host-key', type: 'boolean', description: 'as OpenSSH\'s StrictHostKeyChecking=accept-new: accept and record the key of a host not in known_hosts (target and jump hosts); a changed key is still refused' },
  { name: 'usb-port', type: 'string', metavar: 'PORT', description: "look for the board's gadgets on this host USB port only: the sysfs name (1-2.3) or udev's ID_PATH (pci-0000:00:14.0-usb-0:2.3); default: the config's usb.port, else any port" },
  { name: 'wait-for-ssh', type: 'string', metavar: 'SEC', description: 'the board may still be booting: retry connecting (refused, unreachable, no banner yet) with backoff for up to SEC seconds; a changed host key or a failed login is never retried' },
];

/** The target selection the options above describe. */
export function targetSelectionOf(args: ParsedArgs): TargetSelection {
  const v = args.values;
  return {
    ...(typeof v.target === 'string' ? { target: v.target } : {}),
    ...(typeof v.config === 'string' ? { config: v.config } : {}),
    ...(typeof v.identity === 'string' ? { identity: v.identity } : {}),
    ...(typeof v['known-hosts'] === 'string' ? { knownHosts: v['known-hosts'] } : {}),
    ...(typeof v['ssh-config'] === 'string' ? { sshConfig: v['ssh-config'] } : {}),
    ...(v['accept-new-host-key'] === true ? { acceptNewHostKey: true } : {}),
    ...(typeof v['usb-port'] === 'string' ? { usbPort: v['usb-port'] } : {}),
  };
}

/**
 * The target the options name, reachable: with `--wait-for-ssh SEC`, connecting is retried
 * until the board answers (progress on stderr). Usage errors exit 2; a target that never comes
 * up exits 3.
 */
export async function reachableTarget(verb: string, args: ParsedArgs): Promise<Target> {
  const target = targetOf(selectTarget(targetSelectionOf(args)));
  await waitIfAsked(verb, args, target);
  return target;
}

/** With `--wait-for-ssh SEC`: retry connecting to `target` until it answers (progress on stderr); exit 3 when it never does. */
export async function waitIfAsked(verb: string, args: ParsedArgs, target: Target): Promise<void> {
  const wait = args.values['wait-for-ssh'];
  if (wait === undefined) return;
  const seconds = positiveInt(verb, 'wait-for-ssh', wait);
  await waitForSsh(() => target.makeTransport(), { deadlineMs: seconds * 1000, say: (line) => process.stderr.write(`${verb}: ${line}\n`) });
}
