import * as fs from 'node:fs';
import * as path from 'node:path';
import { usageError } from '../cli/exit-codes';

/** dist/suites/ (suites are compiled next to the runner). */
export const SUITES_DIR = path.resolve(__dirname, '..', '..', '..', 'suites');

/** A suite: its name (file name without `.suite.js`) and compiled file. */
export interface SuiteEntry {
  name: string;
  file: string;
}

/** Every suite, in run order (file names sort; a numeric prefix is not used, order is alphabetical). */
export function allSuites(): SuiteEntry[] {
  return fs
    .readdirSync(SUITES_DIR)
    .filter((f) => f.endsWith('.suite.js'))
    .sort()
    .map((f) => ({ name: f.slice(0, -'.suite.js'.length), file: path.join(SUITES_DIR, f) }));
}

/** The suites named (all when none); an unknown name is a usage error listing the known ones. */
export function selectSuites(names: readonly string[]): SuiteEntry[] {
  const all = allSuites();
  if (names.length === 0) return all;
  return names.map((n) => {
    const s = all.find((x) => x.name === n);
    if (!s) throw usageError(`unknown suite '${n}' (suites: ${all.map((x) => x.name).join(', ')})`);
    return s;
  });
}
