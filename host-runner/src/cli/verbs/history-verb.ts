import * as fs from 'node:fs';
import * as path from 'node:path';
import { usageError } from '@ffs-lab/contract/exit-codes';
import type { Verb } from '../options';
import { buildHistory, historySummary, resultsFilesOf } from '../../history/run-history';
import { historyHtml } from '../../history/history-html';

/** `ffs-lab history DIR...`: one page over many runs. */
export const historyVerb: Verb = {
  name: 'history',
  summary: 'One page over many runs: each test\'s outcome per run, since when it fails, flakes, durations and measurements as trends.',
  positionals: 'DIR|results.json...',
  options: [{ name: 'out', type: 'string', metavar: 'DIR', default: 'history-results', description: 'write history.json and history.html here' }],
  details: `Each argument is a results.json, a report directory holding one, or a directory whose
subdirectories hold them (a matrix report: one run per kernel). Runs are ordered by start time;
tests are matched by ID (by suite and title in results from before IDs). The terminal gets the
tests that fail in the last run, since which run and whether that is new, and the flaky ones.
Exit codes: 0 written, 2 usage (no runs, unreadable or not a results.json).`,
  async run(args) {
    if (args.positionals.length === 0) throw usageError('history: name at least one results.json or report directory', 'usage: ffs-lab history DIR... [--out DIR]');
    const files = args.positionals.flatMap(resultsFilesOf);
    const h = buildHistory(files);
    const out = args.values.out as string;
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'history.json'), `${JSON.stringify(h, null, 2)}\n`);
    fs.writeFileSync(path.join(out, 'history.html'), historyHtml(h));
    for (const line of historySummary(h)) process.stdout.write(`${line}\n`);
    process.stdout.write(`history: ${path.join(out, 'history.html')} and history.json\n`);
    return 0;
  },
};
