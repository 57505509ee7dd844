import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_INSTALL_DIR, type SshHopConfig, type TargetConfig } from '../config/lab-config';
import { sshUrl } from '../transport/ssh-connection';
import type { SshHopOptions } from '../transport/ssh-target-options';
import { LocalTransport } from '../transport/local-transport';
import { SshTransport } from '../transport/ssh-transport';
import type { Transport } from '../transport/transport';

/** This checkout (the file is host-runner/dist/src/run/target.js). */
const REPO = path.resolve(__dirname, '..', '..', '..', '..');

/**
 * A target ready to use (labgrid's Target): how to reach it and how to start the agent there.
 * Built from a {@link TargetConfig}; holds no connection itself.
 */
export interface Target {
  /** Name for messages and hints (`--target` value). */
  readonly name: string;
  readonly config: TargetConfig;
  /** `ssh://user@host:port` or `local`. */
  readonly description: string;
  /** The agent's argv on the target. */
  readonly agentArgv: readonly string[];
  /** Time limit of each command and of the agent's start: ms. */
  readonly commandTimeoutMs: number;
  /** A new, unconnected transport (every agent session gets its own). */
  makeTransport(): Transport;
}

/** Build a {@link Target}; bad values inside the transport options surface as usage errors on connect(). */
export function targetOf(config: TargetConfig): Target {
  const tr = config.transport;
  const makeTransport = (): Transport =>
    tr.type === 'local'
      ? new LocalTransport()
      : new SshTransport({
          host: tr.host,
          ...(tr.port !== undefined ? { port: tr.port } : {}),
          username: tr.user ?? os.userInfo().username,
          ...(tr.identity !== undefined ? { privateKeyPath: tr.identity } : {}),
          ...(tr.identityFiles !== undefined ? { optionalKeyPaths: tr.identityFiles } : {}),
          ...(tr.agentSocket !== undefined ? { agentSocket: tr.agentSocket } : {}),
          ...(tr.agentKeysOnly ? { agentKeysOnly: true } : {}),
          ...(tr.extraKnownHosts !== undefined ? { extraKnownHostsPaths: tr.extraKnownHosts } : {}),
          ...(tr.acceptNewHostKey !== undefined ? { acceptNewHostKey: tr.acceptNewHostKey } : {}),
          ...(tr.jumps !== undefined ? { jumps: tr.jumps.map(hopOptionsOf) } : {}),
          ...(tr.passphraseEnv !== undefined ? { passphraseEnv: tr.passphraseEnv } : {}),
          ...(tr.passwordEnv !== undefined ? { passwordEnv: tr.passwordEnv } : {}),
          ...(tr.knownHosts !== undefined ? { knownHostsPath: tr.knownHosts } : {}),
          ...(tr.fingerprint !== undefined ? { hostKeyFingerprint: tr.fingerprint } : {}),
          ...(tr.acceptUnknownHostKey !== undefined ? { acceptUnknownHostKey: tr.acceptUnknownHostKey } : {}),
          ...(tr.connectTimeoutMs !== undefined ? { connectTimeoutMs: tr.connectTimeoutMs } : {}),
          ...(tr.keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs: tr.keepaliveIntervalMs } : {}),
          ...(tr.keepaliveCountMax !== undefined ? { keepaliveCountMax: tr.keepaliveCountMax } : {}),
        });
  const description = tr.type === 'local' ? 'local' : sshUrl({ username: tr.user ?? os.userInfo().username, host: tr.host, port: tr.port ?? 22 }) + (tr.jumps?.length ? ` (via ${tr.jumps.map((j) => `${j.host}:${j.port}`).join(', ')})` : '');
  return {
    name: config.name,
    config,
    description,
    agentArgv: agentArgvOf(config),
    commandTimeoutMs: tr.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    makeTransport,
  };
}

/** The transport's options for one resolved jump host. */
function hopOptionsOf(h: SshHopConfig): SshHopOptions {
  return {
    host: h.host,
    port: h.port,
    username: h.user,
    optionalKeyPaths: h.identityFiles,
    ...(h.agentSocket !== undefined ? { agentSocket: h.agentSocket } : {}),
    ...(h.agentKeysOnly ? { agentKeysOnly: true } : {}),
    ...(h.knownHosts !== undefined ? { knownHostsPath: h.knownHosts } : {}),
    ...(h.extraKnownHosts !== undefined ? { extraKnownHostsPaths: h.extraKnownHosts } : {}),
    ...(h.acceptNewHostKey !== undefined ? { acceptNewHostKey: h.acceptNewHostKey } : {}),
  };
}

/**
 * The agent's command line: `agent.command` verbatim, else `[node, <installDir>/bin/ffs-lab-agent.js]`.
 * A local target without an install dir runs this checkout's agent with this node.
 */
export function agentArgvOf(config: TargetConfig): string[] {
  const a = config.agent ?? {};
  if (a.command) return [...a.command];
  if (config.transport.type === 'local' && a.installDir === undefined) {
    return [a.node ?? process.execPath, path.join(REPO, 'bin', 'ffs-lab-agent.js')];
  }
  return [a.node ?? 'node', path.posix.join(installDirOf(config), 'bin', 'ffs-lab-agent.js')];
}

/** Where `ffs-lab deploy` puts the agent. Default /opt/ffs-lab. */
export function installDirOf(config: TargetConfig): string {
  return config.agent?.installDir ?? DEFAULT_INSTALL_DIR;
}
