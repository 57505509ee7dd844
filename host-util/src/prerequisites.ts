import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCommand } from './exec';
import { usageError, infraError } from '@ffs-lab/contract/exit-codes';

/** Something the machine must have, and the Debian package that provides it. */
export interface Requirement {
  /** An absolute file path, or a bare command name looked up on PATH. */
  needs: string;
  /** Debian package that installs it. */
  pkg: string;
}

/** True when a file exists at an absolute path or a command is found on PATH. */
export function isPresent(needs: string): boolean {
  if (path.isAbsolute(needs)) return fs.existsSync(needs);
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => d && fs.existsSync(path.join(d, needs)));
}

/** The Debian packages missing for a set of requirements (deduplicated, sorted). */
export function missingPackages(reqs: readonly Requirement[]): string[] {
  return [...new Set(reqs.filter((r) => !isPresent(r.needs)).map((r) => r.pkg))].sort();
}

/** The exact command a user runs to install packages. */
export function aptCommand(pkgs: readonly string[]): string {
  return `apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
}

/**
 * Make sure the requirements are met. Missing packages are installed with apt when running as
 * root; otherwise this throws a usage error (exit 2) that prints the exact apt command.
 * Daemons in the packages (e.g. sshd) are not started: a policy-rc.d is in place during install.
 */
export async function ensurePackages(reqs: readonly Requirement[], purpose: string, log: (line: string) => void, isRoot = process.getuid?.() === 0): Promise<void> {
  const pkgs = missingPackages(reqs);
  if (pkgs.length === 0) return;
  if (!isRoot) {
    throw usageError(`${purpose} needs Debian packages that are not installed: ${pkgs.join(', ')}`, `run as root: ${aptCommand(pkgs)}`);
  }
  log(`installing ${pkgs.join(' ')} (needed for ${purpose})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const listsEmpty = !fs.readdirSync('/var/lib/apt/lists').some((f) => f.endsWith('_Packages'));
    if (listsEmpty) await runCommand('apt-get', ['update', '-q'], { env, onLine: () => undefined });
    let r = await runCommand('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], { env });
    if (r.code !== 0 && !listsEmpty) {
      await runCommand('apt-get', ['update', '-q'], { env });
      r = await runCommand('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], { env });
    }
    if (r.code !== 0) throw infraError(`apt-get install ${pkgs.join(' ')} failed: ${r.tail.slice(-1)[0] ?? ''}`);
  } finally {
    if (ownPolicy) fs.rmSync(policy, { force: true });
  }
  const still = missingPackages(reqs);
  if (still.length > 0) throw infraError(`still missing after apt-get install: ${still.join(', ')}`);
}
