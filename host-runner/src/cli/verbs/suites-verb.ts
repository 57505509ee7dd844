import type { Verb } from '../options';
import { allSuites } from '../../suite-runner/suite-catalog';

/** `ffs-lab suites`: list the suites `--suite` accepts. */
export const suitesVerb: Verb = {
  name: 'suites',
  summary: 'List the conformance suites (names for --suite).',
  options: [],
  async run() {
    for (const s of allSuites()) process.stdout.write(`${s.name}\n`);
    return 0;
  },
};
