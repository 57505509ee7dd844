import { usageError } from '@ffs-lab/contract/exit-codes';
import { caseInfoOf, testIdOf } from './test-case';

/**
 * Which tests of the chosen suites run: all three criteria must hold where given. `ids` are test
 * IDs (`suite.case`) or globs over them (`*` for any run of characters: `mmap-limits.*`,
 * `*.largest-contiguous`); `tags` any of the test's tags; `grep` a regular expression over the
 * full title (suites joined by spaces, as mocha's --grep sees it).
 */
export interface TestSelection {
  grep?: string;
  ids?: readonly string[];
  tags?: readonly string[];
}

/** An ID pattern: the ID alphabet plus `*` (`--id`, waivers). */
export const ID_PATTERN = /^[a-z0-9_.*-]{1,64}$/;
/** A tag. */
const TAG = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** The `--grep`, `--id` and `--tag` options (lab, run, matrix, list). */
export const SELECTION_OPTIONS = [
  { name: 'grep', type: 'string', metavar: 'REGEX', description: 'run only tests whose full title matches' },
  { name: 'id', type: 'string', multiple: true, metavar: 'ID', description: "run only this test (its ID, `suite.case`, from `ffs-lab list`; `*` matches any characters: 'mmap-limits.*'); repeatable" },
  { name: 'tag', type: 'string', multiple: true, metavar: 'TAG', description: 'run only tests with this tag (see `ffs-lab list`); repeatable: any of them' },
] as const;

/** The selection of a verb's `--grep`, `--id` and `--tag` values, checked; undefined when none is given. */
export function selectionOf(verb: string, values: Record<string, unknown>): TestSelection | undefined {
  const grep = typeof values.grep === 'string' ? values.grep : undefined;
  if (grep !== undefined) {
    try {
      new RegExp(grep);
    } catch (e) {
      throw usageError(`${verb}: --grep '${grep}' is not a regular expression: ${(e as Error).message}`);
    }
  }
  const ids = (values.id as string[] | undefined) ?? [];
  for (const id of ids) if (!ID_PATTERN.test(id)) throw usageError(`${verb}: --id '${id}' is not a test ID or a pattern of one ([a-z0-9_.-] and *, at most 64 characters)`);
  const tags = (values.tag as string[] | undefined) ?? [];
  for (const t of tags) if (!TAG.test(t)) throw usageError(`${verb}: --tag '${t}' is not a tag ([a-z0-9_-], at most 32 characters)`);
  if (grep === undefined && ids.length === 0 && tags.length === 0) return undefined;
  return { ...(grep !== undefined ? { grep } : {}), ...(ids.length ? { ids } : {}), ...(tags.length ? { tags } : {}) };
}

/** `{ select }` for a verb's options, or nothing when no selection option is given: spread it into the run's options. */
export function selected(verb: string, values: Record<string, unknown>): { select?: TestSelection } {
  const select = selectionOf(verb, values);
  return select ? { select } : {};
}

/** The selection as command-line options (the guest's and the report's view of it). */
export function selectionArgs(sel: TestSelection | undefined): string[] {
  if (!sel) return [];
  return [...(sel.grep !== undefined ? ['--grep', sel.grep] : []), ...(sel.ids ?? []).flatMap((i) => ['--id', i]), ...(sel.tags ?? []).flatMap((t) => ['--tag', t])];
}

/** A glob over test IDs as a regular expression. */
export function idPatternRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.\\^$+?()[\]{}|-]/g, '\\$&')).join('.*')}$`);
}

/** A test as the selection sees it: mocha's Test (its full title, its case name and tags). */
export type SelectableTest = { fullTitle(): string };

/** The selection compiled once: whether a test of `suite` is selected. */
export function selector(sel: TestSelection): (suite: string, test: SelectableTest) => boolean {
  const grep = sel.grep !== undefined ? new RegExp(sel.grep) : undefined;
  const ids = sel.ids?.length ? sel.ids.map(idPatternRegExp) : undefined;
  const tags = sel.tags?.length ? sel.tags : undefined;
  return (suite, test) => {
    if (grep && !grep.test(test.fullTitle())) return false;
    if (ids) {
      const id = testIdOf(suite, test);
      if (id === undefined || !ids.some((p) => p.test(id))) return false;
    }
    if (tags) {
      const own = caseInfoOf(test).tags;
      if (!tags.some((t) => own.includes(t))) return false;
    }
    return true;
  };
}
