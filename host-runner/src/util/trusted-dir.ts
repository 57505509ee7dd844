import * as fs from 'node:fs';

/**
 * Why `dir` may not hold programs this process runs (it often runs as root), or undefined when
 * it may: it must be a real directory (not a symbolic link), owned by this user or root, and
 * writable by nobody else (no group or other write bit). A missing dir is a problem too.
 */
export function dirTrustProblem(dir: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (err) {
    return `cannot be examined (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (!st.isDirectory()) return 'is not a directory';
  const me = process.getuid?.() ?? 0;
  if (st.uid !== me && st.uid !== 0) return `is owned by uid ${st.uid}, not by this user (uid ${me}) or root`;
  if (st.mode & 0o002) return 'is writable by others';
  if (st.mode & 0o020) return 'is writable by its group';
  return undefined;
}

/** The first of `dirs` (outermost first) that may not hold our programs, and why. */
export function firstUntrusted(dirs: readonly string[]): { dir: string; problem: string } | undefined {
  for (const dir of dirs) {
    const problem = dirTrustProblem(dir);
    if (problem) return { dir, problem };
  }
  return undefined;
}
