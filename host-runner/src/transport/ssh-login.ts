import { existsSync, readFileSync } from 'node:fs';
import { OpenSSHAgent, utils as sshUtils, type AnyAuthMethod, type ConnectConfig, type IdentityCallback, type ParsedKey } from 'ssh2';
import { ExitCode, LabError, infraError, usageError } from '@ffs-lab/contract/exit-codes';
import { hostKeyError, type HostKeyVerdict } from './ssh-host-key-policy';
import type { ResolvedSshOptions, SshTargetOptions } from './ssh-target-options';

/**
 * ssh2 configuration, plus a description of the auth methods for messages (names only, never
 * secrets). Methods are tried in `ssh`'s order: the agent's keys, the key files, then password
 * and keyboard-interactive.
 */
export function sshLoginConfig(o: ResolvedSshOptions, description: string): { config: ConnectConfig; methods: string[] } {
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw usageError(`bad SSH port ${o.port}`);
  if (!o.username) throw usageError(`no SSH user name for ${o.host}`);
  if (o.hostKeyFingerprint !== undefined && !/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(o.hostKeyFingerprint.trim())) {
    throw usageError(`hostKeyFingerprint must look like SHA256:<43 base64 characters> (as 'ssh-keygen -lf' prints), got ${JSON.stringify(o.hostKeyFingerprint)}`);
  }
  const config: ConnectConfig = {
    host: o.host,
    port: o.port,
    username: o.username,
    readyTimeout: o.connectTimeoutMs,
    keepaliveInterval: o.keepaliveIntervalMs,
    keepaliveCountMax: o.keepaliveCountMax,
  };
  const username = o.username;
  const auth: AnyAuthMethod[] = [];
  const methods: string[] = [];
  if (o.agentSocket !== undefined && existsSync(o.agentSocket)) {
    const only = o.agentKeysOnly ? publicKeysOf([o.privateKeyPath, ...(o.optionalKeyPaths ?? [])]) : undefined;
    auth.push({ type: 'agent', username, agent: only ? new MatchingKeysAgent(o.agentSocket, only) : o.agentSocket });
    methods.push(`publickey (ssh-agent ${o.agentSocket}${only ? `, only its keys of ${only.length} key file${only.length === 1 ? '' : 's'}: IdentitiesOnly` : ''})`);
  }
  const passphrase = o.passphraseEnv !== undefined ? secretFromEnv(o, o.passphraseEnv, 'key passphrase', description) : undefined;
  if (o.privateKeyPath !== undefined) {
    let key: Buffer;
    try {
      key = readFileSync(o.privateKeyPath);
    } catch (err) {
      throw usageError(`cannot read SSH private key ${o.privateKeyPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const parsed = sshUtils.parseKey(key, passphrase);
    if (parsed instanceof Error) {
      const hint = o.passphraseEnv === undefined ? 'if the key is encrypted, set passphraseEnv to the name of a variable holding its passphrase' : undefined;
      throw usageError(`cannot use SSH private key ${o.privateKeyPath}: ${parsed.message}`, hint);
    }
    auth.push({ type: 'publickey', username, key, ...(passphrase !== undefined ? { passphrase } : {}) });
    methods.push(`publickey (${o.privateKeyPath})`);
  }
  for (const p of o.optionalKeyPaths ?? []) {
    if (p === o.privateKeyPath) continue;
    let key: Buffer;
    try {
      key = readFileSync(p);
    } catch {
      continue; // as ssh: an IdentityFile that is not there is no error
    }
    if (sshUtils.parseKey(key, passphrase) instanceof Error) {
      methods.push(`(${p} skipped: encrypted, or not a key this tool reads)`);
      continue;
    }
    auth.push({ type: 'publickey', username, key, ...(passphrase !== undefined ? { passphrase } : {}) });
    methods.push(`publickey (${p})`);
  }
  if (o.passwordEnv !== undefined) {
    const password = secretFromEnv(o, o.passwordEnv, 'password', description);
    auth.push({ type: 'password', username, password });
    auth.push({ type: 'keyboard-interactive', username, prompt: (_name, _instr, _lang, prompts, finish) => finish(prompts.map(() => password)) });
    methods.push(`password and keyboard-interactive (from $${o.passwordEnv})`);
  }
  if (auth.length === 0) {
    const tried = methods.length > 0 ? ` (${methods.join(', ')})` : '';
    throw usageError(`no SSH authentication method for ${description}${tried}`, 'give a key (identity, IdentityFile in ~/.ssh/config), start an ssh-agent (SSH_AUTH_SOCK), or set passwordEnv');
  }
  config.authHandler = auth;
  return { config, methods };
}

/**
 * ssh's IdentitiesOnly with an agent: the agent's keys that are also key files of this host are
 * offered, no others (so that a board's sshd does not count a dozen unrelated keys as failures).
 */
class MatchingKeysAgent extends OpenSSHAgent {
  constructor(socket: string, private readonly wanted: Buffer[]) {
    super(socket);
  }

  override getIdentities(cb: IdentityCallback<ParsedKey>): void {
    super.getIdentities((err, keys) => cb(err, keys?.filter((k) => 'getPublicSSH' in k && this.wanted.some((w) => w.equals((k as ParsedKey).getPublicSSH())))));
  }
}

/** The public keys (SSH wire format) of key files: their `.pub` beside them, else the key itself when it is not encrypted. */
function publicKeysOf(files: readonly (string | undefined)[]): Buffer[] {
  const out: Buffer[] = [];
  for (const f of files) {
    if (f === undefined) continue;
    for (const candidate of [`${f}.pub`, f]) {
      let parsed;
      try {
        parsed = sshUtils.parseKey(readFileSync(candidate));
      } catch {
        continue;
      }
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      if (key && !(key instanceof Error)) {
        out.push(key.getPublicSSH());
        break;
      }
    }
  }
  return out;
}

function secretFromEnv(o: SshTargetOptions, name: string, what: string, description: string): string {
  const value = (o.environment ?? process.env)[name];
  if (value === undefined) throw usageError(`environment variable ${name} (the SSH ${what} for ${description}) is not set`);
  return value;
}

/**
 * A connection failure that may pass by itself: nothing listening yet, no route yet, no banner
 * or login in time, the connection dropped during the handshake. `--wait-for-ssh` retries these
 * and nothing else (never a host key or authentication failure). Exit 3 like every other.
 */
export class SshNotUpError extends LabError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.Infrastructure, hint);
  }
}

/** One-line LabError for a failure before 'ready'. */
export function sshConnectError(o: ResolvedSshOptions, err: (Error & { level?: string; code?: string }) | undefined, verdict: HostKeyVerdict | undefined, methods: string[]): LabError {
  const where = `${o.host}:${o.port}`;
  if (verdict && !verdict.ok) return hostKeyError(verdict, where, o);
  if (!err) return new SshNotUpError(`SSH connection to ${where} closed before login`);
  if (err.level === 'client-authentication') {
    return infraError(`SSH authentication as ${o.username} on ${where} failed (tried: ${methods.join(', ')})`, 'check that the key is in the remote authorized_keys, or the password variable holds the right password');
  }
  if (err.level === 'client-timeout') {
    return new SshNotUpError(`cannot reach ${where}: no SSH login within ${o.connectTimeoutMs / 1000} s`, 'is the target up and its sshd running? (connectTimeoutMs sets the limit)');
  }
  const unreachable: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'connection timed out',
    ENOTFOUND: 'unknown host name',
    EAI_AGAIN: 'host name lookup failed',
    ECONNRESET: 'connection reset',
  };
  if (err.code !== undefined && unreachable[err.code] !== undefined) {
    return new SshNotUpError(`cannot reach ${where}: ${unreachable[err.code]} (${err.code})`);
  }
  // A socket that dies before the handshake ends: sshd starting up, or MaxStartups throttling.
  if (err.level === 'client-socket') return new SshNotUpError(`SSH connection to ${where} failed: ${err.message}`);
  return infraError(`SSH connection to ${where} failed: ${err.message}`);
}
