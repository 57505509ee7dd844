import type { Measurement } from '../results/results';

/** Extra fields ffs-lab hangs on mocha runnables and suites. */
interface Annotated {
  ffsSkipReason?: string;
  ffsMeasurements?: Measurement[];
  ffsLog?: string[];
  ffsAllowedKernelReports?: RegExp;
  parent?: Annotated;
}

function runnableOf(ctx: Mocha.Context): Annotated {
  return ((ctx as unknown as { currentTest?: Annotated }).currentTest ?? ctx.test) as unknown as Annotated;
}

/**
 * Skip the current test (or, from a `before` hook, the whole describe block) with a reason that
 * every report shows. Never returns.
 */
export function skipWithReason(ctx: Mocha.Context, reason: string): never {
  const r = ctx.test as unknown as Annotated & { type?: string };
  if (r.type === 'hook' && r.parent) r.parent.ffsSkipReason = reason;
  else r.ffsSkipReason = reason;
  ctx.skip();
}

/** Record a measurement on the running test (shown on the terminal and in every report). */
export function measure(ctx: Mocha.Context, name: string, value: number, unit: string): void {
  const r = runnableOf(ctx);
  (r.ffsMeasurements ??= []).push({ name, value, unit });
}

/** Attach text (agent log, dmesg, program output) to the running test's report. */
export function attachLog(ctx: Mocha.Context, text: string): void {
  const r = runnableOf(ctx);
  (r.ffsLog ??= []).push(text);
}

/** The reason a test was skipped: its own, else the nearest enclosing suite's. */
export function skipReasonOf(test: unknown): string | undefined {
  for (let r = test as Annotated | undefined; r; r = r.parent) if (r.ffsSkipReason) return r.ffsSkipReason;
  return undefined;
}

export function measurementsOf(test: unknown): Measurement[] | undefined {
  return (test as Annotated).ffsMeasurements;
}

export function logOf(test: unknown): string | undefined {
  const l = (test as Annotated).ffsLog;
  return l && l.length ? l.join('\n') : undefined;
}

/**
 * Declare that the running test provokes kernel reports matching `pattern` on purpose (a fault
 * test), so the per-test kernel check does not fail it for them. Other reports still fail it.
 */
export function allowKernelReports(ctx: Mocha.Context, pattern: RegExp): void {
  runnableOf(ctx).ffsAllowedKernelReports = pattern;
}

export function allowedKernelReportsOf(test: unknown): RegExp | undefined {
  return (test as Annotated).ffsAllowedKernelReports;
}
