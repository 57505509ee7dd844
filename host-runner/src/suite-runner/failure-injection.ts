import type Mocha from 'mocha';

/**
 * Deliberate failures, for proving that a failed test does not poison the next one. With
 * `FFS_LAB_INJECT_FAILURE=REGEX[@MS]` every test whose full title matches REGEX fails MS
 * milliseconds after it starts (default 500), while its body goes on running: exactly what a
 * test that times out mid-stream does to the tests after it. A body that ends sooner fails as
 * it ends. The lab passes the variable into
 * the VM. A self-check of the suites' cleanup, never for a run whose verdict matters.
 */
export interface FailureInjection {
  /** Matched against a test's full title (suites joined by spaces, as mocha's --grep sees it). */
  pattern: RegExp;
  /** When the test fails, after its start (ms). */
  afterMs: number;
}

/** The environment variable that turns injection on. */
export const INJECT_FAILURE_ENV = 'FFS_LAB_INJECT_FAILURE';

/** The reason an injected failure carries, so reports and checks tell it from a real one. */
export const INJECTED_REASON = 'injected failure';

/** Parse `REGEX[@MS]`; undefined when unset; throws with the variable's name when malformed. */
export function parseFailureInjection(value: string | undefined): FailureInjection | undefined {
  if (!value) return undefined;
  const m = /^(.*?)(?:@(\d{1,7}))?$/s.exec(value)!;
  let pattern: RegExp;
  try {
    pattern = new RegExp(m[1]!);
  } catch (err) {
    throw new Error(`${INJECT_FAILURE_ENV}: not a regular expression: ${(err as Error).message}`, { cause: err });
  }
  return { pattern, afterMs: m[2] ? Number(m[2]) : 500 };
}

/** An assertion-class error, so the test is reported `failed` (as an assertion would be), not `error`. */
class InjectedFailure extends Error {
  readonly code = 'ERR_ASSERTION';
  constructor(when: string) {
    super(`${INJECTED_REASON} (${INJECT_FAILURE_ENV}) ${when}`);
    this.name = 'AssertionError';
  }
}

/**
 * Root hooks that make matching tests fail on time. The test's function is wrapped just before
 * it runs, so the test keeps its own `this` (skips, timeouts, annotations) and its body is not
 * stopped: the point is to leave it running, as a timed-out test does.
 */
export function failureInjectionHooks(inj: FailureInjection): Mocha.RootHookObject {
  return {
    beforeEach(this: Mocha.Context) {
      const test = this.currentTest;
      if (!test?.fn || !inj.pattern.test(test.fullTitle())) return;
      const body = test.fn as (this: Mocha.Context) => unknown;
      test.fn = function (this: Mocha.Context) {
        let timer: NodeJS.Timeout | undefined;
        const fail = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new InjectedFailure(`${inj.afterMs} ms into the test; its body goes on running`)), inj.afterMs);
        });
        const started = Date.now();
        // A body that ends first (or fails or skips on its own) settles the race itself.
        const run = Promise.resolve()
          .then(() => body.call(this))
          .finally(() => clearTimeout(timer))
          .then(() => {
            throw new InjectedFailure(`as the test ended, ${Date.now() - started} ms in (before the planned ${inj.afterMs} ms)`);
          });
        return Promise.race([run, fail]);
      };
    },
  };
}
