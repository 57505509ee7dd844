import * as os from 'node:os';
import * as path from 'node:path';
import { parseProxyJump, readSshConfig, type SshConfigAnswer } from '../transport/ssh-config-file';
import type { SshHopConfig, SshTransportConfig } from './lab-config';

/** Keys `ssh` tries when the config names none, in the order ffs-lab has always tried them. */
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** How the OpenSSH side of a target is resolved. */
export interface SshResolution {
  /** SSH config files (`--ssh-config FILE`: that one only, as `ssh -F`). Default ~/.ssh/config, /etc/ssh/ssh_config. */
  sshConfigFiles?: readonly string[];
  /** For SSH_AUTH_SOCK and `${VAR}`. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** `--accept-new-host-key`: for the target and every jump host. */
  acceptNewHostKey?: boolean;
  /** Where the config's notes go (lines ffs-lab does not follow). Default stderr. */
  warn?: (line: string) => void;
}

/**
 * Fill an SSH transport from the OpenSSH client config as `ssh` would, the lab config's own
 * values winning: host name, user, port, keys, agent, known_hosts, accept-new, and the jump
 * hosts (each looked up in the SSH config too). Returns a new object; the input is unchanged.
 */
export function resolveSshTransport(tr: SshTransportConfig, r: SshResolution = {}): SshTransportConfig {
  const env = r.env ?? process.env;
  const warn = r.warn ?? ((line: string) => process.stderr.write(`ffs-lab: ${line}\n`));
  const source = { ...(r.sshConfigFiles ? { files: r.sshConfigFiles } : {}), env, ...(tr.user !== undefined ? { user: tr.user } : {}) };
  const c = readSshConfig(tr.host, source);
  for (const n of c.notes) warn(n);
  const agentSocket = tr.sshAgent === false ? undefined : agentOf(c, env);
  const out: SshTransportConfig = {
    ...tr,
    host: c.hostName ?? tr.host,
    user: tr.user ?? c.user ?? os.userInfo().username,
    identityFiles: identitiesOf(c, tr.identity !== undefined),
  };
  const port = tr.port ?? c.port;
  if (port !== undefined) out.port = port;
  if (agentSocket !== undefined) out.agentSocket = agentSocket;
  const knownHosts = tr.knownHosts ?? c.userKnownHostsFiles?.[0];
  if (knownHosts !== undefined) out.knownHosts = knownHosts;
  const acceptNew = r.acceptNewHostKey === true || tr.acceptNewHostKey === true || acceptsNew(c);
  if (acceptNew) out.acceptNewHostKey = true;
  const hops = tr.proxyJump !== undefined ? (tr.proxyJump === 'none' ? [] : parseProxyJump(tr.proxyJump, `proxyJump of ${tr.host}`)) : c.proxyJump;
  if (hops.length > 0) {
    out.jumps = hops.map((h): SshHopConfig => {
      const hc = readSshConfig(h.host, { ...source, ...(h.user !== undefined ? { user: h.user } : {}) });
      for (const n of hc.notes) warn(n);
      const hop: SshHopConfig = { host: hc.hostName ?? h.host, port: h.port ?? hc.port ?? 22, user: h.user ?? hc.user ?? os.userInfo().username, identityFiles: identitiesOf(hc, false) };
      const hopAgent = tr.sshAgent === false ? undefined : agentOf(hc, env);
      if (hopAgent !== undefined) hop.agentSocket = hopAgent;
      const hopKnown = hc.userKnownHostsFiles?.[0] ?? tr.knownHosts;
      if (hopKnown !== undefined) hop.knownHosts = hopKnown;
      if (acceptNew || acceptsNew(hc)) hop.acceptNewHostKey = true;
      return hop;
    });
  } else {
    delete out.jumps;
  }
  return out;
}

/** The config's IdentityFile lines; without any (and no explicit key), OpenSSH's default key files. */
function identitiesOf(c: SshConfigAnswer, explicitKey: boolean): string[] {
  if (c.identityFiles.length > 0) return c.identityFiles;
  return explicitKey ? [] : DEFAULT_IDENTITIES.map((n) => path.join(os.homedir(), '.ssh', n));
}

/** The agent socket `ssh` would use: IdentityAgent, else $SSH_AUTH_SOCK; none with IdentitiesOnly or IdentityAgent none. */
function agentOf(c: SshConfigAnswer, env: NodeJS.ProcessEnv): string | undefined {
  if (c.identitiesOnly === true || c.identityAgent === 'none') return undefined;
  if (c.identityAgent !== undefined && c.identityAgent !== 'SSH_AUTH_SOCK') return c.identityAgent;
  return env.SSH_AUTH_SOCK || undefined;
}

/** StrictHostKeyChecking accept-new, or `no` (which ffs-lab narrows to accept-new: a changed key is never accepted). */
function acceptsNew(c: SshConfigAnswer): boolean {
  return c.strictHostKeyChecking === 'accept-new' || c.strictHostKeyChecking === 'no';
}
