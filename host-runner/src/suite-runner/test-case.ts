import type Mocha from 'mocha';

/**
 * Stable test identities. Every test has an ID `suite.case`: the suite's file name, a dot, and
 * a case name the suite gives it (never derived from its title, a profile's sizes or a count),
 * so reports, `compare`, waivers, history and `--id` keep meaning the same test when a title is
 * reworded. Case names use what every engine's names accept (LAVA's test case names take
 * `[A-Za-z0-9_-]`); the whole ID is at most {@link MAX_TEST_ID} characters.
 */

/** A case name: lowercase letters, digits, `-` and `_`, starting with a letter or digit. */
export const CASE_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Longest test ID, `suite.case`: characters. */
export const MAX_TEST_ID = 64;

/**
 * What a test needs beyond the agent on a board with a free UDC: a kernel feature, a tool, or a
 * lab-only facility. `ffs-lab list` prints them; a test without what it needs skips with a reason.
 */
export const NEEDS = {
  'mmap-zero-copy': "the series' mmap zero-copy on the target's kernel",
  dmabuf: 'FunctionFS DMABUF (Linux 6.9+) and udmabuf on the target',
  chromium: 'Chromium on the runner host',
  'ffs-test': "the kernel's ffs-test on the target (lab tools.ffsTest)",
  'ffs-aio-example': "the kernel's ffs-aio-example device apps on the target (lab tools.aioSimple, aioMultibuff)",
  usbtest: "the kernel's usbtest driver and testusb on the runner host (FFS_LAB_HOST_TESTUSB; the lab's own build in the lab)",
  'legacy-g_zero': "the kernel's legacy Gadget Zero (g_zero) built in, on a UDC of its own (the lab's gzero kernel variant)",
  selftest: "the series' kselftest ffs_mmap_test on the target (lab tools.selftest)",
  'c-pair': 'the C reference pair (ffs-bench-gadget and ffs-bench-host)',
  'memory-cgroup': 'cgroup v2 with the memory controller on the target',
  'debug-kernel': 'a debug kernel (kmemleak)',
  'embedded-lab': 'the embedded lab (the runner inside the VM, beside the gadget)',
} as const;
export type Need = keyof typeof NEEDS;

/** Tags and needs of a test or of a describe block (a block's apply to every test in it). */
export interface CaseInfo {
  /** Free-form labels that select tests with `--tag` (e.g. `smoke`, `stream`, `race`). */
  tags?: readonly string[];
  /** What the tests need beyond the agent on a board with a free UDC ({@link NEEDS}). */
  needs?: readonly Need[];
}

interface Identified {
  ffsCase?: string;
  ffsInfo?: CaseInfo;
  parent?: Identified;
}

/**
 * Declare a test with its case name (the part of its ID after the suite's name). The same as
 * mocha's `it(title, fn)` otherwise; returns mocha's test.
 */
export function testCase(caseName: string, title: string, fn: Mocha.AsyncFunc, info?: CaseInfo): Mocha.Test;
export function testCase(caseName: string, title: string, fn: Mocha.Func, info?: CaseInfo): Mocha.Test;
export function testCase(caseName: string, title: string, fn: Mocha.Func | Mocha.AsyncFunc, info?: CaseInfo): Mocha.Test {
  return identify(it(title, fn as Mocha.Func), caseName, info);
}

/** A test declared but skipped (mocha's `it.skip`), with its ID all the same. */
testCase.skip = skipCase;

function skipCase(caseName: string, title: string, fn?: Mocha.AsyncFunc, info?: CaseInfo): Mocha.Test;
function skipCase(caseName: string, title: string, fn?: Mocha.Func, info?: CaseInfo): Mocha.Test;
function skipCase(caseName: string, title: string, fn?: Mocha.Func | Mocha.AsyncFunc, info?: CaseInfo): Mocha.Test {
  return identify(it.skip(title, fn as Mocha.Func), caseName, info);
}

/** Give a test made another way (e.g. `new Mocha.Test` at run time, one per KTAP case) its case name. */
export function identify<T extends Mocha.Runnable>(test: T, caseName: string, info?: CaseInfo): T {
  if (!CASE_NAME.test(caseName)) throw new Error(`test case name '${caseName}' is not ${CASE_NAME.source} ('${test.title}')`);
  const t = test as unknown as Identified;
  t.ffsCase = caseName;
  if (info) t.ffsInfo = info;
  return test;
}

/** Tags and needs for every test of a describe block: call it as `blockInfo(this, {...})` in the block's body. */
export function blockInfo(block: Mocha.Suite, info: CaseInfo): void {
  (block as unknown as Identified).ffsInfo = info;
}

/** The test a retry was cloned from (mocha copies neither our fields nor any other), else the test itself. */
function original(test: unknown): Identified {
  const t = test as Identified & { retriedTest?: () => unknown };
  return ((typeof t.retriedTest === 'function' ? t.retriedTest() : undefined) ?? t) as Identified;
}

/** A test's case name, when its suite gave one (a retried attempt's is its original's). */
export function caseNameOf(test: unknown): string | undefined {
  return original(test).ffsCase;
}

/** `suite.case`, or undefined for a test without a case name. */
export function testIdOf(suite: string, test: unknown): string | undefined {
  const c = caseNameOf(test);
  return c === undefined ? undefined : `${suite}.${c}`;
}

/** A test's tags and needs with those of every block around it, each once, in order (block's first). */
export function caseInfoOf(test: unknown): { tags: string[]; needs: Need[] } {
  const chain: CaseInfo[] = [];
  for (let r: Identified | undefined = original(test); r; r = r.parent) if (r.ffsInfo) chain.unshift(r.ffsInfo);
  return { tags: [...new Set(chain.flatMap((i) => i.tags ?? []))], needs: [...new Set(chain.flatMap((i) => i.needs ?? []))] };
}
