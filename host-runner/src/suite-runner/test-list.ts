import * as path from 'node:path';
import Mocha from 'mocha';
import { loadSuiteFiles } from './mocha-suites';
import type { SuiteEntry } from './suite-catalog';
import { caseInfoOf, testIdOf, type Need } from './test-case';
import { usageError } from '@ffs-lab/contract/exit-codes';
import { selectionArgs, selector, type TestSelection } from './test-selection';

/** A test as `ffs-lab list` shows it. */
export interface ListedTest {
  /** `suite.case`; absent for a test its suite gave no case name. */
  id?: string;
  suite: string;
  /** Title path below the suite's top block, joined by ' > ' (as results.json names tests). */
  title: string;
  tags: string[];
  needs: Need[];
}

/**
 * The tests of `suites` as they are declared, with their IDs, tags and needs, in run order,
 * narrowed by `select`: the suite files are loaded (nothing runs, nothing connects) and unloaded
 * again. Tests a suite makes while it runs (the selftest's KTAP cases) are not among them.
 */
export function listTests(suites: readonly SuiteEntry[], select?: TestSelection): ListedTest[] {
  const mocha = new Mocha();
  for (const s of suites) mocha.addFile(s.file);
  try {
    loadSuiteFiles(mocha);
    const selected = select ? selector(select) : undefined;
    const out: ListedTest[] = [];
    const walk = (block: Mocha.Suite, suite: string) => {
      for (const t of block.tests) {
        const file = t.file ?? block.file ?? '';
        const name = suites.find((s) => s.file === file)?.name ?? suite ?? path.basename(file, '.suite.js');
        if (selected && !selected(name, t)) continue;
        const id = testIdOf(name, t);
        out.push({ ...(id ? { id } : {}), suite: name, title: t.titlePath().slice(1).join(' > ') || t.title, ...caseInfoOf(t) });
      }
      for (const b of block.suites) walk(b, suites.find((s) => s.file === b.file)?.name ?? suite);
    };
    walk(mocha.suite, '');
    return out;
  } finally {
    // A later run in this process loads the files afresh.
    mocha.unloadFiles();
  }
}

/** Fail with a usage error (exit 2) when a selection matches no declared test of `suites`: before anything is built, booted or connected. */
export function checkSelection(verb: string, suites: readonly SuiteEntry[], select: TestSelection | undefined): void {
  if (!select || listTests(suites, select).length > 0) return;
  throw usageError(`${verb}: no test of the suites chosen matches ${selectionArgs(select).join(' ')} (see \`ffs-lab list\`)`);
}
