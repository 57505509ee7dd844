import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Root of ffs-lab's cache (built kernels, tools, per-run VM shares): `$FFS_LAB_CACHE`, else
 * `$XDG_CACHE_HOME/ffs-lab`, else `~/.cache/ffs-lab`. It lives outside the repository on purpose.
 */
export function cacheRoot(): string {
  if (process.env.FFS_LAB_CACHE) return path.resolve(process.env.FFS_LAB_CACHE);
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg ? path.resolve(xdg) : path.join(os.homedir(), '.cache'), 'ffs-lab');
}
