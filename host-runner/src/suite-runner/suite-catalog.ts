import * as fs from 'node:fs';
import * as path from 'node:path';
import { usageError } from '@ffs-lab/contract/exit-codes';

/**
 * suites/dist/: the compiled suites. They import the runner, not the other way round, so the
 * runner finds them by place (this file is host-runner/dist/src/suite-runner/suite-catalog.js).
 */
export const SUITES_DIR = path.resolve(__dirname, '..', '..', '..', '..', 'suites', 'dist');

/** A suite: its name (file name without `.suite.js`) and compiled file. */
export interface SuiteEntry {
  name: string;
  file: string;
  /** Benchmarks (`bench-*`) print figures rather than verdicts and run only when named. */
  optIn: boolean;
}

/** The benchmark suite (suites/bench-io-modes.suite.ts): runs the C reference pair beside our stack. */
export const BENCH_SUITE = 'bench-io-modes';

/** The suite that drives Chromium (suites/webusb.suite.ts). */
export const WEBUSB_SUITE = 'webusb';

/** Suites that must run first (what the kernel offers) and last (the kernel log after everything). */
const FIRST = ['kernel-info'];
const LAST = ['kernel-health'];

/** Every suite, in run order: FIRST, then the rest alphabetically, then LAST. */
export function allSuites(): SuiteEntry[] {
  const rank = (n: string) => (FIRST.includes(n) ? -1 : LAST.includes(n) ? 1 : 0);
  return fs
    .readdirSync(SUITES_DIR)
    .filter((f) => f.endsWith('.suite.js'))
    .map((f) => {
      const name = f.slice(0, -'.suite.js'.length);
      return { name, file: path.join(SUITES_DIR, f), optIn: name.startsWith('bench-') };
    })
    .sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

/**
 * The suites named, in run order; with no names, every suite except the opt-in benchmarks. An
 * unknown name is a usage error listing the known ones.
 */
export function selectSuites(names: readonly string[]): SuiteEntry[] {
  const all = allSuites();
  if (names.length === 0) return all.filter((s) => !s.optIn);
  for (const n of names) {
    if (!all.some((x) => x.name === n)) throw usageError(`unknown suite '${n}' (suites: ${all.map((x) => x.name).join(', ')})`);
  }
  return all.filter((s) => names.includes(s.name));
}
