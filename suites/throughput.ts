/** MB/s (10^6 bytes per second, one decimal) for `bytes` moved since `t0` (process.hrtime.bigint()). */
export function mbpsSince(bytes: number, t0: bigint): number {
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return Math.round((bytes / s / 1e6) * 10) / 10;
}
