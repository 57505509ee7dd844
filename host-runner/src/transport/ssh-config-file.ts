import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { usageError } from '@ffs-lab/contract/exit-codes';

/**
 * OpenSSH client configuration (ssh_config(5)), read the way `ssh` reads it for one destination:
 * the files in order, `Host` and `Match` blocks deciding which lines apply, the first value of
 * each keyword winning (IdentityFile collecting), `Include` followed where it stands.
 *
 * Covered: Host patterns (`*`, `?`, `!`), Match `all`, `host`, `originalhost`, `user`,
 * `localuser` (negated too), Include (globs in the last component, relative paths under ~/.ssh
 * or /etc/ssh), `key=value` and quoted arguments, and the keywords ffs-lab uses (HostName,
 * User, Port, IdentityFile, IdentitiesOnly, IdentityAgent, ProxyJump, UserKnownHostsFile,
 * StrictHostKeyChecking) with the tokens %h %n %k %p %r %u %d %i %l %L %j %C %% and `${VAR}`.
 * Not covered, reported as notes: `Match exec`, `canonical`, `final`, `localnetwork`, `tagged`
 * (the block is skipped: ffs-lab never runs commands from a config file), and keywords that
 * would change how the connection is made and that ffs-lab does not follow (ProxyCommand,
 * HostKeyAlias (accept-new is then kept off), CertificateFile, KnownHostsCommand,
 * PKCS11Provider, CanonicalizeHostname). Everything else is ignored, as options of no
 * consequence here (SendEnv, ForwardAgent, ...).
 */

/** What the config says about one destination; fields unset when no line gave them. */
export interface SshConfigAnswer {
  /** The name given (`Host` patterns match it). */
  alias: string;
  hostName?: string;
  user?: string;
  port?: number;
  /** IdentityFile lines in order, tokens expanded (missing files are the caller's business). */
  identityFiles: string[];
  identitiesOnly?: boolean;
  /** IdentityAgent: a socket path, `none`, or `SSH_AUTH_SOCK`. */
  identityAgent?: string;
  /** ProxyJump hops in order (empty for `none` or no line). */
  proxyJump: JumpHost[];
  /** UserKnownHostsFile paths, tokens expanded. */
  userKnownHostsFiles?: string[];
  strictHostKeyChecking?: 'yes' | 'no' | 'accept-new' | 'ask';
  /** HostKeyAlias, which ffs-lab does not follow: the caller keeps accept-new off for such a host. */
  hostKeyAlias?: string;
  /** Lines that applied but that ffs-lab does not follow, for the user to read. */
  notes: string[];
}

/** One `[user@]host[:port]` of a ProxyJump list. */
export interface JumpHost {
  user?: string;
  host: string;
  port?: number;
}

/** Where to read the config and how to expand its tokens. */
export interface SshConfigSource {
  /** Files in order (`ssh -F` gives one). Default: ~/.ssh/config then /etc/ssh/ssh_config. */
  files?: readonly string[];
  /** For `${VAR}`. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The user given on the command line or lab config: it wins over the config's User (`Match user`, `%r`), as in ssh. */
  user?: string;
  /** The port given on the command line or lab config: it wins over the config's Port for `%p`. */
  port?: number;
}

/** Keywords whose first value wins (lower case, as OpenSSH compares them). */
const SINGLE = new Set(['hostname', 'user', 'port', 'identitiesonly', 'identityagent', 'proxyjump', 'userknownhostsfile', 'stricthostkeychecking', 'hostkeyalias']);
/** Keywords that change how the connection is made, which ffs-lab does not implement. */
const NOT_FOLLOWED = new Set(['proxycommand', 'certificatefile', 'knownhostscommand', 'pkcs11provider', 'canonicalizehostname', 'localcommand', 'remotecommand']);
const MAX_INCLUDE_DEPTH = 16;

/** The default files, as `ssh` reads them without `-F`. */
export function defaultSshConfigFiles(): string[] {
  return [path.join(os.homedir(), '.ssh', 'config'), '/etc/ssh/ssh_config'];
}

/** Evaluate the config for `alias`. A file that is given but unreadable is a usage error; a missing default file is skipped. */
export function readSshConfig(alias: string, src: SshConfigSource = {}): SshConfigAnswer {
  const explicit = src.files !== undefined;
  const files = src.files ?? defaultSshConfigFiles();
  const env = src.env ?? process.env;
  const raw: Record<string, string[]> = {};
  const identityFiles: string[] = [];
  const notes: string[] = [];
  const state = { alias, raw, identityFiles, notes, commandUser: src.user };

  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if (!explicit && (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw usageError(`cannot read SSH config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    evaluate(text, file, true, state, 0);
  }

  const hostName = raw.hostname?.[0] !== undefined ? expand(raw.hostname[0], { h: alias, '%': '%' }, env) : undefined;
  const user = raw.user?.[0];
  const portText = raw.port?.[0];
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw usageError(`SSH config for '${alias}': bad Port '${portText}'`);
  }
  const local = os.hostname();
  const tokens: Record<string, string> = {
    h: hostName ?? alias,
    n: alias,
    k: alias,
    p: String(src.port ?? port ?? 22),
    r: src.user ?? user ?? os.userInfo().username,
    u: os.userInfo().username,
    d: os.homedir(),
    i: String(os.userInfo().uid),
    l: local,
    L: local.split('.')[0]!,
    j: raw.proxyjump?.[0] ?? '',
  };
  tokens.C = crypto.createHash('sha1').update(`${tokens.l}${tokens.h}${tokens.p}${tokens.r}${tokens.j}`).digest('hex');
  const pathOf = (v: string) => tilde(expand(v, tokens, env));
  const answer: SshConfigAnswer = { alias, identityFiles: identityFiles.map(pathOf), proxyJump: [], notes };
  if (hostName !== undefined) answer.hostName = hostName;
  if (user !== undefined) answer.user = user;
  if (port !== undefined) answer.port = port;
  if (raw.identitiesonly?.[0] !== undefined) answer.identitiesOnly = yes(raw.identitiesonly[0]);
  if (raw.identityagent?.[0] !== undefined) {
    const a = raw.identityagent[0];
    // `$NAME` names an environment variable holding the socket path (as ssh reads IdentityAgent).
    const fromEnv = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(a)?.[1];
    answer.identityAgent = a === 'none' || a === 'SSH_AUTH_SOCK' ? a : fromEnv !== undefined ? (env[fromEnv] ?? 'none') : pathOf(a);
  }
  if (raw.hostkeyalias?.[0] !== undefined) answer.hostKeyAlias = raw.hostkeyalias[0];
  if (raw.proxyjump?.[0] !== undefined && raw.proxyjump[0] !== 'none') answer.proxyJump = parseProxyJump(raw.proxyjump[0], `SSH config for '${alias}'`);
  // `none`: no file at all; read as the empty /dev/null, and a key accepted new is recorded nowhere.
  if (raw.userknownhostsfile !== undefined) answer.userKnownHostsFiles = raw.userknownhostsfile.map((f) => (f === 'none' ? '/dev/null' : pathOf(f)));
  const strict = raw.stricthostkeychecking?.[0]?.toLowerCase();
  if (strict !== undefined) answer.strictHostKeyChecking = strict === 'accept-new' ? 'accept-new' : strict === 'ask' ? 'ask' : yes(strict) ? 'yes' : 'no';
  return answer;
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]`, comma separated. */
export function parseProxyJump(spec: string, where: string): JumpHost[] {
  return spec.split(',').map((one) => {
    const m = /^(?:ssh:\/\/)?(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s[\]]+)(?::(\d+))?$/.exec(one.trim());
    if (!m) throw usageError(`${where}: bad ProxyJump hop '${one}' (expected [user@]host[:port])`);
    const hop: JumpHost = { host: m[2]!.replace(/^\[(.*)\]$/, '$1') };
    if (m[1] !== undefined) hop.user = m[1];
    if (m[3] !== undefined) {
      const port = Number(m[3]);
      if (port < 1 || port > 65535) throw usageError(`${where}: bad port in ProxyJump hop '${one}'`);
      hop.port = port;
    }
    return hop;
  });
}

interface EvalState {
  alias: string;
  raw: Record<string, string[]>;
  identityFiles: string[];
  notes: string[];
  commandUser: string | undefined;
}

/**
 * Walk one file's lines with the caller's `active` state; Host/Match lines change it for the
 * rest of this file only (an Include inside a block is conditional on that block, as in OpenSSH).
 */
function evaluate(text: string, file: string, activeAtStart: boolean, st: EvalState, depth: number): void {
  let active = activeAtStart;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const words = splitLine(lines[i]!, `${file}:${i + 1}`);
    if (words.length === 0) continue;
    const key = words[0]!.toLowerCase();
    const args = words.slice(1);
    const where = `${file}:${i + 1}`;
    if (key === 'host') {
      active = hostMatches(st.alias, args);
      continue;
    }
    if (key === 'match') {
      active = matchApplies(args, st, where);
      continue;
    }
    if (!active) continue;
    if (key === 'include') {
      if (depth >= MAX_INCLUDE_DEPTH) throw usageError(`${where}: Include nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`);
      for (const inc of args.flatMap((a) => globFiles(includePath(a, file)))) {
        let incText: string;
        try {
          incText = fs.readFileSync(inc, 'utf8');
        } catch {
          continue; // as ssh: an Include that matches nothing readable is no error
        }
        evaluate(incText, inc, active, st, depth + 1);
      }
      continue;
    }
    if (args.length === 0) throw usageError(`${where}: '${words[0]}' needs a value`);
    if (key === 'identityfile') {
      st.identityFiles.push(args[0]!);
    } else if (SINGLE.has(key)) {
      if (st.raw[key] === undefined) st.raw[key] = key === 'userknownhostsfile' ? args : [args[0]!];
    } else if (NOT_FOLLOWED.has(key)) {
      st.notes.push(`${where}: '${words[0]}' is not followed by ffs-lab (ignored)`);
    }
  }
}

/** Host: any positive pattern matches and no negated one does. */
function hostMatches(name: string, patterns: string[]): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) {
      hit = true;
    }
  }
  return hit;
}

/** A pattern list as in ssh_config PATTERNS: comma separated, `!` negates. */
function patternListMatches(list: string, value: string): boolean {
  return hostMatches(value, list.split(','));
}

function matchApplies(args: string[], st: EvalState, where: string): boolean {
  let ok = true;
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    const negate = raw.startsWith('!');
    const criterion = (negate ? raw.slice(1) : raw).toLowerCase();
    if (criterion === 'all') {
      ok &&= !negate;
      continue;
    }
    const value = args[++i];
    if (value === undefined && ['host', 'originalhost', 'user', 'localuser'].includes(criterion)) throw usageError(`${where}: Match ${criterion} needs a value`);
    let hit: boolean;
    switch (criterion) {
      case 'host':
        hit = patternListMatches(value!, st.raw.hostname?.[0]?.replace(/%h/g, st.alias) ?? st.alias);
        break;
      case 'originalhost':
        hit = patternListMatches(value!, st.alias);
        break;
      case 'user':
        hit = patternListMatches(value!, st.commandUser ?? st.raw.user?.[0] ?? os.userInfo().username);
        break;
      case 'localuser':
        hit = patternListMatches(value!, os.userInfo().username);
        break;
      default:
        st.notes.push(`${where}: 'Match ${criterion}' is not supported by ffs-lab: the block is skipped`);
        return false;
    }
    ok &&= negate ? !hit : hit;
  }
  return ok;
}

/** `*` and `?` wildcards; host names compare case-insensitively (as OpenSSH's), file names not. */
function globMatch(pattern: string, value: string, ignoreCase = true): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'i' : '');
  return re.test(value);
}

/** A line's words: `Keyword value...` or `Keyword=value...`; double quotes group; `#` starts a comment. */
function splitLine(line: string, where: string): string[] {
  const m = /^\s*([^\s=#]+)(?:\s*=\s*|\s+|$)(.*)$/.exec(line);
  if (!m) return [];
  const words = [m[1]!];
  const rest = m[2]!;
  let i = 0;
  while (i < rest.length) {
    const c = rest[i]!;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '#') {
      break;
    } else if (c === '"') {
      const end = rest.indexOf('"', i + 1);
      if (end < 0) throw usageError(`${where}: unbalanced quotes`);
      words.push(rest.slice(i + 1, end));
      i = end + 1;
    } else {
      let word = '';
      while (i < rest.length && !/[\s"]/.test(rest[i]!)) word += rest[i++];
      words.push(word);
    }
  }
  return words;
}

/** `%x` tokens from `tokens`, `%%`, and `${VAR}` from the environment; an unknown token or unset variable is a usage error. */
function expand(value: string, tokens: Record<string, string>, env: NodeJS.ProcessEnv): string {
  return value.replace(/%(.)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (all, t: string | undefined, v: string | undefined) => {
    if (v !== undefined) {
      const got = env[v];
      if (got === undefined) throw usageError(`SSH config: environment variable ${v} (in '${value}') is not set`);
      return got;
    }
    if (t === '%') return '%';
    const got = tokens[t!];
    if (got === undefined) throw usageError(`SSH config: token '${all}' in '${value}' is not supported by ffs-lab`);
    return got;
  });
}

function tilde(p: string): string {
  return p === '~' ? os.homedir() : p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

function includePath(p: string, from: string): string {
  const t = tilde(p);
  if (path.isAbsolute(t)) return t;
  // ssh: relative to ~/.ssh in user files, to /etc/ssh in system files.
  return from.startsWith('/etc/ssh/') ? path.join('/etc/ssh', t) : path.join(os.homedir(), '.ssh', t);
}

/** The files a path with `*`/`?` in its last component names, sorted as glob(3) sorts them. */
function globFiles(p: string): string[] {
  const base = path.basename(p);
  if (!/[*?]/.test(base)) return [p];
  const dir = path.dirname(p);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => !n.startsWith('.') && globMatch(base, n, false)).sort().map((n) => path.join(dir, n));
}

function yes(v: string): boolean {
  return ['yes', 'true'].includes(v.toLowerCase());
}
