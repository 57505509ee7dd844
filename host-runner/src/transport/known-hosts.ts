import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  /** `revoked` lines reject their key; `cert-authority` lines are parsed but never used. */
  marker: 'revoked' | 'cert-authority' | null;
  /** The host field: a comma list of patterns, or one hashed `|1|salt|hmac` name. */
  hosts: string;
  /** Key type as written, e.g. `ssh-ed25519`. */
  keyType: string;
  /** The public key blob (SSH wire format), decoded from base64. */
  key: Buffer;
  /** 1-based line number, for messages. */
  line: number;
  /** The file it came from, when entries of several files are checked together. */
  file?: string;
}

/** Outcome of {@link checkHostKey}. Fingerprints are OpenSSH `SHA256:...` strings. */
export type HostKeyCheck =
  | { result: 'match'; offered: string; line: number }
  /** The host is listed, but not with this key. `expected` holds `type SHA256:...` of each listed key. */
  | { result: 'mismatch'; offered: string; offeredType: string; expected: string[]; lines: number[]; files: (string | undefined)[] }
  | { result: 'unknown'; offered: string; offeredType: string }
  | { result: 'revoked'; offered: string; offeredType: string; line: number };

/**
 * Parse known_hosts text. Comments, blank lines and lines that do not parse (bad base64, a key
 * blob whose embedded type differs from the type field) are skipped, as OpenSSH does.
 */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const fields = raw.trim().split(/[ \t]+/);
    if (fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0].startsWith('@')) {
      if (fields[0] === '@revoked') marker = 'revoked';
      else if (fields[0] === '@cert-authority') marker = 'cert-authority';
      else return; // an unknown marker: OpenSSH ignores the line too
      fields.shift();
    }
    if (fields.length < 3) return;
    const [hosts, keyType, b64] = fields;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return;
    const key = Buffer.from(b64, 'base64');
    if (keyTypeOf(key) !== keyType) return;
    entries.push({ marker, hosts, keyType, key, line: i + 1 });
  });
  return entries;
}

/**
 * The name OpenSSH looks up for a host: `host` on port 22, `[host]:port` on any other port.
 * Lowercased, as OpenSSH does before matching.
 */
export function hostLookupName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** OpenSSH fingerprint of a public key blob: `SHA256:` + base64 of its SHA-256, without padding. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Compare two `SHA256:...` fingerprints, tolerating base64 padding on either side. */
export function fingerprintsEqual(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().replace(/=+$/, '');
  return norm(a) === norm(b);
}

/** The key type embedded at the start of an SSH public key blob (a uint32 length + string), or '' if malformed. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return '';
  const len = key.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > key.length) return '';
  return key.subarray(4, 4 + len).toString('latin1');
}

/**
 * OpenSSH glob: `*` any run, `?` one character, everything else literal. Matched by moving the
 * last `*` only (as OpenSSH's match_pattern does): O(pattern x name) at worst, where the same
 * glob as a regular expression (`.*` per star) backtracks exponentially in the number of stars.
 */
export function globMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === '?' || (pattern[p] !== '*' && pattern[p] === name[n]))) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * Does a known_hosts host field name this lookup name? Hashed names are compared by HMAC-SHA1;
 * plain comma lists follow OpenSSH match_hostname(): a matching `!pattern` vetoes the line.
 */
export function hostsFieldMatches(hosts: string, lookupName: string): boolean {
  if (hosts.startsWith('|1|')) {
    const parts = hosts.split('|');
    if (parts.length !== 4) return false;
    const salt = Buffer.from(parts[2], 'base64');
    const want = Buffer.from(parts[3], 'base64');
    const got = createHmac('sha1', salt).update(lookupName).digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
  let matched = false;
  for (const raw of hosts.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (pattern === '' || !globMatch(pattern, lookupName)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** Key types listed for a host (markers excluded), for preferring them in key exchange as OpenSSH does. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = hostLookupName(host, port);
  const types = entries.filter((e) => e.marker === null && hostsFieldMatches(e.hosts, name)).map((e) => e.keyType);
  return [...new Set(types)];
}

/**
 * Verify the key a server offered (raw blob, as ssh2's `hostVerifier` receives it).
 *
 * - `revoked`: any `@revoked` line holds this key, whatever its host field (stricter than
 *   OpenSSH, which only looks at lines for this host; a revoked key is never good).
 * - `match`: a plain line for this host holds exactly this key.
 * - `mismatch`: the host is listed but none of its keys is this one. This includes the case of
 *   keys of other types only: a server that suddenly offers a new key type is treated as a
 *   changed key, not as a new host, so that `acceptUnknownHostKey` cannot be used to slip past.
 * - `unknown`: no line for this host.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, offeredKey: Buffer): HostKeyCheck {
  const offered = fingerprint(offeredKey);
  const offeredType = keyTypeOf(offeredKey);
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(offeredKey));
  if (revoked) return { result: 'revoked', offered, offeredType, line: revoked.line };
  const name = hostLookupName(host, port);
  const forHost = entries.filter((e) => e.marker === null && hostsFieldMatches(e.hosts, name));
  const exact = forHost.find((e) => e.key.equals(offeredKey));
  if (exact) return { result: 'match', offered, line: exact.line };
  if (forHost.length === 0) return { result: 'unknown', offered, offeredType };
  return {
    result: 'mismatch',
    offered,
    offeredType,
    expected: forHost.map((e) => `${e.keyType} ${fingerprint(e.key)}`),
    lines: forHost.map((e) => e.line),
    files: forHost.map((e) => e.file),
  };
}
