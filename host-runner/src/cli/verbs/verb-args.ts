import { usageError } from '@ffs-lab/contract/exit-codes';

/** Parse a positive integer option value, or fail with a usage error naming the option. */
export function positiveInt(verb: string, option: string, value: unknown): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw usageError(`${verb}: --${option} must be a positive whole number (got '${String(value)}')`);
  return n;
}
