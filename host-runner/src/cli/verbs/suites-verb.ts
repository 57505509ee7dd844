import type { Verb } from '../options';
import { allSuites } from '../../suite-runner/suite-catalog';

/** `ffs-lab suites`: list the suites `--suite` accepts. */
export const suitesVerb: Verb = {
  name: 'suites',
  summary: 'List the conformance suites (names for --suite), in run order; benchmarks (bench-*) run only when named.',
  options: [],
  async run() {
    for (const s of allSuites()) process.stdout.write(`${s.name}${s.optIn ? '  (benchmark: runs only when named)' : ''}\n`);
    return 0;
  },
};
