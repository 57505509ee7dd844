import * as fs from 'node:fs';
import * as path from 'node:path';
import { usageError } from '@ffs-lab/contract/exit-codes';
import { didYouMean } from './did-you-mean';
import { DEFAULT_CONFIG_FILE, hostPath, loadLabConfig } from './load-config';
import { USB_PORT_PATTERN } from './lab-config-schema';
import { resolveSshTransport } from './ssh-resolution';
import type { TargetConfig } from './lab-config';

/** Environment variable an ad hoc `ssh://` target takes its password from, when set. */
export const AD_HOC_PASSWORD_ENV = 'FFS_LAB_SSH_PASSWORD';

/** What the command line says about the target (`--target`, `--config`, and ad hoc overrides). */
export interface TargetSelection {
  /** `ssh://user@host[:port]`, `local`, or a target name from the config. Optional with a one-target config. */
  target?: string;
  /** Lab config file. Default ./ffs-lab.yaml when it exists. */
  config?: string;
  /** SSH private key, overriding the config's (or the default ~/.ssh/id_* of an ad hoc target). */
  identity?: string;
  /** known_hosts file, overriding the config's (default ~/.ssh/known_hosts). */
  knownHosts?: string;
  /** OpenSSH client config to read instead of ~/.ssh/config and /etc/ssh/ssh_config (`ssh -F`). */
  sshConfig?: string;
  /** OpenSSH's accept-new for the target and its jump hosts (`--accept-new-host-key`). */
  acceptNewHostKey?: boolean;
  /** The host USB port the board is on, overriding the config's usb.port (`--usb-port`). */
  usbPort?: string;
  /** Where notes about the SSH config go. Default stderr. */
  warn?: (line: string) => void;
  /** Working directory for relative paths. Default process.cwd(). */
  cwd?: string;
  /** Where environment variables are looked up. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Turn `--target` (and `--config`) into a target config. `local` and `ssh://` URLs need no config
 * file; a name is looked up in the config. An SSH target is then completed from the OpenSSH
 * client config (ssh-resolution.ts). Every mistake is a usage error (exit 2).
 */
export function selectTarget(sel: TargetSelection): TargetConfig {
  const cwd = sel.cwd ?? process.cwd();
  let t: TargetConfig;
  if (sel.target === 'local') {
    t = { name: 'local', transport: { type: 'local' } };
  } else if (sel.target?.startsWith('ssh://')) {
    t = adHocSsh(sel.target, sel.env ?? process.env);
  } else {
    t = fromConfig(sel, cwd);
  }
  if (sel.identity !== undefined || sel.knownHosts !== undefined || sel.sshConfig !== undefined || sel.acceptNewHostKey) {
    if (t.transport.type !== 'ssh') throw usageError(`--identity, --known-hosts, --ssh-config and --accept-new-host-key apply to ssh targets, and '${t.name}' is ${t.transport.type}`);
    if (sel.identity !== undefined) t.transport.identity = hostPath(sel.identity, cwd);
    if (sel.knownHosts !== undefined) t.transport.knownHosts = hostPath(sel.knownHosts, cwd);
  }
  if (sel.usbPort !== undefined) {
    if (!USB_PORT_PATTERN.test(sel.usbPort)) throw usageError(`--usb-port ${sel.usbPort}: expected the sysfs name of a port (1-2.3) or udev's ID_PATH (pci-0000:00:14.0-usb-0:2.3)`);
    t.usb = { ...t.usb, port: sel.usbPort };
  }
  if (t.transport.type === 'ssh') {
    t.transport = resolveSshTransport(t.transport, {
      ...(sel.sshConfig !== undefined ? { sshConfigFiles: [hostPath(sel.sshConfig, cwd)] } : {}),
      env: sel.env ?? process.env,
      ...(sel.acceptNewHostKey ? { acceptNewHostKey: true } : {}),
      ...(sel.warn ? { warn: sel.warn } : {}),
    });
  }
  return t;
}

/** `ssh://[user@]host[:port]`; the SSH config and OpenSSH's defaults fill the rest. */
export function adHocSsh(url: string, env: NodeJS.ProcessEnv): TargetConfig {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usageError(`--target ${url}: not a valid ssh://user@host[:port] URL`);
  }
  if (u.password) throw usageError(`--target: never put a password in the URL; set ${AD_HOC_PASSWORD_ENV} in the environment instead`);
  if ((u.pathname && u.pathname !== '/') || u.search || u.hash) throw usageError(`--target ${url}: only ssh://user@host[:port] is understood (no path or query)`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw usageError(`--target ${url}: the host is missing`);
  return {
    name: url,
    transport: {
      type: 'ssh',
      host,
      ...(u.port ? { port: Number(u.port) } : {}),
      ...(u.username ? { user: decodeURIComponent(u.username) } : {}),
      ...(env[AD_HOC_PASSWORD_ENV] !== undefined ? { passwordEnv: AD_HOC_PASSWORD_ENV } : {}),
    },
  };
}

/** The target names of the lab config the selection names (`--all-targets`); usage error without a config. */
export function configTargetNames(sel: Pick<TargetSelection, 'config' | 'cwd'>): string[] {
  const cwd = sel.cwd ?? process.cwd();
  const file = configFileOf(sel, cwd);
  if (!file) throw usageError('--all-targets: no lab config (--config FILE, or ./ffs-lab.yaml)');
  return Object.keys(loadLabConfig(path.resolve(cwd, file)).targets);
}

function configFileOf(sel: Pick<TargetSelection, 'config'>, cwd: string): string | undefined {
  return sel.config ?? (fs.existsSync(path.join(cwd, DEFAULT_CONFIG_FILE)) ? path.join(cwd, DEFAULT_CONFIG_FILE) : undefined);
}

function fromConfig(sel: TargetSelection, cwd: string): TargetConfig {
  const file = configFileOf(sel, cwd);
  if (!file) {
    if (sel.target === undefined) throw usageError('no target: give --target ssh://user@host[:port], --target local, or --target NAME with a lab config (--config FILE, or ./ffs-lab.yaml)');
    throw usageError(`--target ${sel.target}: no lab config to look the name up in (--config FILE, or ./ffs-lab.yaml); ad hoc targets are ssh://user@host[:port] and local`);
  }
  const config = loadLabConfig(path.resolve(cwd, file));
  const names = Object.keys(config.targets);
  if (sel.target === undefined) {
    if (names.length === 1) return config.targets[names[0]!]!;
    throw usageError(`${file} has ${names.length} targets (${names.join(', ')}): pick one with --target NAME`);
  }
  // hasOwn: a name like 'constructor' must not find Object.prototype's member.
  const t = Object.hasOwn(config.targets, sel.target) ? config.targets[sel.target] : undefined;
  if (!t) {
    const hint = didYouMean(sel.target, names);
    throw usageError(`unknown target '${sel.target}' in ${file} (targets: ${names.join(', ')})${hint ? `; did you mean '${hint}'?` : ''}`);
  }
  return t;
}
