import type Mocha from 'mocha';

/**
 * What ffs-lab does with mocha's tree of suites and tests before a run: load the suite files,
 * walk the tests, and hand mocha a selection as its grep.
 */

/** Require the added files into the mocha instance now (mocha's own loadFiles, typed protected), so that run() does not load them again. */
export function loadSuiteFiles(mocha: Mocha): void {
  const m = mocha as unknown as { loadFiles(): void; lazyLoadFiles(enable: boolean): void };
  m.loadFiles();
  m.lazyLoadFiles(true);
}

/** Every test of a block and of the blocks inside it, in order. */
export function testsUnder(block: Mocha.Suite): Mocha.Test[] {
  return [...block.tests, ...block.suites.flatMap(testsUnder)];
}

/**
 * The selection as mocha's grep: mocha asks `test(fullTitle)` of every test it could run (and
 * counts them first), so tests outside the selection are neither run nor reported, as with
 * `--grep`. The title is looked up in the suite tree, again when a suite has added tests. Two
 * tests with one full title (the suites have none: test-ids.test.ts) are one to mocha's grep:
 * both run when either is selected.
 */
export class SelectionGrep extends RegExp {
  private byTitle = new Map<string, Mocha.Test[]>();

  constructor(private readonly root: Mocha.Suite, private readonly selects: (t: Mocha.Test) => boolean) {
    super('(?:)');
  }

  override test(fullTitle: string): boolean {
    if (!this.byTitle.has(fullTitle)) {
      this.byTitle = new Map();
      for (const t of testsUnder(this.root)) this.byTitle.set(t.fullTitle(), [...(this.byTitle.get(t.fullTitle()) ?? []), t]);
    }
    return (this.byTitle.get(fullTitle) ?? []).some((t) => this.selects(t));
  }
}
