/**
 * Which directories `ffs-lab deploy` may install into, and the marker that says a directory is
 * one of its installs. Deploy replaces bin/, dist/ and native/ there, so a wrong directory would
 * lose files: it must be absolute and normalized, and not a system directory (the rule below); on
 * the target it must be new, empty, or carry the marker (checked there, before anything is removed).
 */

/** The marker file in an install dir, written by deploy before it replaces anything. */
export const INSTALL_MARKER = '.ffs-lab-install';
/** The marker's one line (the file is this and a newline); any other content is not ours. */
export const INSTALL_MARKER_TEXT = 'ffs-lab install dir v1: ffs-lab deploy replaces bin/ dist/ native/ node_modules/ package.json package-lock.json here';

/** Trees never installed into, at any depth: pseudo file systems, configuration, the system's programs and libraries. */
const SYSTEM_TREES = ['/proc', '/sys', '/dev', '/etc', '/boot', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/usr/bin', '/usr/sbin', '/usr/lib', '/usr/lib32', '/usr/lib64', '/usr/libx32', '/usr/libexec', '/usr/include', '/usr/share', '/usr/src'];
/** Directories directly under which an install dir is a system or home directory itself (/usr/local, /var/lib, /home/lab). */
const SYSTEM_PARENTS = ['/usr', '/var', '/home'];
/** /usr/local's own hierarchy (FHS): /usr/local/NAME is fine for any other NAME. */
const USR_LOCAL = ['bin', 'etc', 'games', 'include', 'lib', 'lib32', 'lib64', 'libexec', 'man', 'sbin', 'share', 'src'];

/**
 * Why `dir` cannot be an install dir, or undefined when it can. The rule: an absolute path in
 * normal form (no `//`, `.` or `..` component, no trailing `/`, no control characters), at least
 * two components deep (so never `/`, `/usr`, `/opt`, `/home`, `/tmp` itself), not directly under
 * /usr, /var or /home (those are system or home directories), not /usr/local's own bin, lib,
 * share... and nowhere under /proc, /sys, /dev, /etc, /boot, /bin, /sbin, /lib*, /usr/bin,
 * /usr/sbin, /usr/lib*, /usr/libexec, /usr/include, /usr/share, /usr/src.
 */
export function installDirProblem(dir: string): string | undefined {
  if (!dir.startsWith('/')) return 'it must be an absolute path';
  if (/[\0-\x1f\x7f]/.test(dir)) return 'it must not contain control characters';
  if (dir === '/') return 'it must not be /';
  if (dir.includes('//')) return 'it must not contain //';
  if (dir.endsWith('/')) return 'it must not end with /';
  const parts = dir.split('/').slice(1);
  if (parts.some((p) => p === '.' || p === '..')) return 'it must not contain . or .. components (write the path it means)';
  if (parts.length < 2) return `${dir} is a top-level directory: use a directory of its own below one, e.g. /opt/ffs-lab`;
  const tree = SYSTEM_TREES.find((t) => dir === t || dir.startsWith(`${t}/`));
  if (tree) return `${dir} is in ${tree}, a system directory`;
  const parent = parts.slice(0, -1).join('/');
  if (parts.length === 2 && SYSTEM_PARENTS.includes(`/${parent}`)) return `${dir} is a system or home directory itself: use a directory of its own below it`;
  if (parts.length === 3 && parent === 'usr/local' && USR_LOCAL.includes(parts[2]!)) return `${dir} is part of /usr/local's own hierarchy`;
  return undefined;
}
