import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { LabError, infraError, usageError } from '@ffs-lab/contract/exit-codes';
import { checkHostKey, fingerprint, fingerprintsEqual, hostLookupName, keyTypeOf, knownKeyTypes, parseKnownHosts, type HostKeyCheck, type KnownHostEntry } from './known-hosts';
import type { SshTargetOptions } from './ssh-target-options';

/** ssh2 host key algorithm names for a known_hosts key type. */
const HOST_KEY_ALGORITHMS: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/** The hostVerifier and what it decided (kept for the error message). */
export interface HostKeyVerifier {
  verify(key: Buffer): boolean;
  verdict: HostKeyVerdict | undefined;
  /** ssh2 host key algorithms to ask for first (from the known_hosts key types of this host). */
  preferred: ServerHostKeyAlgorithm[];
}

/** What the host key check decided, kept for the error message. */
export type HostKeyVerdict =
  | { kind: 'pin'; ok: boolean; offered: string; offeredType: string; pinned: string }
  | { kind: 'known_hosts'; ok: boolean; check: HostKeyCheck; path: string; missing: boolean; added?: boolean };

/**
 * The host key policy: pinned fingerprint, or known_hosts (optionally accepting unknown hosts,
 * or accepting and recording them: accept-new). `log` gets OpenSSH's "Permanently added" notice.
 */
export function hostKeyVerifier(o: Pick<SshTargetOptions, 'host' | 'hostKeyFingerprint' | 'knownHostsPath' | 'extraKnownHostsPaths' | 'acceptUnknownHostKey' | 'acceptNewHostKey'> & { port: number }, log: (line: string) => void = () => {}): HostKeyVerifier {
  const state: HostKeyVerifier = { verdict: undefined, verify: () => false, preferred: [] };
  const pin = o.hostKeyFingerprint?.trim();
  if (pin !== undefined) {
    state.verify = (key) => {
      const offered = fingerprint(key);
      const ok = fingerprintsEqual(offered, pin);
      state.verdict = { kind: 'pin', ok, offered, offeredType: keyTypeOf(key), pinned: pin };
      return ok;
    };
    return state;
  }
  const path = o.knownHostsPath ?? join(homedir(), '.ssh', 'known_hosts');
  let entries: KnownHostEntry[] = [];
  let missing = false;
  const extras = o.extraKnownHostsPaths ?? defaultExtraKnownHosts(o.knownHostsPath === undefined);
  for (const file of [path, ...extras.filter((f) => f !== path)]) {
    try {
      entries = entries.concat(parseKnownHosts(readFileSync(file, 'utf8')).map((e) => ({ ...e, file })));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw usageError(`cannot read known_hosts file ${file}: ${(err as NodeJS.ErrnoException).code}`);
      if (file === path) missing = true;
    }
  }
  state.verify = (key) => {
    const check = checkHostKey(entries, o.host, o.port, key);
    if (check.result === 'unknown' && o.acceptNewHostKey === true) {
      const added = addKnownHost(path, hostLookupName(o.host, o.port), key, log);
      state.verdict = { kind: 'known_hosts', ok: true, check, path, missing, added };
      return true;
    }
    const ok = check.result === 'match' || (check.result === 'unknown' && o.acceptUnknownHostKey === true);
    state.verdict = { kind: 'known_hosts', ok, check, path, missing };
    return ok;
  };
  state.preferred = knownKeyTypes(entries, o.host, o.port).flatMap((t) => HOST_KEY_ALGORITHMS[t] ?? []);
  return state;
}

/**
 * The known_hosts files OpenSSH also reads: the global ones always, and ~/.ssh/known_hosts2 beside
 * the default user file. A key listed there counts as known, a different one as a changed key.
 */
export function defaultExtraKnownHosts(defaultUserFile: boolean): string[] {
  return [...(defaultUserFile ? [join(homedir(), '.ssh', 'known_hosts2')] : []), '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
}

/** Append `name type base64` to known_hosts (creating it, and ~/.ssh, private); false, with a notice, when it cannot be written. */
function addKnownHost(path: string, name: string, key: Buffer, log: (line: string) => void): boolean {
  const type = keyTypeOf(key);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    appendFileSync(path, `${text === '' || text.endsWith('\n') ? '' : '\n'}${name} ${type} ${key.toString('base64')}\n`, { mode: 0o600 });
  } catch (err) {
    log(`Warning: could not add the ${type} host key of ${name} to ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return false;
  }
  log(`Warning: Permanently added '${name}' (${type} ${fingerprint(key)}) to the list of known hosts (${path}).`);
  return true;
}

/** The LabError (exit 3) for a refused host key, with what to do about it. */
export function hostKeyError(v: HostKeyVerdict, where: string, o: SshTargetOptions): LabError {
  if (v.kind === 'pin') {
    return infraError(`host key of ${where} does not match the pinned fingerprint: expected ${v.pinned}, offered ${v.offeredType} ${v.offered}`, 'if the target was legitimately re-keyed, update hostKeyFingerprint');
  }
  const c = v.check;
  switch (c.result) {
    case 'mismatch':
      return infraError(
        `HOST KEY MISMATCH for ${where}: ${linesByFile(c, v.path)} expects ${c.expected.join(' or ')}, server offered ${c.offeredType} ${c.offered}`,
        `possible man-in-the-middle; if the target was legitimately re-keyed, remove its old entry with 'ssh-keygen -R ${hostPattern(o)} -f ${c.files.find((f) => f !== undefined) ?? v.path}'`,
      );
    case 'revoked':
      return infraError(`host key of ${where} is revoked (${v.path} line ${c.line}): ${c.offeredType} ${c.offered}`);
    case 'unknown':
      return infraError(
        `host key of ${where} is unknown: no entry for ${hostPattern(o)} in ${v.path}${v.missing ? ' (file does not exist)' : ''}; server offered ${c.offeredType} ${c.offered}`,
        `after checking the fingerprint, add it with 'ssh-keyscan -p ${o.port ?? 22} -t ${c.offeredType} ${o.host} >> ${v.path}', pin it with hostKeyFingerprint: '${c.offered}', or accept it on first use with --accept-new-host-key`,
      );
    case 'match':
      return infraError(`SSH connection to ${where} failed after host key verification`);
  }
}

/** `FILE line 3,7` per file the host's lines came from. */
function linesByFile(c: { lines: number[]; files: (string | undefined)[] }, fallback: string): string {
  const by = new Map<string, number[]>();
  c.lines.forEach((l, i) => by.set(c.files[i] ?? fallback, [...(by.get(c.files[i] ?? fallback) ?? []), l]));
  return [...by].map(([f, ls]) => `${f} line ${ls.join(',')}`).join(' and ');
}

function hostPattern(o: SshTargetOptions): string {
  const port = o.port ?? 22;
  return port === 22 ? o.host : `[${o.host}]:${port}`;
}

