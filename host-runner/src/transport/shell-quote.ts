import { usageError } from '@ffs-lab/contract/exit-codes';

/** Environment variable names we pass through `env`: the portable POSIX set. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** In a `u` regex a surrogate range matches only unpaired halves, which UTF-8 cannot carry. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function checkEncodable(s: string, what: string): void {
  // A NUL would end the C string on the remote side: the program would see a truncated argument.
  if (s.includes('\0')) throw usageError(`${what} contains a NUL byte, which no program argument can carry`);
  // A lone surrogate would become U+FFFD on the wire: the program would see different bytes.
  if (LONE_SURROGATE.test(s)) throw usageError(`${what} contains an unpaired UTF-16 surrogate, which is not valid Unicode`);
}

/**
 * Quote one argument for a POSIX shell: the whole string in single quotes, each `'` written as
 * `'\''`. Inside single quotes no character is special (not `$`, backtick, `\`, `*` or newline),
 * so the shell hands the program exactly these bytes (UTF-8). Throws a usage LabError for NUL
 * bytes and unpaired surrogates.
 */
export function shellQuote(arg: string): string {
  checkEncodable(arg, 'argument');
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Check an argv for what no transport can carry: an empty list, NUL bytes, unpaired surrogates.
 * Throws a usage LabError.
 */
export function checkArgv(argv: readonly string[]): void {
  if (argv.length === 0) throw usageError('cannot run an empty command line');
  argv.forEach((arg, i) => checkEncodable(arg, `argument ${i}`));
}

/** Check environment variable names and values (see {@link SpawnOptions.env}). Throws a usage LabError. */
export function checkEnv(env: Readonly<Record<string, string>> | undefined): void {
  for (const [name, value] of Object.entries(env ?? {})) {
    if (!ENV_NAME.test(name)) throw usageError(`bad environment variable name ${JSON.stringify(name)} (must match [A-Za-z_][A-Za-z0-9_]*)`);
    checkEncodable(value, `value of environment variable ${name}`);
  }
}

/**
 * The command string for an SSH `exec` request (which the remote login shell runs with `-c`):
 * `exec env -- 'K=v' ... 'argv0' 'argv1' ...`.
 *
 * `exec` makes the program replace the shell, so it keeps the shell's pid and receives signals
 * sent to it. `env --` sets the environment without relying on the server's AcceptEnv, and also
 * keeps an argv[0] starting with `-` from being read as an option (dash's `exec` has no `--`).
 * Throws a usage LabError for an empty argv, bad env names, NUL bytes, unpaired surrogates, or
 * an argv[0] containing `=` (env would take it for a variable assignment).
 */
export function commandLine(argv: readonly string[], env?: Readonly<Record<string, string>>): string {
  checkArgv(argv);
  checkEnv(env);
  if (argv[0].includes('=')) {
    throw usageError(`program name ${JSON.stringify(argv[0])} contains '=', which env(1) would take for a variable assignment`);
  }
  const assignments = Object.entries(env ?? {}).map(([name, value]) => shellQuote(`${name}=${value}`));
  return ['exec', 'env', '--', ...assignments, ...argv.map(shellQuote)].join(' ');
}
