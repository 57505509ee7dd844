import type { Verb } from '../options';
import { allSuites, selectSuites } from '../../suite-runner/suite-catalog';
import { NEEDS, type Need } from '../../suite-runner/test-case';
import { listTests } from '../../suite-runner/test-list';
import { SELECTION_OPTIONS, selectionOf } from '../../suite-runner/test-selection';
import { oneLine } from '../../results/report-text';

/** `ffs-lab list`: the tests, by ID, with their tags and needs. */
export const listVerb: Verb = {
  name: 'list',
  summary: 'List the tests: stable IDs (suite.case, for --id, compare and waivers), titles, tags and what each needs.',
  options: [
    { name: 'suite', type: 'string', multiple: true, metavar: 'NAME', description: 'only this suite (see `ffs-lab suites`); default: every suite, benchmarks included' },
    ...SELECTION_OPTIONS.map((o) => ({ ...o, description: o.description.replace(/^run only/, 'only') })),
    { name: 'json', type: 'boolean', description: 'print JSON: { tests: [{ id, suite, title, tags, needs }], needs: { name: meaning } }' },
  ],
  details: `An ID names a test whatever its title, the profile's sizes or counts; the same
selection options work on lab, run and matrix. The suites are loaded, not run: nothing connects.
Tests a suite makes while it runs (ffs-mmap-selftest's KTAP cases, ffs-mmap-selftest.<case>) are
not listed; they run when a test of their block is selected too ('ffs-mmap-selftest.*').
Exit codes: 0 listed, 2 usage (unknown suite, bad pattern), 4 nothing matches.`,
  async run(args) {
    const names = (args.values.suite as string[] | undefined) ?? [];
    // Benchmarks are tests too: with no --suite, list them as well.
    const suites = names.length ? selectSuites(names) : allSuites();
    const select = selectionOf('list', args.values);
    const tests = listTests(suites, select);
    const used = [...new Set(tests.flatMap((t) => t.needs))];
    if (args.values.json) {
      process.stdout.write(`${JSON.stringify({ tests, needs: Object.fromEntries(used.map((n) => [n, NEEDS[n]])) }, null, 2)}\n`);
      return tests.length ? 0 : 4;
    }
    const width = Math.max(0, ...tests.map((t) => (t.id ?? '').length));
    let suite = '';
    for (const t of tests) {
      if (t.suite !== suite) process.stdout.write(`${suite ? '\n' : ''}${(suite = t.suite)}\n`);
      const extra = [t.tags.length ? `[${t.tags.join(', ')}]` : '', t.needs.length ? `(needs ${t.needs.join(', ')})` : ''].filter(Boolean).join(' ');
      process.stdout.write(`  ${(t.id ?? '(no id)').padEnd(width)}  ${oneLine(t.title)}${extra ? `  ${extra}` : ''}\n`);
    }
    if (used.length) process.stdout.write(`\nneeds:\n${used.map((n: Need) => `  ${n.padEnd(16)} ${NEEDS[n]}`).join('\n')}\n`);
    process.stdout.write(`\n${tests.length} test${tests.length === 1 ? '' : 's'}\n`);
    return tests.length ? 0 : 4;
  },
};
