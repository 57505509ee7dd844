/**
 * The lab config file (`ffs-lab.yaml`, or JSON): the targets a hardware lab has. Keys map one to
 * one onto these typed fields (labgrid style); `config-schema.ts` checks a file against them and
 * docs/lab-config.example.yaml shows every key. Relative paths are relative to the config file,
 * and `~/` means the home directory of the user running ffs-lab.
 */
export interface LabConfig {
  /** Targets by name (`--target NAME`). Names: letters, digits, `-`, `_`, `.`. */
  targets: Record<string, TargetConfig>;
}

/** One gadget board (or the local machine) and how to reach it. */
export interface TargetConfig {
  /** The key under `targets:`; filled in by the loader, not written in the file. */
  name: string;
  transport: TransportConfig;
  /** How the agent is started on the target. Default: see {@link AgentConfig}. */
  agent?: AgentConfig;
  /** How the host recognises the board's gadget on the USB bus. */
  usb?: UsbMatchConfig;
  /** UDC to bind gadgets to (a name in the target's /sys/class/udc). Default: the only one present. */
  udc?: string;
  /** What this target's kernel is expected to offer; suites compare the probe against it. */
  features?: FeatureExpectations;
  /** Lab tools on the target (ffs-test, testusb, the ffs-features probe). Default: none; suites that need them skip. */
  tools?: TargetToolsConfig;
  /**
   * A directory on the target whose file system does O_DIRECT by pinning the caller's pages
   * (ext4, xfs, 9p, NFS; not tmpfs, which copies): the check that O_DIRECT works from a mapping
   * writes a scratch file there and removes it. Default: none; that check skips.
   */
  directIoDir?: string;
}

export type TransportConfig = SshTransportConfig | LocalTransportConfig;

/**
 * Reach the target over SSH (npm ssh2). The host key is always verified unless explicitly relaxed.
 * `host` is looked up in the OpenSSH client config (~/.ssh/config, or `--ssh-config FILE`) as
 * `ssh` would: its HostName, User, Port, IdentityFile, ProxyJump, UserKnownHostsFile and
 * StrictHostKeyChecking fill what this entry leaves unset (docs/boards.md).
 */
export interface SshTransportConfig {
  type: 'ssh';
  /** A host name, address, or a `Host` alias of the SSH config. */
  host: string;
  /** Default: the SSH config's Port, else 22. */
  port?: number;
  /** Default: the SSH config's User, else the local user name (as ssh). */
  user?: string;
  /** Private key file. Default: the SSH config's IdentityFile lines, else those of ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exist. */
  identity?: string;
  /** Jump hosts, OpenSSH's ProxyJump syntax: `[user@]host[:port]`, comma separated, each looked up in the SSH config; `none` ignores the SSH config's. */
  proxyJump?: string;
  /** Use the ssh-agent at $SSH_AUTH_SOCK (its keys first, as ssh). Default true. */
  sshAgent?: boolean;
  /** OpenSSH's accept-new: a host with no known_hosts entry is accepted and its key recorded; a changed key is still refused. Default false. */
  acceptNewHostKey?: boolean;
  /** Filled in by target selection from the SSH config: keys tried after `identity` (missing ones skipped). */
  identityFiles?: string[];
  /** Filled in by target selection: the ssh-agent socket, when one is used. */
  agentSocket?: string;
  /** Filled in by target selection (IdentitiesOnly): offer only the agent's keys that match the key files. */
  agentKeysOnly?: boolean;
  /** Filled in by target selection: more known_hosts files read (the SSH config's others, OpenSSH's global ones). */
  extraKnownHosts?: string[];
  /** Filled in by target selection: the jump hosts resolved, first hop first. */
  jumps?: SshHopConfig[];
  /** Name of the environment variable holding the key's passphrase (never the passphrase itself). */
  passphraseEnv?: string;
  /** Name of the environment variable holding the password (never the password itself). */
  passwordEnv?: string;
  /** known_hosts file. Default ~/.ssh/known_hosts. Ignored when {@link fingerprint} is set. */
  knownHosts?: string;
  /** Pinned host key fingerprint, `SHA256:...` as `ssh-keygen -lf` prints it. */
  fingerprint?: string;
  /** Insecure: accept a host with no known_hosts entry (a changed key is still refused). Default false. */
  acceptUnknownHostKey?: boolean;
  /** TCP connect + handshake + login: ms. Default 20000. */
  connectTimeoutMs?: number;
  /** Each command on the target (agent start and hello, checks): ms. Default 60000. */
  commandTimeoutMs?: number;
  /** SSH keepalive interval: ms, 0 = off. Default 5000. */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection counts as lost. Default 3. */
  keepaliveCountMax?: number;
}

/** One jump host as target selection resolved it (host, user and port known). */
export interface SshHopConfig {
  host: string;
  port: number;
  user: string;
  identityFiles: string[];
  agentSocket?: string;
  agentKeysOnly?: boolean;
  knownHosts?: string;
  extraKnownHosts?: string[];
  acceptNewHostKey?: boolean;
}

/** Run everything on this machine (child_process.spawn, no shell). */
export interface LocalTransportConfig {
  type: 'local';
  /** Each command (agent start and hello, checks): ms. Default 60000. */
  commandTimeoutMs?: number;
}

/**
 * The agent's command line on the target. Default: `[node, <installDir>/bin/ffs-lab-agent.js]`.
 * For `local` targets the default is this checkout's agent run by this node binary.
 */
export interface AgentConfig {
  /** Where `ffs-lab deploy` installs the agent. Default /opt/ffs-lab (ssh). */
  installDir?: string;
  /** Node.js on the target. Default `node` (looked up in the remote PATH). */
  node?: string;
  /** Full argv, replacing the default (each element passed verbatim, never through a shell). */
  command?: string[];
}

/** The gadget as the host sees it. */
export interface UsbMatchConfig {
  /** Vendor ID: a number (YAML `0x1d6b`) or a hex string (`"1d6b"`). */
  vendorId?: number;
  productId?: number;
  /** Serial number string, when several boards share VID:PID. */
  serial?: string;
  /**
   * The host port the board is cabled to: sysfs name (`1-2.3`) or udev ID_PATH
   * (`pci-0000:00:14.0-usb-0:2.3`, as labgrid matches). Every gadget of a run is looked for on
   * this port only, so boards of one kind on one host never get each other's transfers. Default: any port.
   */
  port?: string;
  /** How long the host waits for the gadget to enumerate: ms. Default 15000. */
  enumerateTimeoutMs?: number;
}

/** Expected zero-copy support; unset means "no expectation" (the check is skipped with a reason). */
export interface FeatureExpectations {
  mmap?: 'present' | 'absent';
  dmabuf?: 'present' | 'absent';
}

/** Lab tool paths on the target. `dir` is a directory as `ffs-lab kernel` builds it; the others override single tools. */
export interface TargetToolsConfig {
  dir?: string;
  ffsTest?: string;
  testusb?: string;
  ffsFeatures?: string;
  /** tools/usb/ffs-aio-example's simple device app (built with -laio); `dir` gives `aio-simple`. */
  aioSimple?: string;
  /** Its multibuff device app; `dir` gives `aio-multibuff`. */
  aioMultibuff?: string;
}

/** Default install dir of `ffs-lab deploy` and of the agent on ssh targets. */
export const DEFAULT_INSTALL_DIR = '/opt/ffs-lab';
/** Default of {@link SshTransportConfig.commandTimeoutMs}. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;
/** Default of {@link UsbMatchConfig.enumerateTimeoutMs}. */
export const DEFAULT_ENUMERATE_TIMEOUT_MS = 15_000;
