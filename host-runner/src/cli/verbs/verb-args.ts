import { usageError } from '@ffs-lab/contract/exit-codes';
import { loadWaivers, type Waiver } from '../../results/waivers';

/** Maximum of `--retries`: more would hide a broken test behind minutes of reruns. */
export const MAX_RETRIES = 5;

/** The shared `--retries N` option (lab, run, matrix). */
export const RETRIES_OPTION = {
  name: 'retries',
  type: 'string',
  metavar: 'N',
  default: '0',
  description: `run a failed test again up to N times (0 to ${MAX_RETRIES}): one that then passes is reported flaky and counted apart, one that fails every time failed`,
} as const;

/** The shared `--waivers FILE` option (lab, run, matrix). */
export const WAIVERS_OPTION = {
  name: 'waivers',
  type: 'string',
  metavar: 'FILE',
  description: 'known failures to accept until their dates (YAML: id, reason, kernel, expires; README: Waivers): a waived failure does not fail the run, an expired waiver does',
} as const;

/** `{ waivers }` from `--waivers FILE`, read and checked now (usage error, exit 2), or nothing. */
export function waiversOf(values: Record<string, unknown>): { waivers?: Waiver[] } {
  return typeof values.waivers === 'string' ? { waivers: loadWaivers(values.waivers) } : {};
}

/** The shared `--lava` option (lab, run). */
export const LAVA_OPTION = {
  name: 'lava',
  type: 'boolean',
  description: "emit LAVA test-shell signals as tests finish: a test set per suite, a case per test (named by its ID) and per measurement, lava-test-raise on an infrastructure error; through LAVA's helpers when they are on PATH, else printed (README: LAVA)",
} as const;

/** `--retries N`: 0 to {@link MAX_RETRIES}, else a usage error. */
export function retriesOf(verb: string, value: unknown): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= MAX_RETRIES)) throw usageError(`${verb}: --retries must be a whole number from 0 to ${MAX_RETRIES} (got '${String(value)}')`);
  return n;
}

/** Parse a positive integer option value, or fail with a usage error naming the option. */
export function positiveInt(verb: string, option: string, value: unknown): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw usageError(`${verb}: --${option} must be a positive whole number (got '${String(value)}')`);
  return n;
}
