import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseVerbArgs, verbHelp, type Verb } from '../src/cli/options';
import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import { VERBS, mainHelp } from '../src/cli/main';

const verb: Verb = {
  name: 'demo',
  summary: 'demo verb',
  options: [
    { name: 'kernel', type: 'string', choices: ['a', 'b'], default: 'a', description: 'k' },
    { name: 'suite', type: 'string', multiple: true, description: 's' },
    { name: 'shell', type: 'boolean', description: 'sh' },
  ],
  run: async () => 0,
};

function usageFailure(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof LabError && err.exitCode === ExitCode.Usage && pattern.test(err.message));
}

test('defaults apply and repeatable options collect', () => {
  const a = parseVerbArgs(verb, ['--suite', 'x', '--suite', 'y', '--shell']);
  assert.equal(a.values.kernel, 'a');
  assert.deepEqual(a.values.suite, ['x', 'y']);
  assert.equal(a.values.shell, true);
});

test('unknown options, bad choices and stray arguments are usage errors (exit 2)', () => {
  usageFailure(() => parseVerbArgs(verb, ['--nope']), /unknown option '--nope'/);
  usageFailure(() => parseVerbArgs(verb, ['--kernel', 'c']), /--kernel must be one of a, b \(got 'c'\)/);
  usageFailure(() => parseVerbArgs(verb, ['extra']), /unexpected argument 'extra'/);
});

test('help lists every option of every verb, and every verb', () => {
  const help = mainHelp();
  for (const v of VERBS) {
    assert.ok(help.includes(`  ${v.name} `), `verb ${v.name} missing from --help`);
    if (v.internal) continue;
    for (const o of v.options) assert.ok(help.includes(`--${o.name}`), `--${o.name} of ${v.name} missing from --help`);
  }
  assert.match(verbHelp(verb), /--kernel a\|b\s+k \(default: a\)/);
});
