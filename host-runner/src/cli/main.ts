import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import { parseVerbArgs, verbHelp, type Verb } from './options';
import { labVerb } from './verbs/lab-verb';
import { kernelVerb } from './verbs/kernel-verb';
import { guestVerb } from './verbs/guest-verb';
import { suitesVerb } from './verbs/suites-verb';
import { listVerb } from './verbs/list-verb';
import { historyVerb } from './verbs/history-verb';
import { runVerb } from './verbs/run-verb';
import { deployVerb } from './verbs/deploy-verb';
import { doctorVerb } from './verbs/doctor-verb';
import { initVerb } from './verbs/init-verb';
import { compareVerb } from './verbs/compare-verb';
import { benchVerb } from './verbs/bench-verb';
import { matrixVerb } from './verbs/matrix-verb';
import { mutateVerb } from './verbs/mutate-verb';
import { packAgentVerb } from './verbs/pack-agent-verb';

/** Every verb of the CLI, in help order. */
export const VERBS: readonly Verb[] = [labVerb, matrixVerb, mutateVerb, runVerb, deployVerb, doctorVerb, initVerb, packAgentVerb, compareVerb, benchVerb, kernelVerb, suitesVerb, listVerb, historyVerb, guestVerb];

/** Top-level help: every verb and where to find its options. */
export function mainHelp(): string {
  const width = Math.max(...VERBS.map((v) => v.name.length)) + 2;
  const list = (internal: boolean) => VERBS.filter((v) => Boolean(v.internal) === internal).map((v) => `  ${v.name.padEnd(width)}${v.summary}`);
  const verbOptions = VERBS.filter((v) => !v.internal).map((v) => verbHelp(v).trimEnd()).join('\n\n');
  return [
    'usage: ffs-lab <verb> [options]',
    '',
    'Conformance lab for Linux USB gadget FunctionFS zero-copy I/O.',
    '',
    'verbs:',
    ...list(false),
    '',
    'internal:',
    ...list(true),
    '',
    'Every verb takes --help. Their options:',
    '',
    verbOptions,
    '',
  ].join('\n');
}

/** CLI entry: returns the exit code; user errors print one line, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name ? ExitCode.Ok : ExitCode.Usage;
  }
  if (name === '--version') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json is outside the compiled tree: read at run time
    process.stdout.write(`${(require('@ffs-lab/host-runner/package.json') as { version: string }).version}\n`);
    return ExitCode.Ok;
  }
  const verb = VERBS.find((v) => v.name === name);
  if (!verb) {
    process.stderr.write(`ffs-lab: unknown verb '${name}' (verbs: ${VERBS.filter((v) => !v.internal).map((v) => v.name).join(', ')}; see ffs-lab --help)\n`);
    return ExitCode.Usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(verbHelp(verb));
    return ExitCode.Ok;
  }
  try {
    return await verb.run(parseVerbArgs(verb, rest));
  } catch (err) {
    if (err instanceof LabError) {
      process.stderr.write(`ffs-lab: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ''}`);
      return err.exitCode;
    }
    const e = err as Error;
    process.stderr.write(`ffs-lab: internal error: ${e?.message ?? String(err)}\n${process.env.FFS_LAB_DEBUG ? `${e?.stack}\n` : '  (set FFS_LAB_DEBUG=1 for a stack trace; please report this)\n'}`);
    return ExitCode.Infrastructure;
  }
}
