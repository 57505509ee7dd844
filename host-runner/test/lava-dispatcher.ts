import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheRoot } from '@ffs-lab/host-util/cache-dir';

/** Debian's LAVA packages whose code the tests run (bookworm: 2023.01). */
const PACKAGES = ['lava-dispatcher', 'lava-common', 'lava-dispatcher-host'];

/**
 * LAVA's dispatcher code, from Debian's packages extracted (not installed: the package brings
 * daemons and some 250 dependencies) into the cache: `apt-get download` + `dpkg -x`, once. Its
 * Python modules come from scripts/install-deps.sh. Returns the extracted root; throws with
 * apt's output when it fails.
 */
export function lavaDispatcherRoot(): string {
  const dir = path.join(cacheRoot(), 'lava');
  const root = path.join(dir, 'root');
  const have = ['lava_dispatcher/actions/test/shell.py', 'lava_dispatcher_host/action.py', 'lava_common/schemas/__init__.py'].every((f) => fs.existsSync(path.join(root, 'usr', 'lib', 'python3', 'dist-packages', f)));
  if (have) return root;
  // Built aside and renamed into place: a test running beside this one never sees half of it.
  const work = path.join(dir, `work-${process.pid}`);
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  try {
    const dl = spawnSync('apt-get', ['download', ...PACKAGES], { cwd: work, encoding: 'utf8' });
    if (dl.status !== 0) throw new Error(`apt-get download ${PACKAGES.join(' ')} failed (exit ${dl.status}): ${dl.stderr || dl.stdout}`);
    for (const deb of fs.readdirSync(work).filter((f) => f.endsWith('.deb'))) {
      const x = spawnSync('dpkg', ['-x', path.join(work, deb), path.join(work, 'root')], { encoding: 'utf8' });
      if (x.status !== 0) throw new Error(`dpkg -x ${deb} failed: ${x.stderr}`);
    }
    fs.rmSync(root, { recursive: true, force: true });
    fs.renameSync(path.join(work, 'root'), root);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return root;
}

/** The dist-packages directory holding lava_dispatcher and lava_common. */
export function lavaPythonDir(root = lavaDispatcherRoot()): string {
  return path.join(root, 'usr', 'lib', 'python3', 'dist-packages');
}

/** What LAVA's own TestShellAction makes of a console log (host-runner/test/lava-parse.py). */
export interface LavaParse {
  results: { case: string; result: string; set?: string; measurement?: number; units?: string }[];
  raised: string | null;
  errors: string[];
}

/** Parse console text with LAVA's code. */
export function lavaParse(consoleText: string): LavaParse {
  const file = path.join(fs.mkdtempSync(path.join(cacheRoot(), 'lava-log-')), 'console.log');
  try {
    fs.writeFileSync(file, consoleText);
    const r = spawnSync('/usr/bin/python3', [path.join(__dirname, '..', '..', 'test', 'lava-parse.py'), lavaPythonDir(), file], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`lava-parse.py failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
    return JSON.parse(r.stdout) as LavaParse;
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

/**
 * A directory for PYTHONPATH with an empty `guestfs` module: lava_dispatcher imports libguestfs's
 * bindings when it loads (python3-guestfs brings some 160 packages, exim4, grub and mdadm among
 * them), and only device types that write the test overlay into a disk image call them; the
 * ssh device of the lava-run test never does.
 */
export function guestfsStubDir(): string {
  const dir = path.join(cacheRoot(), 'lava', 'stub');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'guestfs.py'), '# Empty: see host-runner/test/lava-dispatcher.ts guestfsStubDir().\n');
  return dir;
}
