import { spawnSync } from 'node:child_process';

let cached: number | undefined;

/** The kernel's page size in bytes (getconf PAGESIZE; 4096 when that fails). Mapping sizes are charged in these. */
export function pageSize(): number {
  if (cached) return cached;
  const r = spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8', timeout: 5000 });
  const n = Number(r.stdout?.trim());
  cached = Number.isSafeInteger(n) && n >= 4096 && (n & (n - 1)) === 0 ? n : 4096;
  return cached;
}
