/**
 * `node:test` in Chromium, for the page tests: playwright-test's browser build maps the import
 * here (playwright-test.config.mjs). `describe` and `it` go to mocha's bdd globals, which
 * playwright-test's mocha runner sets up before it imports the test files. A test body is
 * called without arguments, so mocha never takes it for a callback-style (`done`) test.
 */
interface MochaBdd {
  describe(title: string, fn: () => void): unknown;
  it(title: string, fn: () => unknown): unknown;
}

const bdd = (): MochaBdd => globalThis as unknown as MochaBdd;

/** A suite: its tests run in the order they are declared. */
export function describe(title: string, fn: () => void): void {
  bdd().describe(title, fn);
}

/** A test: passes when `fn` returns (or its promise resolves) without throwing. */
export function it(title: string, fn: () => unknown): void {
  bdd().it(title, () => fn());
}

/** node:test's other name for {@link it}. */
export const test = it;
