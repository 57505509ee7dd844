/**
 * `node:assert/strict` in Chromium, for the page tests: playwright-test's browser build maps the
 * import here (playwright-test.config.mjs). It is the npm `assert` package, node's assert ported
 * to browsers, in its strict mode (equal is strictEqual, deepEqual is deepStrictEqual).
 */
import * as assertPackage from 'assert';

const strict = assertPackage.strict;

export const { equal, notEqual, deepEqual, notDeepEqual, ok, throws, doesNotThrow, rejects, match, doesNotMatch, fail } = strict;
export default strict;
