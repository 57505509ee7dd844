import type Mocha from 'mocha';

/**
 * Where each test's body is. Mocha moves on when a test fails by timeout, and the body goes on
 * running: its transfers are still queued, and the next test would receive their bytes. A hook
 * that shares hardware between tests awaits {@link testBodySettled} before it cleans up, so it
 * never cleans up under a body that is still moving data.
 */
const bodies = new WeakMap<Mocha.Runnable, Promise<void>>();

/** Root hooks that record every test's body as it starts (installed by the suite runner). */
export function testBodyHooks(): Mocha.RootHookObject {
  return {
    beforeEach(this: Mocha.Context) {
      const test = this.currentTest;
      if (!test?.fn) return;
      const body = test.fn as (this: Mocha.Context) => unknown;
      test.fn = function (this: Mocha.Context) {
        const run = Promise.resolve().then(() => body.call(this));
        bodies.set(test, run.then(() => undefined, () => undefined));
        return run;
      };
    },
  };
}

/**
 * In an afterEach hook: wait until the test just run has stopped running, for at most `ms`.
 * True when it has (or never ran), false when it is still running after `ms`.
 */
export async function testBodySettled(ctx: Mocha.Context, ms: number): Promise<boolean> {
  const body = ctx.currentTest && bodies.get(ctx.currentTest);
  if (!body) return true;
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([body.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  return settled;
}
