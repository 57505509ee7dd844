import { parseArgs } from 'node:util';
import { usageError } from '@ffs-lab/contract/exit-codes';

/** One command-line option of a verb, as shown by `--help`. */
export interface OptionSpec {
  /** Long name without the dashes, e.g. `report-dir`. */
  name: string;
  type: 'string' | 'boolean';
  /** Values a string option accepts; anything else is a usage error. */
  choices?: readonly string[];
  /** May be given more than once (values collect into an array). */
  multiple?: boolean;
  /** Placeholder shown in help, e.g. `DIR`. */
  metavar?: string;
  /** Default, shown in help. */
  default?: string;
  description: string;
}

/** A verb of the CLI: its options and what it does. */
export interface Verb {
  name: string;
  summary: string;
  /** Extra help text after the options table. */
  details?: string;
  /** Positional arguments, shown in the usage line (e.g. `A.json B.json`). */
  positionals?: string;
  options: readonly OptionSpec[];
  /** Hidden verbs are internal plumbing (listed under "internal" in help). */
  internal?: boolean;
  run(args: ParsedArgs): Promise<number>;
}

/** Parsed options of one verb: strings, booleans or string arrays, plus positionals. */
export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parse argv for a verb; unknown options and bad choices become usage errors (exit 2). */
export function parseVerbArgs(verb: Verb, argv: string[]): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const o of verb.options) options[o.name] = { type: o.type, multiple: o.multiple ?? false };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw usageError(`${verb.name}: ${describeParseError(err)}`, `see \`ffs-lab ${verb.name} --help\``);
  }
  const values = { ...parsed.values } as ParsedArgs['values'];
  for (const o of verb.options) {
    const v = values[o.name];
    if (v === undefined && o.default !== undefined) values[o.name] = o.type === 'boolean' ? o.default === 'true' : o.default;
    if (o.choices && v !== undefined) {
      for (const one of Array.isArray(v) ? v : [v]) {
        if (typeof one === 'string' && !o.choices.includes(one)) {
          throw usageError(`${verb.name}: --${o.name} must be one of ${o.choices.join(', ')} (got '${one}')`);
        }
      }
    }
  }
  if (!verb.positionals && parsed.positionals.length > 0) {
    throw usageError(`${verb.name}: unexpected argument '${parsed.positionals[0]}'`, `see \`ffs-lab ${verb.name} --help\``);
  }
  return { values, positionals: parsed.positionals };
}

function describeParseError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // node's messages are long and mention "To specify a positional argument"; keep the first sentence.
  return msg.split(/\.\s/)[0]!.replace(/^Unknown option/, 'unknown option');
}

/** Render the help text of one verb. */
export function verbHelp(verb: Verb): string {
  const lines = [`usage: ffs-lab ${verb.name} [options]${verb.positionals ? ' ' + verb.positionals : ''}`, '', verb.summary, ''];
  if (verb.options.length > 0) {
    lines.push('options:');
    const rows = verb.options.map((o) => {
      const flag = `--${o.name}${o.type === 'string' ? ' ' + (o.metavar ?? (o.choices ? o.choices.join('|') : 'VALUE')) : ''}`;
      const extra = [o.multiple ? 'repeatable' : '', o.default !== undefined ? `default: ${o.default}` : ''].filter(Boolean).join('; ');
      return [flag, o.description + (extra ? ` (${extra})` : '')] as const;
    });
    const width = Math.min(34, Math.max(...rows.map(([f]) => f.length)) + 2);
    // A flag wider than the column gets its description on the next line, aligned.
    for (const [f, d] of rows) lines.push(f.length + 2 > width ? `  ${f}\n  ${''.padEnd(width)}${d}` : `  ${f.padEnd(width)}${d}`);
    lines.push(`  ${'--help'.padEnd(width)}show this help`);
  }
  if (verb.details) lines.push('', verb.details.trimEnd());
  return lines.join('\n') + '\n';
}

/** The command line that gives `args` again (for a child run), without the options named in `omit`. */
export function argvOf(options: readonly OptionSpec[], args: ParsedArgs, omit: readonly string[]): string[] {
  const out: string[] = [];
  for (const o of options) {
    const v = args.values[o.name];
    if (omit.includes(o.name) || v === undefined || v === false) continue;
    if (v === true) out.push(`--${o.name}`);
    else for (const one of Array.isArray(v) ? v : [v]) out.push(`--${o.name}`, one);
  }
  return out;
}
