/** A figure over its repetitions: median and spread. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Repetitions it is made of. */
  n: number;
}

/** Median, min and max of `values` (undefined when empty). */
export function spreadOf(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** Half the range relative to the median, in percent (0 for one value or a zero median). */
export function spreadPercent(s: Spread): number {
  return s.median > 0 ? ((s.max - s.min) / 2 / s.median) * 100 : 0;
}

/** Geometric mean of positive values (undefined when there are none): the mean of ratios. */
export function geomean(values: readonly number[]): number | undefined {
  const v = values.filter((x) => x > 0 && Number.isFinite(x));
  if (v.length === 0) return undefined;
  return Math.exp(v.reduce((a, x) => a + Math.log(x), 0) / v.length);
}
