/** Where and how to reach the gadget over SSH. Secrets are never values here, only names of environment variables. */
export interface SshTargetOptions {
  /** Host name or IP address. */
  host: string;
  /** TCP port. Default 22. */
  port?: number;
  /** Remote user. Its login shell must be a POSIX sh (commands are sent as `sh -c` strings). */
  username: string;
  /** OpenSSH or PEM private key file for publickey authentication; unreadable or unusable is an error. Default: none. */
  privateKeyPath?: string;
  /**
   * Keys tried after {@link privateKeyPath} when they exist, as `ssh` treats IdentityFile and its
   * default ~/.ssh/id_*: a missing file, or an encrypted one without a passphrase, is skipped.
   * Default: none.
   */
  optionalKeyPaths?: readonly string[];
  /** ssh-agent socket (`$SSH_AUTH_SOCK`); its keys are tried first, as `ssh` does. Skipped when the socket does not exist. Default: none. */
  agentSocket?: string;
  /**
   * Offer only the agent's keys that match {@link privateKeyPath} or {@link optionalKeyPaths}
   * (their `.pub` beside them, or the unencrypted key itself): ssh's IdentitiesOnly. Default false.
   */
  agentKeysOnly?: boolean;
  /** Name of the environment variable holding the private key's passphrase. Default: none (key not encrypted). */
  passphraseEnv?: string;
  /** Name of the environment variable holding the password (e.g. `FFS_LAB_SSH_PASSWORD`); also answers keyboard-interactive prompts. Default: none. */
  passwordEnv?: string;
  /** OpenSSH known_hosts file to verify the host key against. Default `~/.ssh/known_hosts`. Ignored when {@link hostKeyFingerprint} is set. */
  knownHostsPath?: string;
  /**
   * More known_hosts files, read only: a key listed in any of them is known, a different key for a
   * listed host is a changed key (refused, accept-new or not). Default: OpenSSH's global
   * /etc/ssh/ssh_known_hosts and ssh_known_hosts2, and ~/.ssh/known_hosts2 when
   * {@link knownHostsPath} is the default.
   */
  extraKnownHostsPaths?: readonly string[];
  /** Pinned host key fingerprint, `SHA256:...` as `ssh-keygen -lf` prints it; replaces known_hosts. */
  hostKeyFingerprint?: string;
  /**
   * Insecure opt-out: accept a host that has no known_hosts entry (nightly labs whose boards are
   * reflashed with new keys). A listed host offering another key is still refused. Default false.
   */
  acceptUnknownHostKey?: boolean;
  /**
   * OpenSSH's `StrictHostKeyChecking accept-new`: a host with no known_hosts entry is accepted and
   * its key appended to {@link knownHostsPath}; a changed key is still refused. Default false.
   */
  acceptNewHostKey?: boolean;
  /** Jump hosts, in order (OpenSSH's ProxyJump): each is logged into and its host key verified, then used to reach the next. Default: none. */
  jumps?: readonly SshHopOptions[];
  /** Notices for the user (a host key added to known_hosts). Default: written to stderr. */
  log?: (line: string) => void;
  /** TCP connect + SSH handshake + authentication must finish within this: ms. Default 20000. */
  connectTimeoutMs?: number;
  /** SSH keepalive interval: ms, 0 = off. Default 5000. */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection counts as lost. Default 3. */
  keepaliveCountMax?: number;
  /** After kill('TERM'), how long to wait before sending KILL: ms. Default 2000. */
  killGraceMs?: number;
  /** Where the `*Env` names are looked up. Default process.env. */
  environment?: NodeJS.ProcessEnv;
}

/** How to log into one jump host; timeouts, keepalives and the environment are the target's. */
export type SshHopOptions = Pick<SshTargetOptions, 'host' | 'port' | 'username' | 'privateKeyPath' | 'optionalKeyPaths' | 'agentSocket' | 'agentKeysOnly' | 'passphraseEnv' | 'knownHostsPath' | 'extraKnownHostsPaths' | 'acceptNewHostKey' | 'acceptUnknownHostKey'>;

/** The options with their defaults filled in. */
export type ResolvedSshOptions = Required<Pick<SshTargetOptions, 'port' | 'connectTimeoutMs' | 'keepaliveIntervalMs' | 'keepaliveCountMax' | 'killGraceMs'>> & SshTargetOptions;

/** {@link SshTargetOptions} with the documented defaults. */
export function resolveSshOptions(opts: SshTargetOptions): ResolvedSshOptions {
  return { port: 22, connectTimeoutMs: 20_000, keepaliveIntervalMs: 5_000, keepaliveCountMax: 3, killGraceMs: 2_000, ...opts };
}
