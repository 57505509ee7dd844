/** Where and how to reach the gadget over SSH. Secrets are never values here, only names of environment variables. */
export interface SshTargetOptions {
  /** Host name or IP address. */
  host: string;
  /** TCP port. Default 22. */
  port?: number;
  /** Remote user. Its login shell must be a POSIX sh (commands are sent as `sh -c` strings). */
  username: string;
  /** OpenSSH or PEM private key file for publickey authentication. Default: none. */
  privateKeyPath?: string;
  /** Name of the environment variable holding the private key's passphrase. Default: none (key not encrypted). */
  passphraseEnv?: string;
  /** Name of the environment variable holding the password (e.g. `FFS_LAB_SSH_PASSWORD`); also answers keyboard-interactive prompts. Default: none. */
  passwordEnv?: string;
  /** OpenSSH known_hosts file to verify the host key against. Default `~/.ssh/known_hosts`. Ignored when {@link hostKeyFingerprint} is set. */
  knownHostsPath?: string;
  /** Pinned host key fingerprint, `SHA256:...` as `ssh-keygen -lf` prints it; replaces known_hosts. */
  hostKeyFingerprint?: string;
  /**
   * Insecure opt-out: accept a host that has no known_hosts entry (nightly labs whose boards are
   * reflashed with new keys). A listed host offering another key is still refused. Default false.
   */
  acceptUnknownHostKey?: boolean;
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

/** The options with their defaults filled in. */
export type ResolvedSshOptions = Required<Pick<SshTargetOptions, 'port' | 'connectTimeoutMs' | 'keepaliveIntervalMs' | 'keepaliveCountMax' | 'killGraceMs'>> & SshTargetOptions;

/** {@link SshTargetOptions} with the documented defaults. */
export function resolveSshOptions(opts: SshTargetOptions): ResolvedSshOptions {
  return { port: 22, connectTimeoutMs: 20_000, keepaliveIntervalMs: 5_000, keepaliveCountMax: 3, killGraceMs: 2_000, ...opts };
}
