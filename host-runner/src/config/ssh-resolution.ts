import * as os from 'node:os';
import * as path from 'node:path';
import { parseProxyJump, readSshConfig, type SshConfigAnswer } from '../transport/ssh-config-file';
import { defaultExtraKnownHosts } from '../transport/ssh-host-key-policy';
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
  const files = r.sshConfigFiles ? { files: r.sshConfigFiles } : {};
  const c = readSshConfig(tr.host, { ...files, env, ...(tr.user !== undefined ? { user: tr.user } : {}), ...(tr.port !== undefined ? { port: tr.port } : {}) });
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
  if (agentSocket !== undefined && c.identitiesOnly === true) out.agentKeysOnly = true;
  Object.assign(out, knownHostsOf(tr.knownHosts, c));
  // The command line's flag wins, then the lab config's own value (false included), then the SSH config.
  const acceptNew = !c.hostKeyAlias && (r.acceptNewHostKey === true || (tr.acceptNewHostKey ?? acceptsNew(c)));
  if (c.hostKeyAlias && (r.acceptNewHostKey === true || tr.acceptNewHostKey === true || acceptsNew(c))) warn(`${tr.host}: HostKeyAlias ${c.hostKeyAlias} is not followed by ffs-lab, so accept-new is off for it: add its key to known_hosts under ${c.hostName ?? tr.host}`);
  if (acceptNew) out.acceptNewHostKey = true;
  else delete out.acceptNewHostKey;
  const hops = tr.proxyJump !== undefined ? (tr.proxyJump === 'none' ? [] : parseProxyJump(tr.proxyJump, `proxyJump of ${tr.host}`)) : c.proxyJump;
  if (hops.length > 0) {
    out.jumps = hops.map((h): SshHopConfig => {
      // A hop is looked up on its own, as `ssh -J` does: the target's user and port are not its.
      const hc = readSshConfig(h.host, { ...files, env, ...(h.user !== undefined ? { user: h.user } : {}), ...(h.port !== undefined ? { port: h.port } : {}) });
      for (const n of hc.notes) warn(n);
      const hop: SshHopConfig = { host: hc.hostName ?? h.host, port: h.port ?? hc.port ?? 22, user: h.user ?? hc.user ?? os.userInfo().username, identityFiles: identitiesOf(hc, false) };
      const hopAgent = tr.sshAgent === false ? undefined : agentOf(hc, env);
      if (hopAgent !== undefined) hop.agentSocket = hopAgent;
      if (hopAgent !== undefined && hc.identitiesOnly === true) hop.agentKeysOnly = true;
      Object.assign(hop, knownHostsOf(hc.userKnownHostsFiles ? undefined : tr.knownHosts, hc));
      // Only the command line's flag or the hop's own SSH config relax a jump host's check.
      if (!hc.hostKeyAlias && (r.acceptNewHostKey === true || acceptsNew(hc))) hop.acceptNewHostKey = true;
      return hop;
    });
  } else {
    delete out.jumps;
  }
  return out;
}

/**
 * The known_hosts files: the given one, else the SSH config's first UserKnownHostsFile (new keys
 * go there); the config's other files and OpenSSH's global ones are read too.
 */
function knownHostsOf(given: string | undefined, c: SshConfigAnswer): { knownHosts?: string; extraKnownHosts?: string[] } {
  const listed = c.userKnownHostsFiles ?? [];
  const primary = given ?? listed[0];
  if (primary === undefined) return {};
  const extras = [...listed.filter((f) => f !== primary), ...defaultExtraKnownHosts(false)];
  return { knownHosts: primary, extraKnownHosts: extras };
}

/** The config's IdentityFile lines; without any (and no explicit key), OpenSSH's default key files. */
function identitiesOf(c: SshConfigAnswer, explicitKey: boolean): string[] {
  if (c.identityFiles.length > 0) return c.identityFiles;
  return explicitKey ? [] : DEFAULT_IDENTITIES.map((n) => path.join(os.homedir(), '.ssh', n));
}

/** The agent socket `ssh` would use: IdentityAgent, else $SSH_AUTH_SOCK; none with IdentityAgent none (IdentitiesOnly filters its keys: agentKeysOnly). */
function agentOf(c: SshConfigAnswer, env: NodeJS.ProcessEnv): string | undefined {
  if (c.identityAgent === 'none') return undefined;
  if (c.identityAgent !== undefined && c.identityAgent !== 'SSH_AUTH_SOCK') return c.identityAgent;
  return env.SSH_AUTH_SOCK || undefined;
}

/** StrictHostKeyChecking accept-new, or `no` (which ffs-lab narrows to accept-new: a changed key is never accepted). */
function acceptsNew(c: SshConfigAnswer): boolean {
  return c.strictHostKeyChecking === 'accept-new' || c.strictHostKeyChecking === 'no';
}
