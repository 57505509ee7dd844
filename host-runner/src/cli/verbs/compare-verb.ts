import * as fs from 'node:fs';
import { ExitCode, LabError, usageError } from '@ffs-lab/contract/exit-codes';
import type { Verb } from '../options';
import { compareRuns, formatComparison, parseResults, ResultsFileError } from '../../results/compare';

/** Largest results.json read (bytes): a run of every suite with logs is a few MB; far above that is not one. */
const MAX_RESULTS_BYTES = 256 << 20;

/** `ffs-lab compare A/results.json B/results.json`: where two runs differ, and the no-mmap equivalence verdict. */
export const compareVerb: Verb = {
  name: 'compare',
  summary: 'Compare two runs (results.json) test by test and say whether no-mmap behaviour is identical.',
  positionals: 'A/results.json B/results.json',
  options: [],
  details: [
    'Pairs the tests of both runs by test ID (by suite and title for runs without IDs) and lists every test whose status differs or that ran',
    'in one run only, split into mmap-dependent tests (expected to differ between a kernel with the mmap',
    'zero-copy series and vanilla) and all others, then prints "no-mmap behaviour identical to vanilla: yes/no".',
    'mmap-dependent: the suites mmap-limits, zero-copy, ffs-mmap-selftest (and any mmap-*), tests skipped in',
    'either run with a reason starting "mmap zero-copy:", and tests under an "mmap mode" block.',
    'Outside those, a test that passed in one run and was skipped in the other is listed as run in one run',
    'only and not counted; any other difference (outcome, failure against skip, missing test) makes it "no".',
    'Exit codes: 0 identical outside mmap-dependent tests, 1 differences there, 2 usage (a file unreadable or not a results.json).',
  ].join('\n'),
  async run(args) {
    if (args.positionals.length !== 2) throw usageError(`compare: expected two results.json files, got ${args.positionals.length}`, 'usage: ffs-lab compare A/results.json B/results.json');
    const [fileA, fileB] = args.positionals as [string, string];
    const load = (file: string) => {
      let text: string;
      try {
        const size = fs.statSync(file).size;
        if (size > MAX_RESULTS_BYTES) throw usageError(`compare: ${file}: ${size} bytes is too big for a results.json (at most ${MAX_RESULTS_BYTES})`);
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        if (err instanceof LabError) throw err;
        throw usageError(`compare: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      try {
        return parseResults(text, file);
      } catch (err) {
        if (err instanceof ResultsFileError) throw usageError(`compare: ${err.message}`);
        throw err;
      }
    };
    const a = load(fileA);
    const b = load(fileB);
    const c = compareRuns(a, b);
    process.stdout.write(formatComparison(c, a, b, fileA, fileB));
    return c.identicalOutsideMmap ? ExitCode.Ok : ExitCode.TestFailed;
  },
};
